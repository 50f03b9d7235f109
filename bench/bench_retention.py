"""Rows per table after 20,000 messages, and after the retention workers ran (issue 12: personal data outside
consent). Prints figures; never asserts.

The messages go through the real service (`App.service("telegram")`, the path `python -m bot run` takes for each
update) from 4,000 chats: most ask questions from ../shared/eval/dev.jsonl, one chat in 20 starts a call-back
request and abandons it after giving a name and a phone number, one in 50 completes one (its agent's message is
delivered through the outbox), one in 100 asks /xoadulieu at the end. Then:

1. rows per table as the burst left them;
2. the abandoned-request sweep (every 2 minutes in the bot) with the clock FLOW_IDLE_MINUTES later;
3. every row's time spread evenly over the last 365 days, as if those messages had come over a year, and
   the hourly workers run (retention sweep: leads, signals, interactions, idle sessions, sent outbox;
   pruning of processed updates), with their duration and the process's memory before and after.

    .venv/bin/python bench/bench_retention.py [--messages 20000] [--only sqlite|postgresql ...] [--json]

PostgreSQL is the one at TEST_DATABASE_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test), in a
schema of its own that is dropped at the end; SQLite is a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App, build  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.types import Button, Clock, Inbound, InboundKind, Outcome  # noqa: E402
from bot.storage import agents  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.migrations import migrate  # noqa: E402
from bot.storage.tables import (  # noqa: E402
    chat_sessions,
    interactions,
    lead_history,
    leads,
    metadata,
    outbox,
)
from bot.workers.outbox import deliver_due  # noqa: E402
from bot.workers.pruning import prune_once  # noqa: E402
from bot.workers.retention import Retention, drop_abandoned_once, sweep_once  # noqa: E402

DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PER_CHAT = 5
SPREAD = timedelta(days=365)
AGENT_CHAT = 900_000_001
FIRST_CHAT = 600_000_001
TIMED_COLUMNS = {  # the time each table's retention goes by, for spreading rows over SPREAD
    "chat_sessions": "updated_at",
    "processed_updates": "processed_at",
    "interactions": "created_at",
    "interest_signals": "at",
    "leads": "created_at",
    "outbox": "sent_at",
}


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def questions() -> list[str]:
    return [json.loads(line)["q"] for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


class Citizen:
    def __init__(self, app: App, chat_id: int, counter: list[int]) -> None:
        self.service = app.service("telegram")
        self.chat = f"telegram:{chat_id}"
        self.counter = counter

    async def send(self, kind: InboundKind, text: str = "", action: str = "") -> Outcome:
        self.counter[0] += 1
        outcome = await self.service.handle(Inbound(self.chat, kind, text=text, action=action), self.counter[0])
        assert outcome is not None
        return outcome

    async def say(self, words: str) -> Outcome:
        return await self.send(InboundKind.TEXT, words)

    async def press(self, label: str, outcome: Outcome) -> Outcome:
        buttons = {button.label: button.action for reply in outcome.replies for button in reply.buttons}
        return await self.send(InboundKind.ACTION, action=buttons[label])


async def converse(app: App, index: int, asked: list[str], counter: list[int], budget: int) -> None:
    """One chat's messages (at most `budget`)."""
    citizen = Citizen(app, FIRST_CHAT + index, counter)
    sent = 0

    async def question() -> None:
        nonlocal sent
        await citizen.say(asked[(index * PER_CHAT + sent) % len(asked)])
        sent += 1

    if index % 50 == 0 and budget >= 8:  # a completed request: 7 messages and one question
        consent = await citizen.say("tôi là Nguyễn Văn Bình muốn đăng ký, nhờ cán bộ gọi lại tư vấn")
        await citizen.press("Đồng ý", consent)
        await citizen.say("Nguyễn Văn Bình")
        await citizen.say("0912 345 678")
        area = await citizen.say("tien yen")
        when = await citizen.press("BHXH tự nguyện", area)
        await citizen.press("Buổi sáng", when)
        sent = 7
    elif index % 20 == 0 and budget >= 4:  # abandoned after the phone number
        consent = await citizen.say("nhờ cán bộ gọi lại tư vấn bhxh tự nguyện")
        await citizen.press("Đồng ý", consent)
        await citizen.say("Trần Thị Lan")
        await citizen.say("0987 654 321")
        sent = 4
    while sent < budget - (1 if index % 100 == 1 else 0):
        await question()
    if index % 100 == 1 and sent < budget:
        await citizen.send(InboundKind.ERASE)
        sent += 1
    counter[1] += sent


