"""Citizens' replies are never lost when Telegram misbehaves (issue 12, item 5): the real Service stores them
in the outbox in the message's transaction, the channel sends them at once, and the outbox worker sends
those Telegram refused for a while (5xx, a long 429) or whose process died, once each and in each chat's
order. Driven through python-telegram-bot against the loopback Bot API, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.app import system_clock
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, chat_key, running
from bot.channels.telegram.application import telegram_chat_id
from bot.channels.telegram.outbox_sender import telegram_sender
from bot.channels.telegram.render import split_reply
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind
from bot.shell.live_knowledge import Knowledge
from bot.shell.replies import ReplyLedger, ReplyRouting
from bot.shell.service import Service
from bot.storage.db import Database
from bot.storage.migrations import migrate
from bot.workers.outbox import OutboxPolicy, run_outbox
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.factories import TODAY
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.fakes.telegram_updates import command, text_message
from tests.storage_queries import pending_outbox_rows

CHAT_A, CHAT_B = 1001, 1002
GOLD = "Giá vàng hôm nay bao nhiêu?"  # out of scope: the fallback
FAST = RetryPolicy(backoff=0.01, max_flood_wait=0.5)  # the handler's quick tries, without the waiting
WORKER = OutboxPolicy(
    backoff=timedelta(seconds=0.05), reply_max_backoff=timedelta(seconds=0.2), poll_seconds=0.05
)  # fmt: skip
HANDED_OVER_RETRY = timedelta(seconds=0.05)  # the ledger's wait before the worker tries a handed-over reply
WAIT = 15.0  # s: the longest a test waits for the replies


@dataclass
class Bot:
    database: Database
    owner: str


@asynccontextmanager
async def durable_bot(
    api: FakeTelegram, store: Store, kb: KnowledgeBase, matcher: Matcher, lease: timedelta = timedelta(seconds=120)
) -> AsyncIterator[Bot]:
    """One bot process as `python -m bot run` wires it: durable replies, and the outbox worker beside it."""
    database = store.open()
    await migrate(database)
    owner = uuid.uuid4().hex
    ledger = ReplyLedger(database, owner, lease, retry_in=HANDED_OVER_RETRY, now=system_clock)
    routing = ReplyRouting(telegram_chat_id, split_reply, owner, lease, ledger)  # marks ride on its transactions
    service = Service(database, Knowledge(kb, matcher), lambda: TODAY, CHANNEL, now=system_clock, replies=routing)
    application = build_application(api.token, api.base_url, service.handle, policy=FAST, replies=ledger)
    stop = asyncio.Event()
    try:
        async with running(application, poll_timeout=1):
            worker = asyncio.create_task(
                run_outbox(database, telegram_sender(application.bot), stop, system_clock, WORKER)
            )
            try:
                yield Bot(database, owner)
            finally:
                stop.set()
                await worker
    finally:
        await database.dispose()


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with clean_logs(caplog):
        yield


async def nothing_pending(database: Database) -> None:
    """Wait until every stored reply is recorded as sent (or given up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        async with database.transaction() as connection:
            if await pending_outbox_rows(connection) == 0:
                return
        assert loop.time() < deadline, "stored replies still pending"
        await asyncio.sleep(0.05)


def texts(sent: list[Sent]) -> list[str]:
    return [message.text for message in sent]


def statuses(api: FakeTelegram, chat_id: int) -> list[int]:
    return [call.status for call in api.calls_of("sendMessage") if call.params["chat_id"] == chat_id]


async def test_replies_held_up_by_server_errors_arrive_once_and_in_order_when_telegram_is_back(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    fake_api.fail_for("sendMessage", 500, seconds=1.0)  # far more than four 5xx in a row
    async with durable_bot(fake_api, store, real_kb, real_matcher) as bot:
        fake_api.enqueue(
            command(1, CHAT_A, "start"),
            command(2, CHAT_B, "start"),
            command(3, CHAT_A, "help"),
            text_message(4, CHAT_A, GOLD),
            command(5, CHAT_B, "help"),
        )
        await fake_api.wait_for_replies(CHAT_A, 3, timeout=WAIT)
        await fake_api.wait_for_replies(CHAT_B, 2, timeout=WAIT)
        await nothing_pending(bot.database)
    greeting, help_text, fallback = (real_kb.message(name) for name in ("greeting", "help", "fallback"))
    assert texts(fake_api.sent(CHAT_A)) == [greeting, help_text, fallback]
    assert texts(fake_api.sent(CHAT_B)) == [greeting, help_text]
    assert statuses(fake_api, CHAT_A)[: FAST.attempts] == [500] * FAST.attempts  # where the bot used to give up


async def test_a_long_retry_after_for_one_chat_is_waited_out_while_other_chats_are_answered(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    retry_after = 1  # Telegram's shortest, longer than the handler waits (FAST.max_flood_wait): the worker waits it out
    fake_api.fail_for("sendMessage", 429, seconds=retry_after, retry_after=retry_after, chat_ids=[CHAT_A])
    began = time.perf_counter()
    async with durable_bot(fake_api, store, real_kb, real_matcher) as bot:
        fake_api.enqueue(command(1, CHAT_A, "start"), command(2, CHAT_B, "start"), command(3, CHAT_A, "help"))
        [to_b] = await fake_api.wait_for_replies(CHAT_B, 1, timeout=WAIT)
        to_a = await fake_api.wait_for_replies(CHAT_A, 2, timeout=WAIT)
        await nothing_pending(bot.database)
    assert texts(fake_api.sent(CHAT_A)) == [real_kb.message("greeting"), real_kb.message("help")]
    assert to_b.at < to_a[0].at
    assert to_a[0].at - began >= retry_after
    assert statuses(fake_api, CHAT_A) == [429, 200, 200]  # asked once, then waited exactly as long as told


async def test_replies_stored_by_a_process_that_died_are_sent_after_the_restart_before_the_chats_next_ones(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    lease = timedelta(seconds=0.5)
    database = store.open()
    await migrate(database)
    try:  # a process commits two messages, then dies (SIGKILL) before sending their replies
        dead = ReplyRouting(telegram_chat_id, split_reply, "killed-process", lease)
        service = Service(
            database, Knowledge(real_kb, real_matcher), lambda: TODAY, CHANNEL, now=system_clock, replies=dead
        )
        await service.handle(Inbound(chat_key(CHAT_A), InboundKind.START), 1)
        await service.handle(Inbound(chat_key(CHAT_A), InboundKind.TEXT, text=GOLD), 2)
    finally:
        await database.dispose()

    async with durable_bot(fake_api, store, real_kb, real_matcher, lease) as bot:
        fake_api.enqueue(command(3, CHAT_A, "help"))
        await fake_api.wait_for_replies(CHAT_A, 3, timeout=WAIT)
        await nothing_pending(bot.database)
    expected = [real_kb.message("greeting"), real_kb.message("fallback"), real_kb.message("help")]
    assert texts(fake_api.sent(CHAT_A)) == expected


async def test_replies_waiting_for_telegram_when_the_bot_stops_are_sent_once_by_the_next_process(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    fake_api.fail_for("sendMessage", 502, seconds=3600)
    async with durable_bot(fake_api, store, real_kb, real_matcher):
        fake_api.enqueue(command(1, CHAT_A, "start"), command(2, CHAT_A, "help"))
        await fake_api.wait_until(lambda: fake_api.queued == 0, WAIT, "both updates confirmed")
        await fake_api.wait_for_calls("sendMessage", FAST.attempts + 1, timeout=WAIT)  # handed to the worker
    assert fake_api.sent(CHAT_A) == []

    fake_api.recover()
    async with durable_bot(fake_api, store, real_kb, real_matcher) as bot:
        await fake_api.wait_for_replies(CHAT_A, 2, timeout=WAIT)
        await nothing_pending(bot.database)
    assert texts(fake_api.sent(CHAT_A)) == [real_kb.message("greeting"), real_kb.message("help")]
