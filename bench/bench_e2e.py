"""End-to-end benchmark: the real bot process (`python -m bot run`) against the loopback Bot API.

A burst of 10,000 messages from 2,000 chats (5 each: dev questions, commands, button presses), all enqueued
at once, answered by one bot process on SQLite and on PostgreSQL, then by two processes sharing one
PostgreSQL (a chat's updates alternating between them, then sharded by chat); after each burst the same
updates are delivered again (to the other process, when there are two). A paced run at Telegram's own cap
(30 messages/s) shows the latency of a message that does not queue behind thousands of others, and a bot
killed (SIGKILL) in the middle of a smaller burst and started again shows what a crash costs.

Prints the environment and, per scenario: messages answered exactly once, lost and doubled; replies to the
replayed updates; latency from getUpdates handing an update out to its reply reaching sendMessage (p50/p99);
throughput; CPU seconds of the bot process(es) per message and what that makes of one core at 30 msg/s.
Writes bench/results/e2e.json. It never asserts. Only loopback addresses are used; every bot process,
temporary file and database it makes is removed at the end, also when it fails or is interrupted.

    .venv/bin/python bench/bench_e2e.py [--chats N] [--per-chat N] [--only NAME ...] [--profile] [--json]

Each message's reply is told apart by its content: the messages of one chat are chosen so that their replies
differ, so every sendMessage is attributed to exactly one update without trusting the order of arrival.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import datetime
import json
import math
import os
import platform
import pstats
import random
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import telegram
from sqlalchemy.engine import make_url
from telegram import Update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.fakes: the loopback Bot API the end-to-end tests use

from bot.app import App, build  # noqa: E402
from bot.channels.telegram import chat_key, render, to_inbound  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.types import Session  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Sent  # noqa: E402
from tests.fakes.telegram_updates import callback_query, command, text_message  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "e2e.json"
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"  # trust auth; databases are made from here
FIRST_CHAT_ID = 500_000_001
MAX_DRAWS_PER_CHAT = 10_000  # inputs tried for one chat before the workload is given up

TELEGRAM_CAP = 30  # messages per second one bot may send (Telegram's broadcast limit)
TARGET_P99_MS = 50.0  # on SQLite
TARGET_CORE_PERCENT = 20.0  # of one core at TELEGRAM_CAP messages per second

START_TIMEOUT = 60.0  # s for a bot process to start polling
STALL_TIMEOUT = 30.0  # s without a new reply before the missing ones are counted lost
# The same after a restart. The replies the killed bot had stored but not sent go out when its claim on them
# ends (bot.shell.replies.DEFAULT_LEASE, 30 s), and its chats' next replies behind them: wait that long too.
CRASH_STALL_TIMEOUT = 45.0
# The Telegram-down scenario: from the moment the burst is enqueued every sendMessage is answered 500 for
# DOWN_SECONDS, and every FLOOD_EVERY-th chat is answered 429 with retry_after FLOOD_SECONDS for that long.
DOWN_SECONDS = 30.0
FLOOD_SECONDS = 90
FLOOD_EVERY = 20
SETTLE = 1.0  # s of quiet after the last expected reply, so late doubles are still counted
BURST_TIMEOUT = 240.0  # s for one burst at most
STOP_TIMEOUT = 120.0  # s for a bot to drain its queue and exit after SIGTERM; then it is killed
FAILED_STOP_TIMEOUT = 5.0  # the same when the scenario failed or the benchmark is interrupted
POLL = 0.05  # s between looks at the fakes

ReplyKey = tuple[str, tuple[tuple[str, str], ...]]  # the HTML and the (label, callback data) of every button


# -- the environment ------------------------------------------------------------------------------


def git(*arguments: str) -> str:
    try:
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


async def postgres_version() -> str:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        return f"unreachable ({type(error).__name__})"
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


async def environment() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    dirty = " + uncommitted changes" if git("status", "--porcelain", "bot", "knowledge", "tests/fakes") else ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": f"{cpu.group(1) if cpu else 'unknown'} × {os.cpu_count()}",
        "ptb": telegram.__version__,
        "postgresql": await postgres_version(),
        "git": (git("rev-parse", "--short", "HEAD").strip() or "unknown") + dirty,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


# -- the workload ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """Something a citizen sends."""

    kind: str  # "text", "command" or "button"
    value: str  # the text, the command's name or the button's callback data

    def update(self, update_id: int, chat_id: int) -> dict[str, Any]:
        if self.kind == "command":
            return command(update_id, chat_id, self.value)
        if self.kind == "button":
            return callback_query(update_id, chat_id, self.value)
        return text_message(update_id, chat_id, self.value)


@dataclass(frozen=True)
class Message:
    update_id: int
    chat_id: int
    position: int  # 0 for the chat's first message
    input: Input
    reply: ReplyKey  # what the bot must answer to it, given the chat's earlier messages

    @property
    def update(self) -> dict[str, Any]:
        return self.input.update(self.update_id, self.chat_id)


def expected_reply(app: App, given: Input, session: Session) -> tuple[ReplyKey | None, Session]:
    """What the bot sends for this input in a chat whose session is `session`, as one message (None if it
    takes several: such inputs are left out), and the chat's session afterwards.

    The reply can depend on the session (a guided calculator in progress reads the next text as its answer,
    the call-back offer is made once), so each chat's conversation is played through the core in order.
    """
    update = Update.de_json(given.update(1, FIRST_CHAT_ID), None)
    inbound = to_inbound(update)
    assert inbound is not None
    outcome = app.handle(replace(inbound, chat=session.chat), session)
    after = outcome.session if outcome.session is not None else session
    parts = [part for reply in outcome.replies for part in render(reply)]
    if len(parts) != 1:
        return None, after
    keyboard = parts[0].keyboard.inline_keyboard if parts[0].keyboard else ()
    return (parts[0].html, tuple((b.text, b.callback_data or "") for row in keyboard for b in row)), after


def sent_reply(sent: Sent) -> ReplyKey:
    return sent.html, tuple(sent.buttons)


def citizen_inputs(app: App) -> dict[str, list[Input]]:
    """Every dev question as asked, the three commands, and every menu, subject and answer button."""
    questions = [json.loads(line)["q"] for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    buttons = ["m", *(f"s:{item.subject}" for item in app.kb.menu if item.subject)]
    buttons += [f"a:{entry.id}" for entry in app.kb.entries.values() if entry.answerable]
    return {
        "text": [Input("text", q) for q in dict.fromkeys(questions)],
        "command": [Input("command", name) for name in ("start", "help", "menu")],
        "button": [Input("button", data) for data in buttons],
    }


def burst_of_messages(app: App, chats: int, per_chat: int, seed: int = 2026) -> list[Message]:
    """`per_chat` messages from each of `chats` chats, in a random interleaving that keeps each chat's order.

    Four in ten chats open with /start; then three of four messages are dev questions, one in ten a command
    and the rest button presses. Only messages whose reply does not depend on what the chat sent before are
    chosen (the same after the chat's earlier messages as in a new chat: no calculator started or answered,
    no one-time offer), so replies are attributed right even when two processes answer a chat's messages out
    of order; the replies within one chat all differ (see the module's docstring).
    """
    rng = random.Random(seed)
    inputs = citizen_inputs(app)
    groups, weights = ["text", "command", "button"], [0.75, 0.10, 0.15]
    start = Input("command", "start")
    conversations: dict[int, list[tuple[Input, ReplyKey]]] = {}
    in_a_new_chat: dict[Input, ReplyKey | None] = {}
    for chat_id in range(FIRST_CHAT_ID, FIRST_CHAT_ID + chats):
        session = Session(chat_key(chat_id))
        chosen: list[tuple[Input, ReplyKey]] = []
        first = [start] if rng.random() < 0.4 else []
        draws = 0
        while len(chosen) < per_chat:
            draws += 1
            if draws > MAX_DRAWS_PER_CHAT:
                raise RuntimeError(f"no {per_chat} inputs with different replies found for chat {chat_id}")
            candidate = first.pop() if first else rng.choice(inputs[rng.choices(groups, weights)[0]])
            reply, after = expected_reply(app, candidate, session)
            if candidate not in in_a_new_chat:  # the same for every chat: the chat key is not in the reply
                in_a_new_chat[candidate] = expected_reply(app, candidate, Session(session.chat))[0]
            alone = in_a_new_chat[candidate]
            if (
                reply is not None
                and reply == alone
                and after.flow is None  # a calculator started would read the chat's next message as its answer
                and all(reply != earlier for _, earlier in chosen)
            ):
                chosen.append((candidate, reply))
                session = after
        conversations[chat_id] = chosen
    turns = [chat_id for chat_id in conversations for _ in range(per_chat)]
    rng.shuffle(turns)
    positions: Counter[int] = Counter()
    messages = []
    for update_id, chat_id in enumerate(turns, start=1):
        position = positions[chat_id]
        positions[chat_id] += 1
        given, reply = conversations[chat_id][position]
        messages.append(Message(update_id, chat_id, position, given, reply))
    return messages


def split_between(messages: list[Message], processes: int, split: str) -> list[list[Message]]:
    """Each process's share: "alternating" gives a chat's consecutive messages to different processes (they
    contend for its session), "by chat" gives all of a chat's messages to one process (sharding)."""
    if processes == 1:
        return [messages]
    shares: list[list[Message]] = [[] for _ in range(processes)]
    for message in messages:
        chat = message.chat_id - FIRST_CHAT_ID
        shares[(chat + message.position) % processes if split == "alternating" else chat % processes].append(message)
    return shares


# -- databases --------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(kind: str, workdir: Path) -> AsyncIterator[str]:
    """The URL of an empty database: an SQLite file in `workdir`, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        return
    name = f"bench_e2e_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def stored_state(url: str, messages: list[Message]) -> dict[str, int]:
    """What the database holds after the run: one processed update and one logged interaction per message,
    and each chat's session advanced once per message it sent (no turn lost to two processes interleaving)."""
    counts = {
        "processed_updates": "SELECT count(*) FROM processed_updates",
        "interactions": "SELECT count(*) FROM interactions",
    }
    sessions = "SELECT key, turns FROM chat_sessions"
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(make_url(url).database or "")) as connection:
            stored = {name: connection.execute(sql).fetchone()[0] for name, sql in counts.items()}
            turns = dict(connection.execute(sessions).fetchall())
    else:
        connection = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
        try:
            stored = {name: await connection.fetchval(sql) for name, sql in counts.items()}
            turns = {row["key"]: row["turns"] for row in await connection.fetch(sessions)}
        finally:
            await connection.close()
    expected = Counter(chat_key(m.chat_id) for m in messages)
    stored["sessions"] = len(turns)
    stored["sessions_with_every_turn"] = sum(turns.get(chat) == count for chat, count in expected.items())
    return stored


