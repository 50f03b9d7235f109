"""The outbox worker delivering through the real python-telegram-bot Bot to the loopback Bot API: retries
on 500 with backoff, waits out a 429's retry_after, gives up on a refusal, survives a crash, and never lets
two workers send the same message. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.leads.notifications import Notification
from bot.core.types import Button
from bot.storage import outbox
from bot.storage.db import Database
from bot.workers.outbox import OutboxPolicy, backoff, deliver_due, run_outbox
from tests.databases import Store
from tests.lead_factories import NOW
from tests.storage_queries import pending_outbox_rows
from tests.workers.outbox_setup import Clock, telegram_and_db

AGENT = 111
POLICY = OutboxPolicy(backoff=timedelta(seconds=5), lease=timedelta(minutes=2), poll_seconds=0.01)
NOTICE = Notification(AGENT, "🔔 Yêu cầu tư vấn mới #1 <Xã Tiên Yên>", (Button("Nhận", "lead:1:claim"),))


async def enqueue(database: Database, *notifications: Notification) -> None:
    async with database.transaction() as connection:
        for number, notification in enumerate(notifications):
            await outbox.enqueue(connection, notification, kind="lead-new", dedupe_key=f"n{number}", now=NOW)


async def pending(database: Database) -> int:
    async with database.transaction() as connection:
        return await pending_outbox_rows(connection)


async def stored(database: Database) -> list[outbox.OutboxRow]:
    async with database.transaction() as connection:
        return await outbox.rows(connection)


async def test_a_notification_reaches_the_agent_with_its_buttons_once(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        await enqueue(database, NOTICE)
        first = await deliver_due(database, send, Clock(), POLICY)
        second = await deliver_due(database, send, Clock(NOW + timedelta(hours=1)), POLICY)
        [row] = await stored(database)
    [message] = telegram.sent(AGENT)
    assert message.text == NOTICE.text  # shown exactly as written, HTML escaped on the way
    assert message.buttons == [("Nhận", "lead:1:claim")]
    assert (first.sent, second.handled) == (1, 0)
    assert row.sent_at == NOW and row.attempts == 1


async def test_a_server_error_is_retried_after_a_growing_backoff(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        telegram.fail("sendMessage", 500, times=2)
        await enqueue(database, NOTICE)
        clock = Clock()
        assert (await deliver_due(database, send, clock, POLICY)).retried == 1
        [row] = await stored(database)
        assert row.next_attempt_at == NOW + backoff(1, POLICY) and "NetworkError" in (row.last_error or "")
        clock.now = row.next_attempt_at - timedelta(seconds=1)
        assert (await deliver_due(database, send, clock, POLICY)).handled == 0
        clock.now = row.next_attempt_at
        assert (await deliver_due(database, send, clock, POLICY)).retried == 1
        [row] = await stored(database)
        assert row.next_attempt_at == clock.now + backoff(2, POLICY) == clock.now + timedelta(seconds=10)
        clock.now = row.next_attempt_at
        assert (await deliver_due(database, send, clock, POLICY)).sent == 1
    assert len(telegram.sent(AGENT)) == 1


async def test_flood_control_waits_exactly_the_retry_after_telegram_asks_for(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        telegram.fail("sendMessage", 429, retry_after=37)
        await enqueue(database, NOTICE)
        clock = Clock()
        assert (await deliver_due(database, send, clock, POLICY)).retried == 1
        [row] = await stored(database)
        assert row.next_attempt_at == NOW + timedelta(seconds=37)
        clock.now = row.next_attempt_at
        assert (await deliver_due(database, send, clock, POLICY)).sent == 1
    assert len(telegram.sent(AGENT)) == 1


async def test_a_chat_that_blocked_the_bot_is_given_up_and_the_rest_still_go(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        telegram.fail("sendMessage", 403, chat_id=AGENT)
        await enqueue(database, NOTICE, Notification(222, "Yêu cầu #2"))
        report = await deliver_due(database, send, Clock(), POLICY)
        rows = await stored(database)
    assert (report.failed, report.sent) == (1, 1)
    assert rows[0].failed_at == NOW and "Forbidden" in (rows[0].last_error or "")
    assert telegram.sent(AGENT) == [] and len(telegram.sent(222)) == 1


async def test_a_row_claimed_by_a_worker_that_crashed_is_delivered_after_the_lease(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        await enqueue(database, NOTICE)
        async with database.transaction() as connection:  # a worker claims it, then its process dies
            await outbox.claim_due(connection, NOW, 10, POLICY.lease)
        assert (await deliver_due(database, send, Clock(NOW + timedelta(seconds=30)), POLICY)).handled == 0
        report = await deliver_due(database, send, Clock(NOW + POLICY.lease), POLICY)
        [row] = await stored(database)
    assert report.sent == 1 and row.attempts == 2
    assert len(telegram.sent(AGENT)) == 1


async def test_two_workers_running_together_send_every_message_exactly_once(store: Store) -> None:
    async with telegram_and_db(store) as (telegram, send, database):
        await enqueue(database, *(Notification(1000 + n, f"Yêu cầu #{n}") for n in range(30)))
        stop = asyncio.Event()
        small = OutboxPolicy(batch=3, poll_seconds=0.01)
        async with store.open() as other:
            workers = [asyncio.create_task(run_outbox(db, send, stop, Clock(), small)) for db in (database, other)]
            await telegram.wait_until(lambda: len(telegram.outbox) >= 30, 20, "30 messages")
            while await pending(database):  # a transaction per look: one held open would block the workers
                await asyncio.sleep(0.01)
            stop.set()
            await asyncio.gather(*workers)
    assert sorted(message.chat_id for message in telegram.outbox) == [1000 + n for n in range(30)]


async def test_the_worker_stops_when_asked(store: Store) -> None:
    async with telegram_and_db(store) as (_, send, database):
        stop = asyncio.Event()
        worker = asyncio.create_task(run_outbox(database, send, stop, Clock(), POLICY))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(worker, 5)
    assert worker.done() and worker.exception() is None