async def counts(database: Database) -> dict[str, int]:
    async with database.transaction() as connection:
        return {
            table.name: int(await connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


async def personal(database: Database) -> dict[str, int]:
    """Where a name or phone number can still be: leads not anonymised, sessions with a request under way."""
    async with database.transaction() as connection:
        named = await connection.scalar(select(func.count()).select_from(leads).where(leads.c.name.is_not(None)))
        flows = await connection.scalar(
            select(func.count()).select_from(chat_sessions).where(chat_sessions.c.state.like('%"lead"%'))
        )
        asked = await connection.scalar(
            select(func.count()).select_from(interactions).where(interactions.c.normalised.like("%nguyen van binh%"))
        )
    return {"leads with a name": int(named or 0), "sessions in a request": int(flows or 0),
            "questions naming Nguyễn Văn Bình": int(asked or 0)}  # fmt: skip


async def spread(database: Database, now: datetime) -> None:
    """Every row's time spread evenly over SPREAD before `now`, by its order in the table."""
    async with database.transaction() as connection:
        for name, column in TIMED_COLUMNS.items():
            table = metadata.tables[name]
            key = list(table.primary_key.columns)[-1]  # processed_updates: (channel, update_id)
            keys = list(await connection.scalars(select(key).order_by(key)))
            step = SPREAD / max(len(keys), 1)
            for position, value in enumerate(keys):
                moment = now - SPREAD + step * position
                statement = update(table).where(key == value)
                if name == "outbox":
                    statement = statement.where(outbox.c.sent_at.is_not(None))
                await connection.execute(statement.values({column: moment}))
            if name == "leads":  # the history and the consent go with the lead
                await connection.execute(update(lead_history).values(at=now - SPREAD))


async def deliver_all(database: Database, clock: Clock) -> int:
    async def send(chat_id: int, message: str, buttons: tuple[Button, ...]) -> None:
        return None

    delivered = 0
    while True:
        report = await deliver_due(database, send, clock)
        delivered += report.sent
        if report.handled == 0:
            return delivered


def table_lines(*columns: tuple[str, dict[str, int]]) -> list[str]:
    names = [name for name in columns[0][1] if any(figures.get(name) for _, figures in columns)]
    width = max(len(name) for name in names)
    lines = [f"    {'table':<{width}}  " + "  ".join(f"{title:>16}" for title, _ in columns)]
    for name in names:
        lines.append(f"    {name:<{width}}  " + "  ".join(f"{figures.get(name, 0):>16,}" for _, figures in columns))
    return lines


async def run_on(kind: str, url: str, schema: str | None, messages: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, database_url=url)
    app = build(settings).on(Database(url, schema=schema))
    database = app.database
    await migrate(database)
    async with database.transaction() as connection:
        await agents.add(connection, AGENT_CHAT, "Đại lý A", "qn-tien-yen", app.clock())
    asked = questions()
    counter = [0, 0]  # update ids, messages sent
    started = time.perf_counter()
    index = 0
    while counter[1] < messages:
        await converse(app, index, asked, counter, min(PER_CHAT if index % 50 else 8, messages - counter[1]))
        index += 1
    burst = time.perf_counter() - started
    delivered = await deliver_all(database, app.clock)
    after_burst = await counts(database)
    personal_after_burst = await personal(database)

    now = app.clock()
    memory_before = rss_mib()
    timer = time.perf_counter()
    abandoned = await drop_abandoned_once(database, app.flow_idle, lambda: now + app.flow_idle + timedelta(minutes=1))
    abandoned_ms = (time.perf_counter() - timer) * 1000
    timer = time.perf_counter()  # the steady state: the next sweep, 2 minutes later, finds nothing new
    await drop_abandoned_once(database, app.flow_idle, lambda: now + app.flow_idle + timedelta(minutes=3))
    idle_sweep_ms = (time.perf_counter() - timer) * 1000
    after_abandoned = await counts(database)
    personal_after_abandoned = await personal(database)

    await spread(database, now)
    rules = Retention(settings.lead_retention_days, app.flow_idle, settings.interaction_retention_days)
    timer = time.perf_counter()
    report = await sweep_once(database, rules, lambda: now)
    sweep_ms = (time.perf_counter() - timer) * 1000
    timer = time.perf_counter()
    pruned = await prune_once(database, lambda: now)
    prune_ms = (time.perf_counter() - timer) * 1000
    memory_after = rss_mib()
    after_workers = await counts(database)
    personal_after_workers = await personal(database)
    async with database.transaction() as connection:
        if kind == "postgresql":
            size = await connection.scalar(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind = 'r'"
                ),
                {"schema": schema},
            )
        else:
            size = Path(make_url(url).database or "").stat().st_size
    await database.dispose()
    return {
        "database": kind,
        "messages": counter[1],
        "chats": index,
        "burst_seconds": round(burst, 1),
        "outbox_delivered": delivered,
        "rows_after_burst": after_burst,
        "rows_after_abandoned_sweep": after_abandoned,
        "rows_after_workers": after_workers,
        "personal_after_burst": personal_after_burst,
        "personal_after_abandoned_sweep": personal_after_abandoned,
        "personal_after_workers": personal_after_workers,
        "abandoned_dropped": abandoned,
        "abandoned_sweep_ms": round(abandoned_ms, 1),
        "abandoned_sweep_again_ms": round(idle_sweep_ms, 1),
        "sweep": report.__dict__,
        "sweep_ms": round(sweep_ms, 1),
        "processed_updates_pruned": pruned,
        "prune_ms": round(prune_ms, 1),
        "rss_mib_before_workers": round(memory_before, 1),
        "rss_mib_after_workers": round(memory_after, 1),
        "database_bytes_at_end": int(size or 0),
    }


def report_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        f"== {result['database']}: {result['messages']:,} messages from {result['chats']:,} chats in "
        f"{result['burst_seconds']} s; {result['outbox_delivered']} outbox message(s) delivered",
        *table_lines(
            ("after messages", result["rows_after_burst"]),
            ("+ abandoned swp", result["rows_after_abandoned_sweep"]),
            ("+ a year, workers", result["rows_after_workers"]),
        ),
        "    personal data left: "
        + "; ".join(
            f"{name}: {result['personal_after_burst'][name]} -> {result['personal_after_abandoned_sweep'][name]} -> "
            f"{result['personal_after_workers'][name]}"
            for name in result["personal_after_burst"]
        ),
        f"    abandoned-request sweep: {result['abandoned_dropped']} dropped in {result['abandoned_sweep_ms']} ms; "
        f"the next one, with nothing to drop, {result['abandoned_sweep_again_ms']} ms",
        f"    retention sweep: {result['sweep']} in {result['sweep_ms']} ms; processed updates pruned: "
        f"{result['processed_updates_pruned']} in {result['prune_ms']} ms",
        f"    memory (RSS of this process): {result['rss_mib_before_workers']} MiB before the workers, "
        f"{result['rss_mib_after_workers']} MiB after; database at the end: {result['database_bytes_at_end']:,} bytes",
    ]
    return lines


async def postgres_schema(statement: str) -> None:
    connection = await asyncpg.connect(make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--only", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    results = []
    for kind in args.only:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as directory:
                results.append(await run_on(kind, f"sqlite+aiosqlite:///{directory}/bot.db", None, args.messages))
        else:
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            await postgres_schema(f'CREATE SCHEMA "{schema}"')
            try:
                results.append(await run_on(kind, POSTGRES_URL, schema, args.messages))
            finally:
                await postgres_schema(f'DROP SCHEMA "{schema}" CASCADE')
        print("\n".join(report_lines(results[-1])), flush=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
