"""Pruning the processed updates on SQLite and PostgreSQL: records older than the week kept are deleted, in
chunks, and a younger update delivered again is still recognised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.storage import updates
from bot.storage.db import Database
from bot.storage.tables import processed_updates
from bot.workers.pruning import KEEP, prune_once
from tests.databases import Store
from tests.lead_factories import migrated

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


async def handled(database: Database, update_id: int, at: datetime) -> None:
    async with database.transaction() as connection:
        assert await updates.record(connection, "telegram", update_id, at)


async def kept(database: Database) -> list[int]:
    async with database.transaction() as connection:
        return list(await connection.scalars(select(processed_updates.c.update_id).order_by("update_id")))


async def test_records_older_than_a_week_are_deleted_and_younger_ones_kept(store: Store) -> None:
    async with migrated(store) as database:
        await handled(database, 1, NOW - KEEP - timedelta(hours=1))
        await handled(database, 2, NOW - KEEP - timedelta(days=30))
        await handled(database, 3, NOW - KEEP + timedelta(hours=1))
        await handled(database, 4, NOW - timedelta(minutes=1))
        deleted = await prune_once(database, lambda: NOW)
        left = await kept(database)
    assert (deleted, left) == (2, [3, 4])


async def test_many_old_records_are_deleted_in_several_transactions(store: Store) -> None:
    async with migrated(store) as database:
        for update_id in range(1, 8):
            await handled(database, update_id, NOW - timedelta(days=10 + update_id))
        await handled(database, 100, NOW - timedelta(days=1))
        deleted = await prune_once(database, lambda: NOW, chunk=3)
        left = await kept(database)
    assert (deleted, left) == (7, [100])


async def test_an_update_delivered_again_after_pruning_is_still_answered_once(store: Store) -> None:
    async with migrated(store) as database:
        await handled(database, 1, NOW - timedelta(days=2))
        await prune_once(database, lambda: NOW)
        async with database.transaction() as connection:
            again = await updates.record(connection, "telegram", 1, NOW)
    assert again is False


async def test_pruning_refuses_to_forget_the_last_day() -> None:
    async with Database("sqlite:///never-opened.db") as database:
        with pytest.raises(ValueError, match="at least one day"):
            await prune_once(database, lambda: NOW, keep=timedelta(hours=1))
