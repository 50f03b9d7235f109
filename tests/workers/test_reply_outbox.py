"""The outbox worker with citizens' replies (issue 12, item 5): tried for as long as Telegram fails, up to the
age limit; a 429 of any length waited out exactly; a chat's later reply never overtakes an earlier one; and
while Telegram is down, one try per pass instead of one per row. Through the real python-telegram-bot Bot
against the loopback Bot API, on SQLite and PostgreSQL, with a clock the test moves."""

from __future__ import annotations

from datetime import timedelta

from bot.core.leads.notifications import Notification
from bot.storage import outbox
from bot.storage.db import Database
from bot.workers.outbox import OutboxPolicy, deliver_due
from tests.databases import Store
from tests.lead_factories import NOW
from tests.workers.outbox_setup import Clock, telegram_and_db

CHAT_A, CHAT_B, CHAT_C = 501, 502, 503
POLICY = OutboxPolicy(
    backoff=timedelta(seconds=5), reply_max_backoff=timedelta(seconds=30), reply_max_age=timedelta(hours=24)
)  # fmt: skip


async def reply(database: Database, chat_id: int, text: str, update_id: int) -> None:
    """A reply stored by a handler whose process died at once (its lease is already over)."""
    async with database.transaction() as connection:
        await outbox.enqueue_replies(
            connection, [Notification(chat_id, text)], key=f"telegram:{update_id}", owner="gone", now=NOW,
            lease=timedelta(0),
        )  # fmt: skip


async def the_row(database: Database) -> outbox.OutboxRow:
    async with database.transaction() as connection:
        [row] = await outbox.rows(connection)
    return row


async def test_a_reply_is_tried_for_as_long_as_telegram_fails_then_given_up_at_the_age_limit(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        telegram.fail("sendMessage", 500, times=10_000)
        await reply(database, CHAT_A, "Trả lời", 1)
        clock = Clock()
        for _ in range(POLICY.max_attempts + 5):  # past the limit agents' messages have
            assert (await deliver_due(database, send, clock, POLICY)).retried == 1
            row = await the_row(database)
            assert row.next_attempt_at - clock.now <= POLICY.reply_max_backoff
            clock.now = row.next_attempt_at
        clock.now = NOW + POLICY.reply_max_age
        assert (await deliver_due(database, send, clock, POLICY)).failed == 1
        row = await the_row(database)
    assert row.failed_at == clock.now and row.last_error == "expired"
    assert telegram.sent(CHAT_A) == []


async def test_a_429_of_any_length_is_waited_out_exactly(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        telegram.fail("sendMessage", 429, retry_after=7200, chat_id=CHAT_A)
        await reply(database, CHAT_A, "Trả lời", 1)
        clock = Clock()
        assert (await deliver_due(database, send, clock, POLICY)).retried == 1
        row = await the_row(database)
        assert row.next_attempt_at == NOW + timedelta(hours=2)
        clock.now = row.next_attempt_at - timedelta(seconds=1)
        assert (await deliver_due(database, send, clock, POLICY)).handled == 0
        clock.now = row.next_attempt_at
        assert (await deliver_due(database, send, clock, POLICY)).sent == 1
    assert [m.text for m in telegram.sent(CHAT_A)] == ["Trả lời"]


async def test_a_chats_later_reply_waits_behind_an_earlier_one_and_follows_it_in_the_same_pass(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        telegram.fail("sendMessage", 429, retry_after=90, chat_id=CHAT_A)
        await reply(database, CHAT_A, "Thứ nhất", 1)
        await reply(database, CHAT_B, "Cho B", 2)
        await reply(database, CHAT_A, "Thứ hai", 3)
        first = await deliver_due(database, send, Clock(), POLICY)
        assert [m.text for m in telegram.sent(CHAT_A)] == []
        later = await deliver_due(database, send, Clock(NOW + timedelta(seconds=90)), POLICY)
    assert (first.sent, first.retried) == (1, 1)  # B went; A's second was not even claimed
    assert later.sent == 2
    assert [m.text for m in telegram.sent(CHAT_A)] == ["Thứ nhất", "Thứ hai"]
    assert [m.text for m in telegram.sent(CHAT_B)] == ["Cho B"]


async def test_while_telegram_is_down_a_pass_tries_one_reply_and_puts_the_rest_back(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        telegram.fail("sendMessage", 502, times=1)
        for number, chat_id in enumerate((CHAT_A, CHAT_B, CHAT_C), start=1):
            await reply(database, chat_id, f"Trả lời {number}", number)
        down = await deliver_due(database, send, Clock(), POLICY)
        async with database.transaction() as connection:
            due_again = {row.next_attempt_at for row in await outbox.rows(connection)}
        back = await deliver_due(database, send, Clock(NOW + POLICY.backoff * 2), POLICY)
    assert (down.retried, down.put_back) == (1, 2)
    assert len(telegram.calls_of("sendMessage")) == 4  # one try while down, then the three
    assert len(due_again) == 1  # all three come due together
    assert back.sent == 3
