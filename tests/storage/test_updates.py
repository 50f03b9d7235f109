"""Processed updates: the first delivery of an update is recorded, any later one is recognised."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.storage import updates
from bot.storage.migrations import migrate
from bot.storage.tables import processed_updates
from tests.databases import Store
from tests.lead_factories import NOW

LARGEST_TELEGRAM_UPDATE_ID = 2**52  # Telegram promises update ids fit in 52 bits


async def test_an_update_is_new_once_and_seen_after(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            first = await updates.record(connection, "telegram", 1001, NOW)
            again = await updates.record(connection, "telegram", 1001, NOW)
    async with store.open() as restarted, restarted.transaction() as connection:
        after_restart = await updates.record(connection, "telegram", 1001, NOW)
    assert [first, again, after_restart] == [True, False, False]


async def test_the_same_update_id_on_two_channels_is_two_updates(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            telegram = await updates.record(connection, "telegram", 7, NOW)
            result = [telegram, await updates.record(connection, "zalo", 7, NOW)]
    assert result == [True, True]


async def test_update_ids_as_large_as_telegram_sends_are_kept(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            first = await updates.record(connection, "telegram", LARGEST_TELEGRAM_UPDATE_ID, NOW)
            result = [first, await updates.record(connection, "telegram", LARGEST_TELEGRAM_UPDATE_ID, NOW)]
    assert result == [True, False]


async def test_old_records_can_be_forgotten(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            await updates.record(connection, "telegram", 1, NOW)
            await updates.record(connection, "telegram", 2, NOW)
        async with database.transaction() as connection:
            kept = await updates.forget_before(connection, NOW - timedelta(days=3))
            gone = await updates.forget_before(connection, NOW + timedelta(minutes=1))
            left = await connection.scalar(select(func.count()).select_from(processed_updates))
    assert (kept, gone, left) == (0, 2, 0)


async def test_forgetting_with_a_limit_deletes_the_oldest_records_first(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            for update_id, days_ago in ((1, 9), (2, 30), (3, 20), (4, 1)):
                await updates.record(connection, "telegram", update_id, NOW - timedelta(days=days_ago))
        async with database.transaction() as connection:
            deleted = await updates.forget_before(connection, NOW - timedelta(days=7), limit=2)
            left = await connection.scalars(select(processed_updates.c.update_id).order_by("update_id"))
            result = deleted, list(left)
    assert result == (2, [1, 4])