async def postgres_backend_cpu_seconds(url: str) -> float:
    """CPU time of the PostgreSQL server processes serving the bot, counted for those still connected at the end
    (they connect during the burst): a lower bound, as the pool closes its overflow connections as it goes."""
    database = make_url(url).database
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'bhxh-bot'", database
        )
    finally:
        await connection.close()
    return sum(cpu_seconds(row["pid"]) for row in rows)


# -- bot processes ----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, all its threads (aiosqlite's included), from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def die_with_parent() -> None:
    """Runs in the child before exec: if this benchmark is killed outright, its bots get SIGTERM."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def bot_environment(database_url: str, base_url: str) -> dict[str, str]:
    """This environment without any of the bot's settings, then the ones the benchmark chooses."""
    settings = {name.upper() for name in Settings.model_fields}
    env = {name: value for name, value in os.environ.items() if name.upper() not in settings}
    return env | {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "DATABASE_URL": database_url,
        "PTB_TIMEDELTA": "true",
        "LOG_LEVEL": "WARNING",
    }


class BotProcess:
    """`python -m bot run` against one fake, with its log in a file; optionally under cProfile."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, fake: FakeTelegram, profiled: bool) -> None:
        self.process = process
        self.log = log
        self.fake = fake
        self.profiled = profiled
        self.webhooks_deleted = len(fake.calls_of("getWebhookInfo"))  # before this process started

    @classmethod
    async def start(
        cls, database_url: str, fake: FakeTelegram, workdir: Path, name: str, profile: Path | None = None
    ) -> BotProcess:
        log = workdir / f"{name}.log"
        env = bot_environment(database_url, fake.base_url)
        command = ["-m", "bot", "run"]
        if profile is not None:
            command = [str(ROOT / "bench" / "profile_bot.py"), "run"]
            env["BOT_PROFILE"] = str(profile)
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                cwd=workdir,  # so a developer's .env is not read
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                preexec_fn=die_with_parent,
            )
        return cls(process, log, fake, profile is not None)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    async def crash(self) -> None:
        """SIGKILL: no drain, no goodbye, as an out-of-memory kill or a power cut."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.process.wait()

    def profile(self, on: bool) -> None:
        """Switch the profiler of a profiled bot on or off (see profile_bot.py)."""
        if self.profiled and not self.exited:
            self.process.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)

    @property
    def exited(self) -> bool:
        return self.process.returncode is not None

    async def polling(self) -> None:
        """Return once the bot has checked for a webhook (its last step before long polling)."""
        deleted = self.webhooks_deleted + 1
        waiting = asyncio.ensure_future(self.fake.wait_for_calls("getWebhookInfo", deleted, timeout=START_TIMEOUT))
        exited = asyncio.ensure_future(self.process.wait())
        done, _ = await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiting, exited):
            task.cancel()
        if waiting not in done or waiting.cancelled() or waiting.exception():
            raise RuntimeError(f"the bot did not start; its log:\n{self.log.read_text(errors='replace')[-3000:]}")
        await asyncio.sleep(0.3)  # its first getUpdates is on its way

    async def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """SIGTERM, then wait for it to drain its queue and exit; killed after `timeout`. Whether it exited."""
        if self.exited:
            return True
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
            return True
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
            return False

    def log_lines(self) -> list[str]:
        """The bot's log records of WARNING and above, without their time stamps (the log level is WARNING,
        and the bot logs update ids, decisions and error classes, never what citizens wrote)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [line.partition(" ")[2].partition(" ")[2] for line in text.splitlines() if LOG_RECORD.match(line)]

    def tracebacks(self) -> int:
        return self.log.read_text(encoding="utf-8", errors="replace").count("Traceback")


LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (?:WARNING|ERROR|CRITICAL) ")


def log_summary(bots: list[BotProcess]) -> dict[str, Any]:
    lines = [f"bot{n}: {line}" for n, bot in enumerate(bots) for line in bot.log_lines()]
    return {
        "tracebacks": sum(bot.tracebacks() for bot in bots),
        "errors": sum(" ERROR " in line or " CRITICAL " in line for line in lines),
        "warnings": sum(" WARNING " in line for line in lines),
        "records": lines[:20],
    }


# -- what the fakes saw -------------------------------------------------------------------------------


@dataclass
class Replies:
    """Every sendMessage the fakes received, attributed to the message it answers by (chat, content)."""

    by_message: dict[int, list[Sent]] = field(default_factory=dict)  # update id -> its replies, as they came
    unattributed: list[Sent] = field(default_factory=list)  # anything else: busy notices, wrong answers

    @classmethod
    def collect(cls, messages: list[Message], sent: list[Sent]) -> Replies:
        answers = {(m.chat_id, m.reply): m.update_id for m in messages}
        replies = cls({m.update_id: [] for m in messages})
        for message in sent:
            update_id = answers.get((message.chat_id, sent_reply(message)))
            if update_id is None:
                replies.unattributed.append(message)
            else:
                replies.by_message[update_id].append(message)
        return replies

    def count(self, times: int) -> int:
        return sum(len(replies) == times for replies in self.by_message.values())

    @property
    def doubled(self) -> int:
        """Replies beyond the first to any one message."""
        return sum(max(0, len(replies) - 1) for replies in self.by_message.values())

    @property
    def total(self) -> int:
        return sum(len(replies) for replies in self.by_message.values()) + len(self.unattributed)


def replay_outcome(replies: Replies, answered_in_burst: set[int]) -> dict[str, int]:
    """The replies sent after the same updates were delivered again: to a message answered in the burst (a
    double), to one the burst left unanswered (it is recovered: at least once, late), or to nothing known."""
    doubles = sum(len(sent) for update_id, sent in replies.by_message.items() if update_id in answered_in_burst)
    recovered = sum(bool(sent) for update_id, sent in replies.by_message.items() if update_id not in answered_in_burst)
    return {"replay_doubles": doubles + len(replies.unattributed), "recovered_in_replay": recovered}


def all_sent(fakes: list[FakeTelegram], since: list[int] | None = None) -> list[Sent]:
    since = since or [0] * len(fakes)
    return [sent for fake, start in zip(fakes, since, strict=True) for sent in fake.outbox[start:]]


async def replies_to_the_burst(
    fakes: list[FakeTelegram], expected: int, bots: list[BotProcess], stall: float = STALL_TIMEOUT
) -> str:
    """Wait until `expected` replies came and then SETTLE s of quiet; or a stall, a dead bot or the timeout.
    How the wait ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BURST_TIMEOUT
    count, changed = 0, loop.time()
    while True:
        await asyncio.sleep(POLL)
        now, latest = loop.time(), sum(len(fake.outbox) for fake in fakes)
        if latest != count:
            count, changed = latest, now
        if count >= expected and now - changed >= SETTLE:
            return "complete"
        if any(bot.exited for bot in bots):
            return "a bot process exited"
        if now - changed >= stall:
            return f"stalled at {count} replies"
        if now >= deadline:
            return f"timed out at {count} replies"


