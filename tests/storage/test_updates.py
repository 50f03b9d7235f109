"""Processed updates: the first delivery of an update is recorded, any later one is recognised."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.storage import updates
from bot.storage.migrations import migrate
from bot.storage.tables import processed_updates
from tests.databases import Store

LARGEST_TELEGRAM_UPDATE_ID = 2**52  # Telegram promises update ids fit in 52 bits


def test_an_update_is_new_once_and_seen_after(store: Store) -> None:
    async def scenario() -> list[bool]:
        async with store.open() as database:
            await migrate(database)
            async with database.transaction() as connection:
                first = await updates.record(connection, "telegram", 1001)
                again = await updates.record(connection, "telegram", 1001)
        async with store.open() as restarted, restarted.transaction() as connection:
            after_restart = await updates.record(connection, "telegram", 1001)
        return [first, again, after_restart]

    assert asyncio.run(scenario()) == [True, False, False]


def test_the_same_update_id_on_two_channels_is_two_updates(store: Store) -> None:
    async def scenario() -> list[bool]:
        async with store.open() as database:
            await migrate(database)
            async with database.transaction() as connection:
                return [await updates.record(connection, "telegram", 7), await updates.record(connection, "zalo", 7)]

    assert asyncio.run(scenario()) == [True, True]


def test_update_ids_as_large_as_telegram_sends_are_kept(store: Store) -> None:
    async def scenario() -> list[bool]:
        async with store.open() as database:
            await migrate(database)
            async with database.transaction() as connection:
                first = await updates.record(connection, "telegram", LARGEST_TELEGRAM_UPDATE_ID)
                return [first, await updates.record(connection, "telegram", LARGEST_TELEGRAM_UPDATE_ID)]

    assert asyncio.run(scenario()) == [True, False]


def test_old_records_can_be_forgotten(store: Store) -> None:
    async def scenario() -> tuple[int, int, int]:
        async with store.open() as database:
            await migrate(database)
            async with database.transaction() as connection:
                await updates.record(connection, "telegram", 1)
                await updates.record(connection, "telegram", 2)
            async with database.transaction() as connection:
                kept = await updates.forget_before(connection, datetime.now(UTC) - timedelta(days=3))
                gone = await updates.forget_before(connection, datetime.now(UTC) + timedelta(minutes=1))
                left = await connection.scalar(select(func.count()).select_from(processed_updates))
        return kept, gone, left

    assert asyncio.run(scenario()) == (0, 2, 0)


def test_forgetting_with_a_limit_deletes_the_oldest_records_first(store: Store) -> None:
    async def scenario() -> tuple[int, list[int]]:
        async with store.open() as database:
            await migrate(database)
            async with database.transaction() as connection:
                for update_id, days_ago in ((1, 9), (2, 30), (3, 20), (4, 1)):
                    await updates.record(connection, "telegram", update_id)
                    await connection.execute(
                        update(processed_updates)
                        .where(processed_updates.c.update_id == update_id)
                        .values(processed_at=datetime.now(UTC) - timedelta(days=days_ago))
                    )
            async with database.transaction() as connection:
                deleted = await updates.forget_before(connection, datetime.now(UTC) - timedelta(days=7), limit=2)
                left = await connection.scalars(select(processed_updates.c.update_id).order_by("update_id"))
                return deleted, list(left)

    assert asyncio.run(scenario()) == (2, [1, 4])
