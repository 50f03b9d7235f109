"""The databases storage tests run on: a real SQLite file, and PostgreSQL in a schema of its own.

The `store` and `empty_store` fixtures (tests/conftest.py) are parametrised over both. PostgreSQL is the one
at TEST_DATABASE_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test, trust auth). When it cannot
be reached, its tests are skipped with the reason on a developer's machine, and fail with the reason when CI
is set: CI never skips them.

Migrating an empty database takes longer than most tests (Alembic, a hundred DDL statements), so the
migrations run once per test run into a template, and `store` hands each test a database at the newest
revision as if just migrated: a copy of the template SQLite file in the test's tmp_path, or the run's
PostgreSQL schema emptied (rows deleted, sequences restarted) after checking it is still at the newest
revision with its tables; a schema that is not, or cannot be emptied, is set aside for a freshly migrated
one. `empty_store` is a database never migrated (a new file; a new schema, dropped afterwards), for the
tests of the migrations themselves and of a database without its tables.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.db import POSTGRESQL, SQLITE, Database
from bot.storage.migrations import migrate
from bot.storage.tables import metadata

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
UNUSED_PORT = 9  # the discard port: nothing listens on it here
FAST_TIMEOUT_MS = 50  # how long a test's database waits for a lock before reporting it busy


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _execute(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def require_postgres() -> None:
    """Skip (or, in CI, fail) with a clear reason when PostgreSQL does not answer."""
    try:
        await _execute(POSTGRES_URL, "SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        reason = f"PostgreSQL at {where} is unreachable ({type(error).__name__}: {error})"
        if in_ci():
            pytest.fail(f"{reason}. CI runs every storage test on PostgreSQL: start it first (.ci/run does).")
        pytest.skip(f"{reason}; set CI=true to make this a failure")


@dataclass(frozen=True)
class Store:
    """One empty database to test against, and ways to open it as several processes would."""

    kind: str  # SQLITE or POSTGRESQL
    url: str
    schema: str | None = None

    def open(self, busy_timeout_ms: int | None = None) -> Database:
        """A new Database on this store, as a separate process would open it."""
        if busy_timeout_ms is None:
            return Database(self.url, schema=self.schema)
        return Database(self.url, schema=self.schema, busy_timeout_ms=busy_timeout_ms)

    @asynccontextmanager
    async def unreachable(self) -> AsyncIterator[Database]:
        """A database that is not there: PostgreSQL on a port nobody listens on, SQLite in a missing folder."""
        if self.kind == POSTGRESQL:
            url = make_url(self.url).set(port=UNUSED_PORT)
            database = Database(url, schema=self.schema, busy_timeout_ms=FAST_TIMEOUT_MS)
        else:
            missing = Path(make_url(self.url).database or "").parent / "missing" / "bot.db"
            database = Database(f"sqlite+aiosqlite:///{missing}", busy_timeout_ms=FAST_TIMEOUT_MS)
        try:
            yield database
        finally:
            await database.dispose()
            await _aiosqlite_workers_stopped()


async def _aiosqlite_workers_stopped() -> None:
    """Wait for the worker threads of SQLite connections that failed to open.

    aiosqlite (0.22, core.py `Connection._connect`) stops such a thread without waiting for it, and the
    thread then reports back to the event loop; if the test's event loop is closed by then, the thread
    dies with "Event loop is closed", which pytest turns into an error.
    """
    workers = [thread for thread in threading.enumerate() if thread.name.endswith("(_connection_worker_thread)")]
    await asyncio.to_thread(lambda: [worker.join(timeout=5) for worker in workers])


class WriteLock:
    """Another process's transaction holding the write lock on the bot's tables."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def release(self) -> None:
        if self._connection.in_transaction():
            await self._connection.rollback()


@asynccontextmanager
async def write_lock(store: Store) -> AsyncIterator[WriteLock]:
    """Hold the write lock until `release()` or the end of the block."""
    async with store.open() as database, database.engine.connect() as connection:
        await connection.begin()  # BEGIN IMMEDIATE on SQLite: the whole file's write lock
        if store.kind == POSTGRESQL:
            await connection.execute(text("LOCK TABLE chat_sessions, processed_updates IN EXCLUSIVE MODE"))
        lock = WriteLock(connection)
        try:
            yield lock
        finally:
            await lock.release()