async def every_update_taken(fakes: list[FakeTelegram], bots: list[BotProcess], timeout: float) -> bool:
    """Whether the bots fetched and confirmed every queued update within `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(fake.queued for fake in fakes):
        if loop.time() >= deadline or any(bot.exited for bot in bots):
            return False
        await asyncio.sleep(POLL)
    return True


# -- measures -----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latencies_ms(messages: list[Message], handed_out: dict[int, float], replies: Replies) -> list[float]:
    """Per answered message: from getUpdates handing its update out to its (first) reply reaching the fake."""
    return [
        (replies.by_message[m.update_id][0].at - handed_out[m.update_id]) * 1000
        for m in messages
        if replies.by_message[m.update_id] and m.update_id in handed_out
    ]


def chats_in_order(messages: list[Message], replies: Replies, shares: list[list[Message]]) -> dict[str, int]:
    """Chats whose replies arrived in the order of their messages; and chats whose replies kept the order
    within each process's share (all that one process can promise about the messages it was given)."""
    process_of = {m.update_id: n for n, share in enumerate(shares) for m in share}
    answered: dict[int, list[Message]] = {}
    for message in messages:
        if replies.by_message[message.update_id]:
            answered.setdefault(message.chat_id, []).append(message)
    in_order = in_order_per_process = 0
    for chat_messages in answered.values():
        arrived = sorted(chat_messages, key=lambda m: replies.by_message[m.update_id][0].at)
        positions = [m.position for m in arrived]
        in_order += positions == sorted(positions)
        shares_positions = [[m.position for m in arrived if process_of[m.update_id] == n] for n in range(len(shares))]
        in_order_per_process += all(p == sorted(p) for p in shares_positions)
    chats = len({m.chat_id for m in messages})
    return {"chats": chats, "in_order": in_order, "in_order_per_process": in_order_per_process}


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# -- scenarios ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    database: str  # "sqlite" or "postgresql"
    processes: int = 1
    split: str = "-"  # how two processes share the burst: "alternating" or "by chat"
    paced: float | None = None  # messages per second, instead of all at once
    replay: bool = True
    crash_after: int | None = None  # replies after which the bot is killed (SIGKILL) and started again
    telegram_down: bool = False  # sendMessage fails (5xx, long 429s) for a while: see DOWN_SECONDS


