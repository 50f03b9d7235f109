"""The outbox on SQLite and PostgreSQL: stored once per key, claimed by one worker at a time, retried after a
crash."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.core.leads.notifications import Notification
from bot.core.types import Button
from bot.storage import outbox
from bot.storage.db import Database
from tests.databases import Store
from tests.lead_factories import NOW, migrated
from tests.storage_queries import pending_outbox_rows

LEASE = timedelta(minutes=2)
HELLO = Notification(111, "Yêu cầu mới #1", (Button("Nhận", "lead:1:claim"),))


async def fill(database: Database, count: int) -> None:
    """`count` notifications, each to a chat of its own (a chat's rows are claimed one after another)."""
    async with database.transaction() as connection:
        for number in range(count):
            notification = replace(HELLO, chat_id=HELLO.chat_id + number)
            await outbox.enqueue(connection, notification, kind="test", dedupe_key=f"k{number}", now=NOW)


async def test_the_same_notification_key_is_stored_once(store: Store) -> None:
    async with migrated(store) as database, database.transaction() as connection:
        first = await outbox.enqueue(connection, HELLO, kind="test", dedupe_key="lead:1:new", now=NOW)
        second = await outbox.enqueue(connection, HELLO, kind="test", dedupe_key="lead:1:new", now=NOW)
        result = first, second, await pending_outbox_rows(connection)
    assert result == (True, False, 1)


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(store: Store) -> None:
    async with migrated(store) as database:
        await fill(database, 1)
        async with database.transaction() as connection:
            first = await outbox.claim_due(connection, NOW, 10, LEASE)
        async with database.transaction() as connection:
            during = await outbox.claim_due(connection, NOW + LEASE - timedelta(seconds=1), 10, LEASE)
        async with database.transaction() as connection:
            after = await outbox.claim_due(connection, NOW + LEASE, 10, LEASE)
    assert [(c.attempt, c.notification) for c in first] == [(1, HELLO)]
    assert during == []
    assert [c.attempt for c in after] == [2]  # the worker that claimed it first died: it is tried again


async def test_a_claim_that_ran_out_cannot_mark_the_row(store: Store) -> None:
    async with migrated(store) as database:
        await fill(database, 1)
        async with database.transaction() as connection:
            [stale] = await outbox.claim_due(connection, NOW, 10, LEASE)
        async with database.transaction() as connection:
            [fresh] = await outbox.claim_due(connection, NOW + LEASE, 10, LEASE)
        async with database.transaction() as connection:
            by_stale = await outbox.mark_sent(connection, stale.id, stale.attempt, NOW + LEASE)
            by_fresh = await outbox.mark_sent(connection, fresh.id, fresh.attempt, NOW + LEASE)
            twice = await outbox.mark_sent(connection, fresh.id, fresh.attempt, NOW + LEASE)
        result = by_stale, by_fresh, twice
    assert result == (False, True, False)


async def test_two_processes_claiming_at_once_never_get_the_same_row(store: Store) -> None:
    async def claim(database: Database) -> list[int]:
        taken: list[int] = []
        for _ in range(10):
            async with database.transaction() as connection:
                taken += [c.id for c in await outbox.claim_due(connection, NOW, 3, LEASE)]
            await asyncio.sleep(0)
        return taken

    async with migrated(store) as database:
        await fill(database, 30)
    async with store.open() as one, store.open() as two:
        first, second = await asyncio.gather(claim(one), claim(two))
    assert not set(first) & set(second)
    assert sorted(first + second) == list(range(1, 31))