def sqlite_store(directory: Path) -> Store:
    return Store(SQLITE, f"sqlite+aiosqlite:///{directory / 'bot.db'}")


async def postgres_store() -> tuple[Store, str]:
    """A fresh schema on the test PostgreSQL, and the statement that drops it."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    await _execute(POSTGRES_URL, f'CREATE SCHEMA "{schema}"')
    return Store(POSTGRESQL, POSTGRES_URL, schema), f'DROP SCHEMA "{schema}" CASCADE'


async def drop(statement: str) -> None:
    await _execute(POSTGRES_URL, statement)


class SqliteTemplate:
    """An SQLite file migrated once; each test gets a copy."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    async def create(cls, directory: Path) -> SqliteTemplate:
        template = sqlite_store(directory)
        async with template.open() as database:
            await migrate(database)
        assert not (directory / "bot.db-wal").exists(), "the last connection to close checkpoints the WAL"
        return cls(directory / "bot.db")

    def fresh(self, directory: Path) -> Store:
        shutil.copyfile(self.path, directory / "bot.db")
        return sqlite_store(directory)


class StaleTemplate(Exception):
    """The shared schema is no longer as the migrations left it."""


@dataclass
class PostgresTemplate:
    """A schema migrated once; emptied before each test that uses it."""

    schema: str
    sequences: tuple[str, ...]
    revision: str
    retired: list[str]

    @classmethod
    async def create(cls, retired: list[str] | None = None) -> PostgresTemplate:
        empty, _ = await postgres_store()
        async with empty.open() as database:
            revision = await migrate(database)
        connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
        try:
            tables = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", empty.schema)
            sequences = await connection.fetch(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = $1", empty.schema
            )
        finally:
            await connection.close()
        assert empty.schema is not None
        declared = {table.name for table in metadata.sorted_tables}
        assert {row[0] for row in tables} == declared | {"alembic_version"}, "tables.py and the migrations agree"
        return cls(
            empty.schema,
            tuple(row[0] for row in sequences),
            revision,
            retired if retired is not None else [],
        )

    async def fresh(self) -> Store:
        """The schema emptied; a new one if it was changed or cannot be emptied (a test left a lock held)."""
        try:
            await self._empty()
        except (StaleTemplate, asyncpg.PostgresError, OSError, TimeoutError):
            replacement = await PostgresTemplate.create([*self.retired, self.schema])
            self.schema, self.sequences = replacement.schema, replacement.sequences
            self.retired = replacement.retired
        return Store(POSTGRESQL, POSTGRES_URL, self.schema)

    async def _empty(self) -> None:
        connection = await asyncpg.connect(
            _asyncpg_dsn(POSTGRES_URL), timeout=5, server_settings={"lock_timeout": "5s"}
        )
        schema = f'"{self.schema}"'
        try:
            async with connection.transaction():
                revision = await connection.fetchval(f"SELECT version_num FROM {schema}.alembic_version")
                if revision != self.revision:  # a test took the schema down and did not bring it back
                    raise StaleTemplate(f"{self.schema} at revision {revision}")
                deletes = [f'DELETE FROM {schema}."{table.name}"' for table in reversed(metadata.sorted_tables)]
                restarts = [f"SELECT setval('{schema}.\"{name}\"', 1, false)" for name in self.sequences]
                await connection.execute(";".join(deletes + restarts))  # referencing rows first
        finally:
            await connection.close()

    async def drop(self) -> None:
        """At the end of the run; a retired schema a stray connection still holds is left behind."""
        for schema in [*self.retired, self.schema]:
            connection = await asyncpg.connect(
                _asyncpg_dsn(POSTGRES_URL), timeout=5, server_settings={"lock_timeout": "5s"}
            )
            try:
                await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            except asyncpg.PostgresError:
                if schema == self.schema:
                    raise
            finally:
                await connection.close()