SCENARIOS = (
    Scenario("sqlite", "sqlite"),
    Scenario("postgresql", "postgresql"),
    Scenario("postgresql-2-alternating", "postgresql", 2, "alternating"),
    Scenario("postgresql-2-by-chat", "postgresql", 2, "by chat"),
    Scenario("sqlite-paced", "sqlite", paced=TELEGRAM_CAP, replay=False),
    Scenario("postgresql-paced", "postgresql", paced=TELEGRAM_CAP, replay=False),
    Scenario("sqlite-killed-mid-burst", "sqlite", replay=False, crash_after=200),
    Scenario("sqlite-telegram-down", "sqlite", telegram_down=True),
)
CRASH_CHATS = 400  # the killed-and-restarted run uses the messages of this many chats


async def enqueue_paced(fake: FakeTelegram, messages: list[Message], rate: float) -> None:
    """One update every 1/rate s, on a schedule that does not drift."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    for n, message in enumerate(messages):
        await asyncio.sleep(max(0.0, began + n / rate - loop.time()))
        fake.enqueue(message.update)


async def run_scenario(scenario: Scenario, messages: list[Message], profile: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_e2e_") as tmp:
        workdir = Path(tmp)
        async with fresh_database(scenario.database, workdir) as url:
            fakes = [await FakeTelegram().start() for _ in range(scenario.processes)]
            started: list[BotProcess] = []  # every process, the killed ones too

            async def start_bots() -> list[BotProcess]:
                bots = []
                for fake in fakes:
                    bots.append(await BotProcess.start(url, fake, workdir, f"bot{len(started)}", profile))
                    started.append(bots[-1])
                await asyncio.gather(*(bot.polling() for bot in bots))
                return bots

            stop_timeout = STOP_TIMEOUT
            try:
                result = await measure(scenario, messages, fakes, start_bots, url)
            except BaseException:
                stop_timeout = FAILED_STOP_TIMEOUT
                raise
            finally:
                stopped = await asyncio.gather(*(bot.stop(stop_timeout) for bot in started))
                for fake in fakes:
                    await fake.close()
            result["drained_on_stop"] = all(stopped)
            result["replay_doubles"] = result["recovered_in_replay"] = None
            if scenario.replay:
                after = Replies.collect(messages, all_sent(fakes, result.pop("burst_sent")))
                result |= replay_outcome(after, result.pop("answered_in_burst"))
            else:
                result.pop("burst_sent"), result.pop("answered_in_burst")
            result["stored"] = await stored_state(url, messages)
            result["log"] = log_summary(started)
            return result


class CpuMeter:
    """CPU seconds the bot processes spent since `start`, also across a kill and a restart."""

    def __init__(self) -> None:
        self.spent_before = 0.0
        self.baselines: dict[BotProcess, float] = {}

    def start(self, bots: list[BotProcess]) -> None:
        self.baselines = {bot: bot.cpu_seconds() for bot in bots}

    def spent(self) -> float:
        return self.spent_before + sum(bot.cpu_seconds() - base for bot, base in self.baselines.items())

    def stop(self) -> None:
        self.spent_before, self.baselines = self.spent(), {}


async def deliver_the_burst(
    scenario: Scenario,
    fakes: list[FakeTelegram],
    shares: list[list[Message]],
    bots: list[BotProcess],
    start_bots: Callable[[], Awaitable[list[BotProcess]]],
    meter: CpuMeter,
) -> tuple[str, list[BotProcess], dict[str, int] | None]:
    """Enqueue the burst (all at once, or paced), kill and restart the bots if the scenario says so, and wait
    for the replies. How the wait ended, the bots running at the end, and what there was at the kill."""
    expected = sum(len(share) for share in shares)
    if scenario.paced:
        pacing = asyncio.gather(*(enqueue_paced(f, s, scenario.paced) for f, s in zip(fakes, shares, strict=True)))
        ended = await replies_to_the_burst(fakes, expected, bots)
        await pacing
        return ended, bots, None
    stall = STALL_TIMEOUT
    if scenario.telegram_down:  # no reply can arrive before the 429s end: wait that long before calling it a stall
        flooded = sorted(
            {m.chat_id for share in shares for m in share if (m.chat_id - FIRST_CHAT_ID) % FLOOD_EVERY == 0}
        )
        for fake in fakes:
            fake.fail_for("sendMessage", 500, DOWN_SECONDS)
            fake.fail_for("sendMessage", 429, FLOOD_SECONDS, retry_after=FLOOD_SECONDS, chat_ids=flooded)
        stall = FLOOD_SECONDS + STALL_TIMEOUT
    for fake, share in zip(fakes, shares, strict=True):
        fake.enqueue(*(message.update for message in share))
    if scenario.crash_after:
        while sum(len(fake.outbox) for fake in fakes) < scenario.crash_after and not any(b.exited for b in bots):
            await asyncio.sleep(0.005)
        meter.stop()
        await asyncio.gather(*(bot.crash() for bot in bots))
        at_kill = {
            "replies": sum(len(fake.outbox) for fake in fakes),
            "held_by_the_bot_api": sum(fake.queued for fake in fakes),  # not yet confirmed by the bot
        }
        bots = await start_bots()
        meter.start(bots)
        return await replies_to_the_burst(fakes, expected, bots, CRASH_STALL_TIMEOUT), bots, at_kill
    return await replies_to_the_burst(fakes, expected, bots, stall), bots, None


def fault_summary(fakes: list[FakeTelegram], messages: list[Message], replies: Replies) -> dict[str, Any]:
    """What Telegram answered during the Telegram-down scenario, and when the replies came (s after the burst
    began, which is when the faults began)."""
    began = min(moment for fake in fakes for moment in fake.handed_out_at.values())
    sends = [call.status for fake in fakes for call in fake.calls_of("sendMessage")]
    firsts = [sent[0].at - began for sent in replies.by_message.values() if sent]
    flooded = {m.update_id for m in messages if (m.chat_id - FIRST_CHAT_ID) % FLOOD_EVERY == 0}
    flooded_firsts = [replies.by_message[u][0].at - began for u in flooded if replies.by_message[u]]
    return {
        "answered_500": sends.count(500),
        "answered_429": sends.count(429),
        "flooded_messages": len(flooded),
        "replies_before_fault_ended": sum(t < DOWN_SECONDS for t in firsts),
        "first_reply_s": rounded(min(firsts), 1) if firsts else None,
        "last_reply_s": rounded(max(firsts), 1) if firsts else None,
        "first_flooded_reply_s": rounded(min(flooded_firsts), 1) if flooded_firsts else None,
    }


async def measure(
    scenario: Scenario,
    messages: list[Message],
    fakes: list[FakeTelegram],
    start_bots: Callable[[], Awaitable[list[BotProcess]]],
    url: str,
) -> dict:
    """The burst (or the paced run), then the replay; stopping the bots is the caller's."""
    shares = split_between(messages, len(fakes), scenario.split)
    bots = await start_bots()
    for bot in bots:
        bot.profile(on=True)
    meter, own_before = CpuMeter(), own_cpu_seconds()
    meter.start(bots)
    ended, bots, at_kill = await deliver_the_burst(scenario, fakes, shares, bots, start_bots, meter)
    cpu, own_cpu = meter.spent(), own_cpu_seconds() - own_before
    for bot in bots:
        bot.profile(on=False)
    database_cpu = await postgres_backend_cpu_seconds(url) if scenario.database == "postgresql" else None
    burst_sent = [len(fake.outbox) for fake in fakes]
    replies = Replies.collect(messages, all_sent(fakes))
    answered_in_burst = {update_id for update_id, sent in replies.by_message.items() if sent}
    handed_out = {u: t for fake in fakes for u, t in fake.handed_out_at.items()}
    latencies = latencies_ms(messages, handed_out, replies)
    answered = [r[0].at for r in replies.by_message.values() if r]
    seconds = max(answered) - min(handed_out.values()) if answered and handed_out else None
    cpu_per_message = cpu / len(messages)
    result = {
        "scenario": scenario.name,
        "database": scenario.database,
        "processes": scenario.processes,
        "split": scenario.split,
        "mode": f"paced {scenario.paced:g}/s" if scenario.paced else "burst",
        "messages": len(messages),
        "ended": ended,
        "exactly_once": replies.count(1),
        "lost": replies.count(0),
        "doubled": replies.doubled,
        "unattributed": len(replies.unattributed),
        "p50_ms": rounded(percentile(latencies, 50)),
        "p99_ms": rounded(percentile(latencies, 99)),
        "max_ms": rounded(percentile(latencies, 100)),
        "seconds": rounded(seconds, 2),
        "all_fetched_after_s": rounded(max(handed_out.values()) - min(handed_out.values()), 2) if handed_out else None,
        "msgs_per_s": rounded(len(answered) / seconds if seconds else None),
        "bot_cpu_s": round(cpu, 2),
        "cpu_ms_per_msg": round(cpu_per_message * 1000, 3),
        "core_percent_at_30": round(cpu_per_message * TELEGRAM_CAP * 100, 1),
        "fake_cpu_ms_per_msg": round(own_cpu / len(messages) * 1000, 3),
        "postgres_cpu_ms_per_msg": rounded(database_cpu / len(messages) * 1000, 3) if database_cpu else None,
        "order": chats_in_order(messages, replies, shares),
        "burst_sent": burst_sent,
        "answered_in_burst": answered_in_burst,
    }
    if at_kill is not None:  # the CPU of two processes over a part of the burst each says little
        result |= {"mode": f"killed at {at_kill['replies']}", "at_kill": at_kill, "cpu_ms_per_msg": None}
        result["core_percent_at_30"] = None
    if scenario.telegram_down:
        result |= {"mode": "Telegram down", "fault": fault_summary(fakes, messages, replies)}
    if scenario.replay:
        replayed = shares[1:] + shares[:1]  # with two processes, each update goes to the other one
        for fake, share in zip(fakes, replayed, strict=True):
            fake.enqueue(*(message.update for message in share))
        result["replay_taken"] = await every_update_taken(fakes, bots, BURST_TIMEOUT)
    return result


