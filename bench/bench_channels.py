"""Channels benchmark: the real bot processes (`python -m bot run`) taking webhooks and web chat over loopback HTTP.

Three scenarios, each on a fresh PostgreSQL database dropped afterwards:

  telegram-webhook  two instances on one database, each on its own WEB_PORT; the benchmark posts the updates of
                    2,000 chats × 5 messages to their POST /webhooks/telegram with the secret, a chat's messages
                    alternating between the instances and its next message posted only once the previous one was
                    acknowledged (as Telegram does per chat), 50 requests in flight; the loopback Bot API takes the
                    replies. Then every update is posted again, to the other instance (Telegram redelivering).
  zalo-bot-webhook  one instance; 2,000 events to POST /webhooks/zalo-bot, every 10th delivered twice (half of
                    those twice at once, half again after the burst); the loopback Zalo Bot API takes the replies.
  web-chat          one instance; 500 sessions at once, each its own cookie jar and client address, each sending a
                    few questions to POST /chat/messages with a pause between them, every 5th message sent again
                    with the same client_msg_id (half at once, half after the answer came).

Prints the machine, the load average, and per scenario: messages answered exactly once, lost and doubled; per-chat
order; request time (posted to answered, measured at the client: the server's time plus loopback and this
process's own event loop) p50/p99; CPU of the bot processes per message. Writes bench/results/channels.json. It
never asserts. Only loopback addresses are used; every bot process and database it makes is removed at the end.

    .venv/bin/python bench/bench_channels.py [--only NAME ...] [--chats N] [--per-chat N] [--zalo-events N]
                                             [--sessions N] [--session-messages N] [--think MIN MAX] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import gc
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import telegram

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_e2e as e2e  # noqa: E402  (bench/ is this script's directory)

from bot.app import App, build  # noqa: E402
from bot.channels.zalo_bot.render import render_all as zalo_render_all  # noqa: E402
from bot.channels.zalo_bot.updates import chat_key as zalo_chat_key  # noqa: E402
from bot.channels.zalo_bot.updates import parse as zalo_parse  # noqa: E402
from bot.channels.zalo_bot.updates import to_inbound as zalo_to_inbound  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.types import Session  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.fakes.zalo_bot_api import TOKEN as ZALO_TOKEN  # noqa: E402
from tests.fakes.zalo_bot_api import FakeZaloBot, text_event  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "channels.json"
TELEGRAM_SECRET = "bench-telegram-webhook-secret_0123456789"
TELEGRAM_WEBHOOK_URL = "https://bot.example.vn/webhooks/telegram"  # never called: the benchmark posts itself
ZALO_SECRET = "bench-zalo-webhook-secret-0123456789"
TARGET_WEB_P99_MS = 100.0
READY_TIMEOUT = 60.0  # s for an instance to answer /healthz
REQUEST_TIMEOUT = 30.0  # s for one webhook or chat request
RETRIES = 10  # a webhook request answered 5xx or failed is posted again (Telegram and Zalo do), this many times
RETRY_PAUSE = 0.5  # s before posting again
STOP_TIMEOUT = 60.0


# -- the machine ------------------------------------------------------------------------------------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


async def environment() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": f"{cpu.group(1) if cpu else 'unknown'} × {os.cpu_count()}",
        "ptb": telegram.__version__,
        "httpx": httpx.__version__,
        "postgresql": await e2e.postgres_version(),
        "load average": load_average(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


# -- instances ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Instance:
    """One `python -m bot run` with its web server on `port` (the e2e benchmark's BotProcess for stop, CPU, log)."""

    bot: e2e.BotProcess
    port: int
    drained: bool = False  # exited by itself after SIGTERM

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    async def start(cls, env: dict[str, str], workdir: Path, name: str, fake: Any) -> Instance:
        port = free_port()
        log = workdir / f"{name}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=workdir,  # so a developer's .env is not read
                env=env | {"WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), "PYTHONPATH": str(ROOT)},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                preexec_fn=e2e.die_with_parent,
            )
        return cls(e2e.BotProcess(process, log, fake, False), port)

    async def ready(self) -> None:
        """Return once GET /healthz answers 200 (the web server is up, hence the webhook route)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while loop.time() < deadline and not self.bot.exited:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the bot did not start; its log:\n{self.bot.log.read_text(errors='replace')[-3000:]}")


def telegram_webhook_env(url: str, fake: FakeTelegram) -> dict[str, str]:
    return e2e.bot_environment(url, fake.base_url) | {
        "TELEGRAM_WEBHOOK_URL": TELEGRAM_WEBHOOK_URL,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
    }


def zalo_bot_env(url: str, fake: FakeZaloBot) -> dict[str, str]:
    env = e2e.bot_environment(url, fake.base_url)
    del env["TELEGRAM_BOT_TOKEN"], env["TELEGRAM_API_BASE_URL"]
    return env | {
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "ZALO_BOT_API_BASE_URL": fake.base_url,
        "ZALO_BOT_WEBHOOK_SECRET": ZALO_SECRET,
        "ZALO_BOT_MONTHLY_QUOTA": "100000000",  # no quota warnings in the log
    }


@contextlib.asynccontextmanager
async def instances(envs: list[dict[str, str]], workdir: Path, fake: Any) -> Any:
    started: list[Instance] = []
    timeout = STOP_TIMEOUT
    try:
        for n, env in enumerate(envs):
            started.append(await Instance.start(env, workdir, f"bot{n}", fake))
        await asyncio.gather(*(instance.ready() for instance in started))
        yield started
    except BaseException:
        timeout = e2e.FAILED_STOP_TIMEOUT
        raise
    finally:
        stopped = await asyncio.gather(*(instance.bot.stop(timeout) for instance in started))
        for instance, ok in zip(started, stopped, strict=True):
            instance.drained = ok


class Meter:
    """CPU seconds of the instances (and of this process) from `start` to `stop`."""

    def __init__(self, running: list[Instance]) -> None:
        self.running = running
        self.base = [instance.bot.cpu_seconds() for instance in running]
        self.own = e2e.own_cpu_seconds()
        self.bots = self.bench = 0.0

    def stop(self) -> None:
        self.bots = sum(i.bot.cpu_seconds() - b for i, b in zip(self.running, self.base, strict=True))
        self.bench = e2e.own_cpu_seconds() - self.own


# -- posting --------------------------------------------------------------------------------------------


@dataclass
class Posted:
    """Every request the benchmark made: its time (ms, posted to answered) and status; 0 for a failed request."""

    times_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    retried: int = 0
    began: list[float] = field(default_factory=list)  # when each request was posted (time.perf_counter)
    errors: Counter[str] = field(default_factory=Counter)  # requests without an answer, by exception

    def note(self, began: float, status: int, error: Exception | None = None) -> None:
        self.times_ms.append((time.perf_counter() - began) * 1000)
        self.began.append(began)
        self.statuses[status] += 1
        if error is not None:
            self.errors[type(error).__name__] += 1

    def __add__(self, other: Posted) -> Posted:
        return Posted(
            self.times_ms + other.times_ms,
            self.statuses + other.statuses,
            self.retried + other.retried,
            self.began + other.began,
            self.errors + other.errors,
        )

    def slow(self, over_ms: float, since: float) -> dict[int, int]:
        """Requests that took over `over_ms`, by the second (after `since`) they were posted in."""
        seconds = Counter(int(b - since) for b, ms in zip(self.began, self.times_ms, strict=True) if ms > over_ms)
        return dict(sorted(seconds.items()))


async def post_until_taken(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str], posted: Posted
) -> None:
    """POST as the platform does: again after a pause when the answer is not 200 (or none came)."""
    for attempt in range(RETRIES + 1):
        began = time.perf_counter()
        try:
            response = await client.post(path, json=body, headers=headers)
            status, error = response.status_code, None
        except httpx.HTTPError as failed:
            status, error = 0, failed
        posted.note(began, status, error)
        if status == 200 or 400 <= status < 500:
            return
        if attempt < RETRIES:
            posted.retried += 1
            await asyncio.sleep(RETRY_PAUSE)


async def run_workers(count: int, worker: Callable[[], Awaitable[None]]) -> None:
    await asyncio.gather(*(worker() for _ in range(count)))


def figures(values: list[float]) -> dict[str, float | None]:
    return {
        "p50_ms": e2e.rounded(e2e.percentile(values, 50)),
        "p99_ms": e2e.rounded(e2e.percentile(values, 99)),
        "max_ms": e2e.rounded(e2e.percentile(values, 100)),
    }


def limits() -> httpx.Limits:
    return httpx.Limits(max_connections=200, max_keepalive_connections=200)


# -- 1. Telegram by webhook, two instances ---------------------------------------------------------------


async def telegram_webhook(app: App, args: argparse.Namespace) -> dict[str, Any]:
    messages = e2e.burst_of_messages(app, args.chats, args.per_chat)
    by_chat: dict[int, list[e2e.Message]] = defaultdict(list)
    for message in sorted(messages, key=lambda m: (m.chat_id, m.position)):
        by_chat[message.chat_id].append(message)
    instance_of = {m.update_id: (m.chat_id - e2e.FIRST_CHAT_ID + m.position) % 2 for m in messages}
    shares = [[m for m in messages if instance_of[m.update_id] == n] for n in range(2)]
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    with tempfile.TemporaryDirectory(prefix="bench_channels_") as tmp:
        async with e2e.fresh_database("postgresql", Path(tmp)) as url, FakeTelegram() as fake:
            env = telegram_webhook_env(url, fake)
            async with instances([env, env], Path(tmp), fake) as running:
                clients = [httpx.AsyncClient(base_url=i.url, timeout=REQUEST_TIMEOUT, limits=limits()) for i in running]
                posted, replayed = Posted(), Posted()
                posted_at: dict[int, float] = {}
                try:
                    queue: asyncio.Queue[int] = asyncio.Queue()
                    order = list(by_chat)
                    random.Random(17).shuffle(order)
                    for chat_id in order:
                        queue.put_nowait(chat_id)
                    next_position: Counter[int] = Counter()

                    async def per_chat_worker() -> None:
                        while not queue.empty():
                            chat_id = queue.get_nowait()
                            message = by_chat[chat_id][next_position[chat_id]]
                            next_position[chat_id] += 1
                            posted_at[message.update_id] = time.perf_counter()
                            client = clients[instance_of[message.update_id]]
                            await post_until_taken(client, "/webhooks/telegram", message.update, headers, posted)
                            if next_position[chat_id] < len(by_chat[chat_id]):
                                queue.put_nowait(chat_id)  # its next message, after the other chats' turns

                    meter = Meter(running)
                    began = time.perf_counter()
                    await run_workers(args.in_flight, per_chat_worker)
                    acknowledged_s = time.perf_counter() - began
                    ended = await e2e.replies_to_the_burst([fake], len(messages), [i.bot for i in running])
                    meter.stop()
                    database_cpu = await e2e.postgres_backend_cpu_seconds(url)
                    burst_sent = len(fake.outbox)
                    replies = e2e.Replies.collect(messages, fake.outbox)
                    answered_in_burst = {u for u, sent in replies.by_message.items() if sent}

                    replay_queue = [m for m in messages]
                    random.Random(18).shuffle(replay_queue)

                    async def replay_worker() -> None:
                        while replay_queue:
                            message = replay_queue.pop()
                            client = clients[1 - instance_of[message.update_id]]
                            await post_until_taken(client, "/webhooks/telegram", message.update, headers, replayed)

                    await run_workers(args.in_flight, replay_worker)
                    await asyncio.sleep(e2e.SETTLE * 3)  # replies a replay wrongly sends would come by now
                finally:
                    for client in clients:
                        await client.aclose()
            after = e2e.Replies.collect(messages, fake.outbox[burst_sent:])
            reply_ms = [
                (sent[0].at - posted_at[update_id]) * 1000
                for update_id, sent in replies.by_message.items()
                if sent and update_id in posted_at
            ]
            return {
                "scenario": "telegram-webhook",
                "instances": 2,
                "messages": len(messages),
                "chats": len(by_chat),
                "in_flight": args.in_flight,
                "ended": ended,
                "exactly_once": replies.count(1),
                "lost": replies.count(0),
                "doubled": replies.doubled,
                "unattributed": len(replies.unattributed),
                **e2e.replay_outcome(after, answered_in_burst),
                "order": e2e.chats_in_order(messages, replies, shares),
                "request": figures(posted.times_ms),
                "statuses": dict(posted.statuses),
                "retried": posted.retried,
                "replay_request": figures(replayed.times_ms),
                "replay_statuses": dict(replayed.statuses),
                "replay_retried": replayed.retried,
                "errors": dict(posted.errors + replayed.errors),
                "slow_by_second": posted.slow(1000, began),
                "reply": figures(reply_ms),
                "acknowledged_s": round(acknowledged_s, 2),
                "msgs_per_s": round(len(messages) / acknowledged_s, 1),
                "bot_cpu_ms_per_msg": round(meter.bots / len(messages) * 1000, 3),
                "postgres_cpu_ms_per_msg": e2e.rounded(database_cpu / len(messages) * 1000, 3),
                "bench_cpu_ms_per_msg": round(meter.bench / len(messages) * 1000, 3),
                "stored": await e2e.stored_state(url, messages),
                "log": e2e.log_summary([i.bot for i in running]),
                "drained_on_stop": all(i.drained for i in running),
            }


def telegram_lines(r: dict[str, Any]) -> list[str]:
    once = r["exactly_once"] == r["messages"] and not r["doubled"] and not r["replay_doubles"]
    order = r["order"]
    return [
        f"{r['messages']:,} updates from {r['chats']:,} chats to 2 instances, a chat's messages alternating between "
        f"them, {r['in_flight']} requests in flight; all acknowledged in {r['acknowledged_s']} s "
        f"({r['msgs_per_s']} msg/s); replies {r['ended']}",
        f"exactly once: {r['exactly_once']:,} of {r['messages']:,} ({r['lost']} lost, {r['doubled']} doubled, "
        f"{r['unattributed']} other replies); every update posted again to the other instance: "
        f"{r['replay_doubles']} doubles, {r['recovered_in_replay']} lost ones answered late "
        f"(target all, zero doubles) {'ok' if once else 'MISSED'}",
        f"per-chat order: {order['in_order']:,} of {order['chats']:,} chats' replies in message order",
        f"webhook request (post to 200): p50 {r['request']['p50_ms']} ms, p99 {r['request']['p99_ms']} ms, max "
        f"{r['request']['max_ms']} ms; statuses {r['statuses']}, {r['retried']} posted again; "
        f"replay: p99 {r['replay_request']['p99_ms']} ms, statuses {r['replay_statuses']}, {r['replay_retried']} "
        f"posted again; no answer: {r['errors'] or 'none'}",
        f"requests over 1 s, by the second of the burst they were posted in: {r['slow_by_second']}",
        f"post to reply at the Bot API: p50 {r['reply']['p50_ms']} ms, p99 {r['reply']['p99_ms']} ms",
        *common_lines(r),
    ]


# -- 2. Zalo Bot by webhook, duplicate deliveries -------------------------------------------------------------


def zalo_workload(app: App, events: int, seed: int = 2027) -> list[tuple[dict[str, Any], list[str]]]:
    """One event per chat (a dev question), with the messages the bot must send for it in a new chat."""
    rng = random.Random(seed)
    questions = [q.value for q in e2e.citizen_inputs(app)["text"]]
    expected: dict[str, list[str]] = {}
    workload = []
    for n in range(events):
        chat_id = f"zchat-{n:06d}"
        question = rng.choice(questions)
        event = text_event(f"zmsg-{n:06d}", chat_id, question)
        if question not in expected:
            inbound = zalo_to_inbound(zalo_parse(event))
            session = Session(zalo_chat_key(chat_id))
            expected[question] = zalo_render_all(app.handle(replace(inbound, chat=session.chat), session).replies)
        workload.append((event, expected[question]))
    return workload


async def zalo_bot_webhook(app: App, args: argparse.Namespace) -> dict[str, Any]:
    workload = zalo_workload(app, args.zalo_events)
    headers = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
    twice_at_once = [n for n in range(len(workload)) if n % 10 == 0 and n % 20 == 0]
    twice_later = [n for n in range(len(workload)) if n % 10 == 0 and n % 20 != 0]
    with tempfile.TemporaryDirectory(prefix="bench_channels_") as tmp:
        async with e2e.fresh_database("postgresql", Path(tmp)) as url, FakeZaloBot() as fake:
            async with instances([zalo_bot_env(url, fake)], Path(tmp), fake) as running:
                client = httpx.AsyncClient(base_url=running[0].url, timeout=REQUEST_TIMEOUT, limits=limits())
                posted, duplicates = Posted(), Posted()
                try:
                    jobs = list(range(len(workload)))
                    jobs.reverse()
                    at_once = set(twice_at_once)

                    async def worker() -> None:
                        while jobs:
                            n = jobs.pop()
                            event = workload[n][0]
                            if n in at_once:
                                await asyncio.gather(
                                    post_until_taken(client, "/webhooks/zalo-bot", event, headers, posted),
                                    post_until_taken(client, "/webhooks/zalo-bot", event, headers, duplicates),
                                )
                            else:
                                await post_until_taken(client, "/webhooks/zalo-bot", event, headers, posted)

                    meter = Meter(running)
                    began = time.perf_counter()
                    await run_workers(args.in_flight, worker)
                    later = [workload[n][0] for n in twice_later]

                    async def again() -> None:
                        while later:
                            await post_until_taken(client, "/webhooks/zalo-bot", later.pop(), headers, duplicates)

                    await run_workers(args.in_flight, again)
                    seconds = time.perf_counter() - began
                    await asyncio.sleep(e2e.SETTLE)
                    meter.stop()
                    database_cpu = await e2e.postgres_backend_cpu_seconds(url)
                finally:
                    await client.aclose()
            sent: dict[str, list[str]] = defaultdict(list)
            for message in fake.outbox:
                sent[message.chat_id].append(message.text)
            outcome: Counter[str] = Counter()
            for event, expected in workload:
                got = sent.get(event["message"]["chat"]["id"], [])
                if got == expected:
                    outcome["once"] += 1
                elif not got:
                    outcome["lost"] += 1
                elif got == expected * 2:
                    outcome["doubled"] += 1
                else:
                    outcome["other"] += 1
            deliveries = len(workload) + len(twice_at_once) + len(twice_later)
            stored = await processed_updates(url)
            return {
                "scenario": "zalo-bot-webhook",
                "instances": 1,
                "messages": len(workload),
                "deliveries": deliveries,
                "duplicated_at_once": len(twice_at_once),
                "duplicated_later": len(twice_later),
                "in_flight": args.in_flight,
                "exactly_once": outcome["once"],
                "lost": outcome["lost"],
                "doubled": outcome["doubled"],
                "other": outcome["other"],
                "sent_messages": len(fake.outbox),
                "expected_messages": sum(len(expected) for _, expected in workload),
                "request": figures(posted.times_ms + duplicates.times_ms),
                "first_request": figures(posted.times_ms),
                "duplicate_request": figures(duplicates.times_ms),
                "statuses": dict(posted.statuses + duplicates.statuses),
                "retried": posted.retried + duplicates.retried,
                "seconds": round(seconds, 2),
                "msgs_per_s": round(deliveries / seconds, 1),
                "bot_cpu_ms_per_msg": round(meter.bots / deliveries * 1000, 3),
                "postgres_cpu_ms_per_msg": e2e.rounded(database_cpu / deliveries * 1000, 3),
                "bench_cpu_ms_per_msg": round(meter.bench / deliveries * 1000, 3),
                "stored": {"processed_updates": stored},
                "log": e2e.log_summary([i.bot for i in running]),
                "drained_on_stop": all(i.drained for i in running),
            }


async def processed_updates(url: str) -> int:
    connection = await asyncpg.connect(e2e.asyncpg_dsn(url), timeout=5)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM processed_updates"))
    finally:
        await connection.close()


def zalo_lines(r: dict[str, Any]) -> list[str]:
    once = r["exactly_once"] == r["messages"]
    return [
        f"{r['messages']:,} events (one chat each) in {r['deliveries']:,} deliveries: {r['duplicated_at_once']} "
        f"delivered twice at once, {r['duplicated_later']} again after the burst; {r['in_flight']} in flight; "
        f"{r['seconds']} s ({r['msgs_per_s']} deliveries/s)",
        f"exactly once: {r['exactly_once']:,} of {r['messages']:,} ({r['lost']} lost, {r['doubled']} doubled, "
        f"{r['other']} other); {r['sent_messages']:,} sendMessage for {r['expected_messages']:,} expected "
        f"(target all, zero doubles) {'ok' if once else 'MISSED'}",
        f"webhook request (post to 200: stored, then answered by the worker): p50 {r['request']['p50_ms']} ms, p99 "
        f"{r['request']['p99_ms']} ms, max {r['request']['max_ms']} ms; first deliveries p99 "
        f"{r['first_request']['p99_ms']} ms, duplicates p99 {r['duplicate_request']['p99_ms']} ms; statuses "
        f"{r['statuses']}, {r['retried']} posted again",
        f"stored: {r['stored']['processed_updates']:,} processed updates",
        *common_lines(r),
    ]


# -- 3. the web chat, 500 sessions ------------------------------------------------------------------------


@dataclass
class ChatRecord:
    """What one client_msg_id got: every response's status and replies."""

    session: int
    answers: list[tuple[int, Any]] = field(default_factory=list)


async def web_chat(app: App, args: argparse.Namespace) -> dict[str, Any]:
    questions = [q.value for q in e2e.citizen_inputs(app)["text"]]
    rng = random.Random(2028)
    plans = [[rng.choice(questions) for _ in range(args.session_messages)] for _ in range(args.sessions)]
    records: dict[str, ChatRecord] = {}
    first, retry = Posted(), Posted()
    server_ms: list[float] = []  # the bot's own time per message (its Server-Timing header): the target's measure
    think_min, think_max = args.think
    with tempfile.TemporaryDirectory(prefix="bench_channels_") as tmp:
        async with e2e.fresh_database("postgresql", Path(tmp)) as url, FakeTelegram() as fake:
            async with instances([telegram_webhook_env(url, fake)], Path(tmp), fake) as running:
                base = running[0].url
                counter = 0

                # Each session its own cookie jar and its own address (127.0.x.y: the per-address limit is for a
                # shared office). Made before the clock starts: a client costs ~20 ms of CPU (its SSL context),
                # which inside the run would stall this process's event loop and show in every request's time.
                clients = [
                    httpx.AsyncClient(
                        base_url=base,
                        transport=httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + n // 250}.{1 + n % 250}"),
                        timeout=REQUEST_TIMEOUT,
                    )
                    for n in range(args.sessions)
                ]

                async def session(n: int) -> None:
                    nonlocal counter
                    session_rng = random.Random(n)
                    async with clients[n] as client:

                        async def send(body: dict[str, Any], posted: Posted) -> None:
                            began = time.perf_counter()
                            try:
                                response = await client.post("/chat/messages", json=body)
                                status, replies = response.status_code, response.json().get("replies")
                                error = None
                                timing = response.headers.get("server-timing", "")
                                if timing.startswith("handle;dur="):
                                    server_ms.append(float(timing.removeprefix("handle;dur=")))
                            except (httpx.HTTPError, ValueError) as failed:
                                status, replies, error = 0, None, failed
                            posted.note(began, status, error)
                            records[body["client_msg_id"]].answers.append((status, replies))

                        await asyncio.sleep(session_rng.uniform(0, think_max))
                        await client.get("/chat")  # the page, as a browser loads it first: it opens the session
                        for m, question in enumerate(plans[n]):
                            counter += 1
                            body = {"client_msg_id": f"s{n}-m{m}-{uuid.uuid4().hex[:8]}", "text": question}
                            records[body["client_msg_id"]] = ChatRecord(n)
                            if counter % 10 == 0:  # a retry racing the first request
                                await asyncio.gather(send(body, first), send(body, retry))
                            else:
                                await send(body, first)
                                if counter % 10 == 5:  # the answer was lost on the way: sent again
                                    await send(body, retry)
                            await asyncio.sleep(session_rng.uniform(think_min, think_max))

                meter = Meter(running)
                began = time.perf_counter()
                gc.disable()  # this benchmark's own collections would show in the client-side times
                try:
                    await asyncio.gather(*(session(n) for n in range(args.sessions)))
                finally:
                    gc.enable()
                seconds = time.perf_counter() - began
                meter.stop()
                database_cpu = await e2e.postgres_backend_cpu_seconds(url)
            stored = await web_chat_stored(url)
            log = e2e.log_summary([i.bot for i in running])
    outcome: Counter[str] = Counter()
    handled = stored.pop("handled")
    twice_first = 0  # handled twice and a session's first message (sent before the session's cookie came)
    for client_msg_id, record in records.items():
        statuses = {status for status, _ in record.answers}
        replies = [json.dumps(r, ensure_ascii=False, sort_keys=True) for _, r in record.answers]
        if handled.get(client_msg_id, 0) > 1:
            outcome["handled twice"] += 1
            twice_first += "-m0-" in client_msg_id
        elif statuses != {200}:
            outcome["not 200"] += 1
        elif not record.answers[0][1] and len(set(replies)) == 1:
            outcome["empty"] += 1
        elif len(set(replies)) == 1:
            outcome["once"] += 1
        else:
            outcome["differing"] += 1
    requests = len(first.times_ms) + len(retry.times_ms)
    return {
        "scenario": "web-chat",
        "instances": 1,
        "sessions": args.sessions,
        "messages": len(records),
        "requests": requests,
        "retried_ids": sum(len(r.answers) > 1 for r in records.values()),
        "think_s": [think_min, think_max],
        "exactly_once": outcome["once"],
        "outcomes": dict(outcome),
        "handled_twice_first_message": twice_first,
        "request": figures(first.times_ms + retry.times_ms),
        "server": figures(server_ms),
        "first_request": figures(first.times_ms),
        "retry_request": figures(retry.times_ms),
        "statuses": dict(first.statuses + retry.statuses),
        "errors": dict(first.errors + retry.errors),
        "slow_by_second": (first + retry).slow(TARGET_WEB_P99_MS, began),
        "seconds": round(seconds, 2),
        "requests_per_s": round(requests / seconds, 1),
        "bot_cpu_ms_per_msg": round(meter.bots / requests * 1000, 3),
        "postgres_cpu_ms_per_msg": e2e.rounded(database_cpu / requests * 1000, 3),
        "bench_cpu_ms_per_msg": round(meter.bench / requests * 1000, 3),
        "stored": stored,
        "log": log,
        "drained_on_stop": all(i.drained for i in running),
    }


async def web_chat_stored(url: str) -> dict[str, Any]:
    """Counts, and per client_msg_id the answers kept for it (one per session that handled it)."""
    connection = await asyncpg.connect(e2e.asyncpg_dsn(url), timeout=5)
    try:
        rows = await connection.fetch("SELECT client_msg_id, count(*) AS n FROM web_chat_replies GROUP BY 1")
        return {
            "handled": {row["client_msg_id"]: int(row["n"]) for row in rows},
            "processed_updates": int(await connection.fetchval("SELECT count(*) FROM processed_updates")),
            "stored_answers": int(await connection.fetchval("SELECT count(*) FROM web_chat_replies")),
            "sessions": int(await connection.fetchval("SELECT count(*) FROM chat_sessions WHERE key LIKE 'web:%'")),
        }
    finally:
        await connection.close()


def web_chat_lines(r: dict[str, Any]) -> list[str]:
    p99 = r["server"]["p99_ms"]
    met = p99 is not None and p99 <= TARGET_WEB_P99_MS
    once = r["exactly_once"] == r["messages"]
    stored = r["stored"]
    return [
        f"{r['sessions']} sessions at once (each its own cookie jar and address), {r['messages']:,} messages, "
        f"{r['retried_ids']} sent again with the same client_msg_id (half at once); {r['requests']:,} requests in "
        f"{r['seconds']} s ({r['requests_per_s']} req/s), {r['think_s'][0]:g}-{r['think_s'][1]:g} s between a "
        f"session's messages",
        f"one answer per client_msg_id: {r['exactly_once']:,} of {r['messages']:,} (every response the same "
        f"replies, handled once) {'ok' if once else 'MISSED'}; outcomes {r['outcomes']} (handled twice and a "
        f"session's first message, sent again before its cookie came: {r['handled_twice_first_message']}); "
        f"statuses {r['statuses']}",
        f"stored: {stored['processed_updates']:,} processed updates, {stored['stored_answers']:,} answers kept, "
        f"{stored['sessions']:,} sessions",
        f"server time (the bot's Server-Timing): p50 {r['server']['p50_ms']} ms, p99 {p99} ms, max "
        f"{r['server']['max_ms']} ms (target p99 ≤ {TARGET_WEB_P99_MS:g} ms) {'met' if met else 'missed'}",
        f"request time (measured at the client, with this benchmark's own pauses): p50 {r['request']['p50_ms']} ms, "
        f"p99 {r['request']['p99_ms']} ms, max {r['request']['max_ms']} ms; first requests p99 "
        f"{r['first_request']['p99_ms']} ms, repeated ids p99 {r['retry_request']['p99_ms']} ms",
        f"requests over {TARGET_WEB_P99_MS:g} ms, by the second they were posted in: {r['slow_by_second']}; no "
        f"answer: {r['errors'] or 'none'}",
        *common_lines(r),
    ]


def common_lines(r: dict[str, Any]) -> list[str]:
    log = r["log"]
    lines = [
        f"CPU per message: bot process(es) {r['bot_cpu_ms_per_msg']} ms, PostgreSQL ≥ {r['postgres_cpu_ms_per_msg']} "
        f"ms (backends still connected), this benchmark {r['bench_cpu_ms_per_msg']} ms",
        f"bot log: {log['tracebacks']} tracebacks, {log['errors']} errors, {log['warnings']} warnings; drained on "
        f"stop: {r['drained_on_stop']}",
    ]
    return lines + [f"  {record}" for record in log["records"]]


# -- main ---------------------------------------------------------------------------------------------


SCENARIOS: dict[str, tuple[Callable[[App, argparse.Namespace], Awaitable[dict]], Callable[[dict], list[str]]]] = {
    "telegram-webhook": (telegram_webhook, telegram_lines),
    "zalo-bot-webhook": (zalo_bot_webhook, zalo_lines),
    "web-chat": (web_chat, web_chat_lines),
}


async def run(args: argparse.Namespace) -> dict:
    env = await environment()
    print("\n".join(f"{k:>12}: {v}" for k, v in env.items()) + "\n")
    with e2e.settings_from_defaults():
        app = build(Settings(_env_file=None))  # type: ignore[call-arg]
    results = []
    for name, (scenario, lines) in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name} (load average {load_average()}) ...", flush=True)
        began = time.perf_counter()
        try:
            result = await scenario(app, args)
        except Exception as error:  # one scenario failing must not cost the others
            print(f"FAILED: {type(error).__name__}: {error}\n")
            results.append({"scenario": name, "failed": f"{type(error).__name__}: {error}"})
            continue
        result["wall_s"] = round(time.perf_counter() - began, 1)
        result["load_average_after"] = load_average()
        results.append(result)
        print(f"   ({result['wall_s']} s, including start and stop; load average after {result['load_average_after']})")
        print("\n".join(f"   {line}" for line in lines(result)) + "\n")
    return {"environment": env, "arguments": vars(args) | {"only": args.only}, "scenarios": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--chats", type=int, default=2_000, help="Telegram webhook: chats")
    parser.add_argument("--per-chat", type=int, default=5, help="Telegram webhook: messages per chat")
    parser.add_argument("--in-flight", type=int, default=50, help="webhook requests in flight at once")
    parser.add_argument("--zalo-events", type=int, default=2_000, help="Zalo Bot webhook: events")
    parser.add_argument("--sessions", type=int, default=500, help="web chat: sessions at once")
    parser.add_argument("--session-messages", type=int, default=4, help="web chat: messages per session")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 6.0), metavar=("MIN", "MAX"),
                        help="web chat: seconds between a session's messages (uniform)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the JSON results on stdout")
    args = parser.parse_args()
    return e2e.run_and_report(run, args, RESULTS)


if __name__ == "__main__":
    sys.exit(main())
