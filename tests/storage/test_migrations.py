"""Migrations: applied on an empty database, a no-op when applied again, and in step with tables.py."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.migrations import current_revision, head_revision, migrate, upgrade
from bot.storage.tables import metadata
from tests.databases import Store

TABLES = {"chat_sessions", "processed_updates", "interactions"}
LEAD_TABLES = {"agents", "leads", "lead_history", "interest_signals", "outbox"}  # 0002


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[object]:
    return compare_metadata(MigrationContext.configure(connection), metadata)


async def test_an_empty_database_is_migrated_to_the_newest_revision(empty_store: Store) -> None:
    async with empty_store.open() as database:
        before = await current_revision(database)
        reached = await migrate(database)
        after = await current_revision(database)
        async with database.transaction() as connection:
            tables = await connection.run_sync(_table_names)
    assert before is None
    assert reached == after == head_revision()
    assert tables >= TABLES | LEAD_TABLES


async def test_migrating_again_changes_nothing(empty_store: Store) -> None:
    async with empty_store.open() as database:
        first = await migrate(database)
    async with empty_store.open() as database:
        second = await migrate(database)
    assert first == second == head_revision()


async def test_two_processes_starting_at_once_both_migrate_without_error(empty_store: Store) -> None:
    async with empty_store.open() as one, empty_store.open() as two:
        result = list(await asyncio.gather(migrate(one), migrate(two)))
    assert result == [head_revision(), head_revision()]


async def test_the_migrations_create_exactly_the_tables_the_code_declares(empty_store: Store) -> None:
    async with empty_store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            result = await connection.run_sync(_differences)
    assert result == []


def test_upgrade_runs_the_migrations_from_synchronous_code(empty_store: Store) -> None:
    assert upgrade(empty_store.url, schema=empty_store.schema) == head_revision()
    assert upgrade(empty_store.url, schema=empty_store.schema) == head_revision()