# -- the report ---------------------------------------------------------------------------------------

COLUMNS = (
    ("scenario", "scenario", 26),
    ("db", "database", 10),
    ("proc", "processes", 4),
    ("mode", "mode", 16),
    ("msgs", "messages", 6),
    ("once", "exactly_once", 6),
    ("lost", "lost", 5),
    ("dbl", "doubled", 4),
    ("replay+", "replay_doubles", 7),
    ("p50 ms", "p50_ms", 8),
    ("p99 ms", "p99_ms", 8),
    ("msg/s", "msgs_per_s", 7),
    ("cpu ms/msg", "cpu_ms_per_msg", 10),
    ("%core@30", "core_percent_at_30", 8),
)


def print_table(results: list[dict]) -> None:
    print("".join(f"{title:>{width}} " for title, _, width in COLUMNS))
    for result in results:
        cells = ("-" if result.get(key) is None else result[key] for _, key, _ in COLUMNS)
        print("".join(f"{cell!s:>{width}} " for cell, (_, _, width) in zip(cells, COLUMNS, strict=True)))


def verdicts(result: dict) -> list[str]:
    """The issue's targets beside this scenario's figures."""
    once = result["exactly_once"] == result["messages"] and not result["doubled"] and not result["replay_doubles"]
    replay = "not replayed"
    if result["replay_doubles"] is not None:
        replay = f"replay: {result['replay_doubles']} doubles, {result['recovered_in_replay']} lost ones answered late"
    lines = [
        f"exactly once: {result['exactly_once']:,} of {result['messages']:,} ({result['lost']} lost, "
        f"{result['doubled']} doubled, {result['unattributed']} other replies); {replay} "
        f"(target all, zero doubles) {'ok' if once else 'MISSED'}",
    ]
    if "at_kill" in result:
        at_kill = result["at_kill"]
        lines.append(
            f"killed with SIGKILL after {at_kill['replies']:,} replies, when the Bot API still held "
            f"{at_kill['held_by_the_bot_api']:,} updates (every other one fetched and confirmed by the bot); "
            f"restarted on the same database: {result['lost']:,} messages never answered"
        )
    else:
        cheap = result["core_percent_at_30"] < TARGET_CORE_PERCENT
        lines.append(
            f"CPU: {result['cpu_ms_per_msg']} ms/msg = {result['core_percent_at_30']}% of one core at {TELEGRAM_CAP} "
            f"msg/s (target < {TARGET_CORE_PERCENT:g}%) {'ok' if cheap else 'MISSED'}"
        )
    if "fault" in result:
        fault = result["fault"]
        lines.append(
            f"Telegram down: every sendMessage answered 500 for {DOWN_SECONDS:g} s ({fault['answered_500']:,} "
            f"answered), every {FLOOD_EVERY}th chat 429 with retry_after {FLOOD_SECONDS} for {FLOOD_SECONDS} s "
            f"({fault['answered_429']:,} answered, {fault['flooded_messages']:,} messages); replies before the "
            f"5xx ended: {fault['replies_before_fault_ended']}; first reply at {fault['first_reply_s']} s, first "
            f"to a flooded chat at {fault['first_flooded_reply_s']} s, last at {fault['last_reply_s']} s"
        )
    elif result["database"] == "sqlite" and result["p99_ms"] is not None and "at_kill" not in result:
        verdict = "ok" if result["p99_ms"] <= TARGET_P99_MS else "MISSED"
        lines.append(f"p99 {result['p99_ms']} ms (target ≤ {TARGET_P99_MS:g} ms on SQLite) {verdict}")
        if result["mode"] == "burst":
            lines.append(
                f"  the bot fetched all {result['messages']:,} updates within {result['all_fetched_after_s']} s and "
                f"answered {result['msgs_per_s']} msg/s: the latency is the wait in its own queue"
            )
    order = result["order"]
    lines.append(
        f"per-chat order: {order['in_order']:,} of {order['chats']:,} chats in message order, "
        f"{order['in_order_per_process']:,} in order within each process's share"
    )
    stored = result["stored"]
    lines.append(
        f"stored: {stored['processed_updates']:,} processed updates, {stored['interactions']:,} interactions, "
        f"{stored['sessions_with_every_turn']:,} of {order['chats']:,} chats' sessions advanced once per message"
    )
    extra = [f"fake Bot API {result['fake_cpu_ms_per_msg']} ms CPU/msg"]
    if result["postgres_cpu_ms_per_msg"] is not None:
        extra.append(f"PostgreSQL ≥ {result['postgres_cpu_ms_per_msg']} ms CPU/msg (backends still connected)")
    log = result["log"]
    extra.append(f"bot log: {log.get('tracebacks', 0)} tracebacks, {log.get('errors', 0)} errors, "
                 f"{log.get('warnings', 0)} warnings")  # fmt: skip
    lines.append("; ".join(extra))
    lines.extend(f"  {record}" for record in log["records"])
    if result["ended"] != "complete" or result.get("replay_taken") is False or not result["drained_on_stop"]:
        lines.append(f"INCOMPLETE: burst {result['ended']}, replay taken {result.get('replay_taken')}, "
                     f"drained on stop {result['drained_on_stop']}")  # fmt: skip
    return lines


