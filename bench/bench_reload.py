"""Live knowledge reload benchmark: message handling while a 5,000-entry index is rebuilt and swapped in.

The real service on SQLite takes citizens' questions at Telegram's cap (30 messages a second, each handled as
its own task, as python-telegram-bot does); a revision is published and the running bot follows it
(bot.shell.live_knowledge: the index is built on a worker thread, then swapped whole). The new revision's
index is the real knowledge base inflated to 5,000 entries (bench_matcher.inflated_kbs), so the build is as
long as at a province's size. Prints the latency (scheduled send to reply decided, including the database
transaction) before, during and after the rebuild; it never asserts. Before the swap the new index matches the
latest real questions (bot.shell.live_knowledge._warmed); the traffic here repeats the development questions,
so that warm-up covers them all: an office's citizens also type words no one typed before.

    .venv/bin/python bench/bench_reload.py [--rate 30] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matcher import inflated_kbs  # noqa: E402

from bot.app import build, matcher_config  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.evaluation import Example  # noqa: E402
from bot.core.matcher import Matcher  # noqa: E402
from bot.core.types import Inbound, InboundKind  # noqa: E402
from bot.shell.live_knowledge import Knowledge  # noqa: E402
from bot.storage import knowledge_revisions  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.knowledge_files import checks_of, read_folder  # noqa: E402
from bot.storage.knowledge_revisions import NewRevision  # noqa: E402

SIZE = 5_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else float("nan")


def row(name: str, latencies: list[float]) -> str:
    if not latencies:
        return f"{name:<22} {0:>6}"
    cells = [percentile(latencies, q) for q in (50, 95, 99)] + [max(latencies)]
    return f"{name:<22} {len(latencies):>6}" + "".join(f"{v:>9.1f}" for v in cells)


async def main(rate: float, seconds: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-reload-"))
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'bot.db'}")
    app = build(settings).on(Database(settings.database_url))
    await app.start()
    bundle = read_folder(settings.knowledge_dir)
    questions = [Example.from_json(row).question for row in checks_of(bundle)]
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    if dev.exists():
        import json

        questions = [json.loads(line)["q"] for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    big = inflated_kbs(app.kb, (SIZE,))[0]
    built_ms: list[float] = []

    def build_big(_: object) -> Knowledge:  # the new revision's index: 5,000 entries
        started = time.perf_counter()
        knowledge = Knowledge(big, Matcher(big, matcher_config(settings)))
        built_ms.append((time.perf_counter() - started) * 1000)
        return knowledge

    app.knowledge.build = build_big
    service = app.service("telegram")
    timeline: list[tuple[float, float]] = []  # (scheduled, latency ms)
    tasks: list[asyncio.Task[None]] = []

    async def one(n: int, scheduled: float) -> None:
        inbound = Inbound(f"telegram:{n % 500}", InboundKind.TEXT, text=questions[n % len(questions)])
        await service.handle(inbound, update_id=n)
        timeline.append((scheduled, (time.perf_counter() - scheduled) * 1000))

    stop = asyncio.Event()

    async def traffic() -> None:
        start, n = time.perf_counter(), 0
        while not stop.is_set():
            scheduled = start + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n, scheduled)))
            n += 1

    sender = asyncio.create_task(traffic())
    await asyncio.sleep(seconds)  # before: the real knowledge base answering
    async with app.database.transaction() as connection:
        changed = {**bundle, "checks.jsonl": bundle.get("checks.jsonl", "") + "\n"}
        await knowledge_revisions.publish(connection, changed, NewRevision("bench"), app.clock())
    rebuild_start = time.perf_counter()
    await app.knowledge.follow()
    rebuild_end = time.perf_counter()
    await asyncio.sleep(seconds)  # after: the 5,000-entry index answering
    stop.set()
    await sender
    await asyncio.gather(*tasks)
    await app.close()

    before = [ms for at, ms in timeline if at < rebuild_start]
    during = [ms for at, ms in timeline if rebuild_start <= at < rebuild_end]
    after = [ms for at, ms in timeline if at >= rebuild_end]
    print(f"Live reload on SQLite, {rate:g} messages/s, the new index {SIZE:,} entries")
    print(
        f"index built on a worker thread in {built_ms[0]:.0f} ms; follow() (read the revision, build, swap) "
        f"took {(rebuild_end - rebuild_start) * 1000:.0f} ms"
    )
    print(f"{'latency, ms':<22} {'msgs':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    print(row("before (real KB)", before))
    print(row("during the rebuild", during))
    print(row(f"after ({SIZE:,} entries)", after))
    print(f"answered: {len(timeline)} of {len(tasks)} messages sent")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0, help="messages per second (default 30)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds before and after the rebuild")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rate, arguments.seconds))
