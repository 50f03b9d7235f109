"""The service stores a citizen's replies in the message's own transaction (issue 12, item 5), on SQLite and
PostgreSQL: once per update, leased to the process that sends them, behind an earlier reply of the chat that
still waits, and gone with /xoadulieu once sent."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.telegram.application import telegram_chat_id
from bot.channels.telegram.render import split_reply
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind
from bot.shell.live_knowledge import Knowledge
from bot.shell.replies import Handled, ReplyLedger, ReplyRouting
from bot.shell.service import Service
from bot.storage import outbox
from bot.storage.db import Database
from tests.databases import Store
from tests.factories import TODAY
from tests.lead_factories import NOW, migrated

CHAT_ID = 987654321
CHAT = f"telegram:{CHAT_ID}"
OWNER = "this-process"


def service(database: Database, kb: KnowledgeBase, matcher: Matcher, owner: str = OWNER) -> Service:
    routing = ReplyRouting(telegram_chat_id, split_reply, owner, timedelta(minutes=2))
    return Service(database, Knowledge(kb, matcher), lambda: TODAY, "telegram", now=lambda: NOW, replies=routing)


async def stored(database: Database) -> list[outbox.OutboxRow]:
    async with database.transaction() as connection:
        return await outbox.rows(connection)


async def test_a_reply_is_stored_once_with_the_update_and_leased_to_the_process_that_sends_it(
    store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with migrated(store) as database:
        handle = service(database, real_kb, real_matcher).handle
        first = await handle(Inbound(CHAT, InboundKind.START), 7)
        again = await handle(Inbound(CHAT, InboundKind.START), 7)  # Telegram delivers it again
        rows = await stored(database)
    assert isinstance(first, Handled) and first.inline
    assert again is None
    [row] = rows
    assert [queued.row_id for queued in first.queued] == [row.id]
    assert (row.chat_id, row.kind, row.dedupe_key) == (CHAT_ID, outbox.REPLY, "telegram:7:0")
    assert row.payload["text"] == real_kb.message("greeting")
    assert row.attempts == 1 and row.sent_at is None


async def test_a_reply_waits_for_the_worker_behind_an_earlier_one_of_the_chat_that_is_waiting(
    store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with migrated(store) as database:
        handle = service(database, real_kb, real_matcher).handle
        first = await handle(Inbound(CHAT, InboundKind.START), 1)
        assert isinstance(first, Handled)
        ledger = ReplyLedger(database, OWNER, now=lambda: NOW)
        await ledger.later(first.queued[0], 90, "telegram 429")  # Telegram said wait
        second = await handle(Inbound(CHAT, InboundKind.HELP), 2)
        other_chat = await handle(Inbound("telegram:5", InboundKind.HELP), 3)
    assert isinstance(second, Handled) and not second.inline
    assert isinstance(other_chat, Handled) and other_chat.inline


async def test_erasing_my_data_deletes_the_replies_already_sent_to_the_chat(
    store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with migrated(store) as database:
        handle = service(database, real_kb, real_matcher).handle
        ledger = ReplyLedger(database, OWNER, now=lambda: NOW)
        for update_id, kind in ((1, InboundKind.START), (2, InboundKind.ERASE)):
            outcome = await handle(Inbound(CHAT, kind), update_id)
            assert isinstance(outcome, Handled)
            for queued in outcome.queued:
                await ledger.sent(queued)
        rows = await stored(database)
    assert [row.dedupe_key for row in rows] == ["telegram:2:0"]  # only the answer to /xoadulieu itself