def code_owner(filename: str, function: str) -> str:
    """Who a profiled function belongs to: the bot's package, an installed library, the standard library."""
    if library := re.search(r"site-packages/([^/]+)", filename):
        return library.group(1).removesuffix(".py")
    if "/bot/" in filename:
        return "bot." + filename.rpartition("/bot/")[2].removesuffix(".py").replace("/", ".").split(".")[0]
    if filename.startswith("<frozen importlib"):
        return "importlib (imports that fail: not cached, so retried)"
    if filename == "~":  # C functions
        if "poll" in function and "epoll" in function:
            return "waiting in epoll (idle)"
        return "C built-ins"
    stdlib = re.search(r"python3\.\d+/([^/]+)", filename)
    return "stdlib " + (stdlib.group(1).removesuffix(".py") if stdlib else filename)


def print_profile(path: Path, messages: int, limit: int = 20) -> dict[str, float]:
    """Own time by package, then the functions with most own time, in ms per message."""
    stats = pstats.Stats(str(path))
    owners: Counter[str] = Counter()
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        owners[code_owner(filename, function)] += own
    total = sum(owners.values())
    print(f"\ncProfile of the bot's main thread during the burst: own time by package ({total:.1f} s in all)")
    for owner, own in owners.most_common(limit):
        print(f"{own / messages * 1000:8.3f} ms/msg {own / total * 100:5.1f}%  {owner}")
    print("\nfunctions with the most own time (ms per message):")
    ranked = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:limit]  # type: ignore[attr-defined]
    for (filename, line, function), (_, calls, own, _, _) in ranked:
        where = f"{filename.rpartition('site-packages/')[2].rpartition('/work/main/')[2]}:{line}({function})"
        print(f"{own / messages * 1000:8.3f} {calls / messages:7.2f} calls/msg  {where}")
    return {owner: round(own / messages * 1000, 3) for owner, own in owners.most_common(limit)}


# -- main ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def settings_from_defaults() -> Iterator[None]:
    """Build the expectations with the settings the bot processes get: the defaults, no .env, no overrides."""
    names = {name.upper() for name in Settings.model_fields}
    saved = {name: value for name, value in os.environ.items() if name.upper() in names}
    for name in saved:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(saved)


async def run(args: argparse.Namespace) -> dict:
    env = await environment()
    print("\n".join(f"{k:>11}: {v}" for k, v in env.items()) + "\n")
    with settings_from_defaults():
        app = build(Settings(_env_file=None))  # type: ignore[call-arg]
    messages = burst_of_messages(app, args.chats, args.per_chat)
    kinds = Counter(m.input.kind for m in messages)
    print(f"workload: {len(messages):,} messages from {args.chats:,} chats, {args.per_chat} each; "
          f"{dict(kinds)}; {len({m.reply for m in messages})} distinct replies")  # fmt: skip
    paced = messages[: int(TELEGRAM_CAP * args.paced_seconds)]
    results = []
    for scenario in SCENARIOS:
        if args.only and scenario.name not in args.only:
            continue
        workload = paced if scenario.paced else messages
        if scenario.crash_after:
            workload = [m for m in messages if m.chat_id < FIRST_CHAT_ID + CRASH_CHATS]
        began = time.perf_counter()
        print(f"\n== {scenario.name}: {len(workload):,} messages, {scenario.processes} process(es) ...", flush=True)
        try:
            result = await run_scenario(scenario, workload)
        except Exception as error:  # one scenario failing must not cost the others
            print(f"FAILED: {type(error).__name__}: {error}")
            results.append({"scenario": scenario.name, "failed": f"{type(error).__name__}: {error}"})
            continue
        result["wall_s"] = round(time.perf_counter() - began, 1)
        results.append(result)
        print(f"   ({result['wall_s']} s, including start, replay and stop)")
        print("\n".join(f"   {line}" for line in verdicts(result)))
    print()
    print_table([r for r in results if "failed" not in r])
    print("(latency: from getUpdates handing the update out to the reply reaching sendMessage; msg/s: messages "
          "answered / time from the first update handed out to the last reply; cpu: the bot process(es) only, "
          "start-up excluded; %core@30 = cpu per message × 30 msg/s; replay+: second replies to messages answered, "
          "after the same updates were delivered again)")  # fmt: skip
    report = {"environment": env, "workload": {"messages": len(messages), "chats": args.chats}, "scenarios": results}
    if args.profile:
        scenario = Scenario("sqlite-profiled", "sqlite", replay=False)
        sample = [m for m in messages if m.chat_id < FIRST_CHAT_ID + args.profile_chats]
        with tempfile.TemporaryDirectory(prefix="bench_e2e_profile_") as tmp:
            path = args.profile_out or Path(tmp) / "bot.prof"
            print(f"\n== profile: {len(sample):,} messages on SQLite, bot under cProfile (figures inflated)")
            profiled = await run_scenario(scenario, sample, path)
            print("\n".join(f"   {line}" for line in verdicts(profiled)))
            profiled["ms_per_msg_by_package"] = print_profile(path, len(sample))
            report["profile"] = profiled
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--per-chat", type=int, default=5)
    parser.add_argument("--paced-seconds", type=float, default=15, help="length of the paced runs")
    parser.add_argument("--only", nargs="+", choices=[s.name for s in SCENARIOS], help="run only these scenarios")
    parser.add_argument("--profile", action="store_true", help="also profile the bot process with cProfile")
    parser.add_argument("--profile-chats", type=int, default=600, help="chats in the profiled burst")
    parser.add_argument("--profile-out", type=Path, help="keep the profile in this file (pstats format)")
    parser.add_argument("--json", action="store_true", help="print the JSON results on stdout")
    args = parser.parse_args()
    return run_and_report(run, args, RESULTS)


def run_and_report(
    run: Callable[[argparse.Namespace], Awaitable[dict]], args: argparse.Namespace, results: Path
) -> int:
    """`run(args)` (its printing to stderr with --json), its report written to `results` and, with --json,
    printed; Ctrl-C or SIGTERM cleans up as the scenarios' own blocks end."""

    async def guarded() -> dict:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)  # clean up as on Ctrl-C
        return await run(args)

    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        try:
            report = asyncio.run(guarded())
        except (KeyboardInterrupt, asyncio.CancelledError):
            print("\ninterrupted; its bot processes, files and databases are gone", file=sys.stderr)
            return 130
    text = json.dumps(report, ensure_ascii=False, indent=2, default=list)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
