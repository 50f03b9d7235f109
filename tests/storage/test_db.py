"""The database URL and the engine: the async driver is chosen for the URL, SQLite runs in WAL mode and
waits for the write lock, a transaction commits as a whole or not at all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.core.types import Session
from bot.shell.transactions import is_transient
from bot.storage import sessions
from bot.storage.db import Database, DatabaseUrlError, async_url
from bot.storage.migrations import migrate
from bot.storage.tables import chat_sessions
from tests.databases import POSTGRES_URL, Store, _asyncpg_dsn, sqlite_store, write_lock
from tests.lead_factories import NOW


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite+aiosqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
        ("postgresql+asyncpg://bot:secret@db:5432/bot", "postgresql+asyncpg://bot:secret@db:5432/bot"),
        ("postgresql://bot:secret@db/bot", "postgresql+asyncpg://bot:secret@db/bot"),
        ("postgres://bot:secret@db/bot", "postgresql+asyncpg://bot:secret@db/bot"),
    ],
)
def test_a_url_without_the_async_driver_gets_it(given: str, used: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == used


@pytest.mark.parametrize("url", ["mysql://db/bot", "postgresql+psycopg2://db/bot", "sqlite+pysqlite:///x.db", "bot.db"])
def test_a_url_this_bot_cannot_use_is_refused_with_a_reason(url: str) -> None:
    with pytest.raises(DatabaseUrlError, match="use "):
        async_url(url)


async def test_the_password_is_hidden_when_the_database_is_described() -> None:
    database = Database("postgresql://bot:secret@db/bot")
    assert "secret" not in database.describe()
    await database.dispose()


def test_a_schema_is_refused_on_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        Database(f"sqlite:///{tmp_path / 'bot.db'}", schema="other")


async def test_sqlite_runs_in_wal_mode_and_waits_for_the_write_lock(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}", busy_timeout_ms=1234)
    async with database, database.transaction() as connection:
        mode = await connection.scalar(text("PRAGMA journal_mode"))
        timeout = await connection.scalar(text("PRAGMA busy_timeout"))
    assert (mode, timeout) == ("wal", 1234)


async def test_the_folder_of_the_sqlite_file_is_created_on_migration(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "bot.db"

    async with Database(f"sqlite+aiosqlite:///{path}") as database:
        await migrate(database)
    assert path.is_file()


async def test_a_transaction_that_raises_leaves_nothing_behind(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        with pytest.raises(RuntimeError):
            async with database.transaction() as connection:
                await sessions.lock(connection, "telegram:1", NOW)
                await sessions.save(connection, Session("telegram:1", turns=5), NOW)
                raise RuntimeError("the engine failed half-way")
        async with database.transaction() as connection:
            count = await connection.scalar(select(func.count()).select_from(chat_sessions))
    assert count == 0


async def test_sqlite_statements_give_their_rows_counts_and_new_ids_as_the_driver_does(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'bot.db'}") as database:
        async with database.transaction() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
            inserted = await connection.execute(text("INSERT INTO t (name) VALUES ('a') RETURNING id, name"))
            rows = [tuple(row) for row in inserted]
            await connection.execute(text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}])
            last = await connection.execute(text("INSERT INTO t (name) VALUES ('d')"))
            renamed = await connection.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        async with database.transaction() as connection:
            names = list(await connection.scalars(text("SELECT name FROM t ORDER BY id")))
    assert (rows, renamed.rowcount, last.lastrowid, names, len(names)) == ([(1, "a")], 3, 4, ["a", "b!", "c!", "d!"], 4)


async def test_concurrent_transactions_of_one_sqlite_process_each_commit_whole(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'bot.db'}") as database:
        async with database.transaction() as connection:
            await connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            await connection.execute(text("INSERT INTO counter VALUES (0)"))

        async def increment() -> None:
            async with database.transaction() as connection:
                n = await connection.scalar(text("SELECT n FROM counter"))
                await asyncio.sleep(0)  # the others run meanwhile and must wait for this one
                await connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        await asyncio.gather(*(increment() for _ in range(20)))
        async with database.transaction() as connection:
            assert await connection.scalar(text("SELECT n FROM counter")) == 20


async def test_an_sqlite_transaction_that_waits_too_long_for_its_turn_fails_as_a_busy_database(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}", busy_timeout_ms=50)
    async with database, database.transaction():
        with pytest.raises(OperationalError) as raised:
            async with database.transaction():
                pass
    error = raised.value.orig
    assert (type(error).__name__, error.sqlite_errorcode) == ("OperationalError", 5)  # SQLITE_BUSY: retried


async def test_a_short_transaction_commits_whole_or_not_at_all(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction(short=True) as connection:
            await sessions.lock(connection, "telegram:1", NOW)
            await sessions.save(connection, Session("telegram:1", turns=1), NOW)
        with pytest.raises(RuntimeError):
            async with database.transaction(short=True) as connection:
                await sessions.lock(connection, "telegram:2", NOW)
                raise RuntimeError("the engine failed half-way")
        async with database.transaction() as connection:
            first, second = await sessions.load(connection, "telegram:1"), await sessions.load(connection, "telegram:2")
    assert (first, second) == (Session("telegram:1", turns=1), None)


async def test_a_short_sqlite_transaction_still_waits_for_another_process_holding_the_write_lock(
    tmp_path: Path,
) -> None:
    store = sqlite_store(tmp_path)

    async with store.open() as database:
        await migrate(database)
    async with write_lock(store), store.open(busy_timeout_ms=50) as database:
        with pytest.raises(OperationalError) as raised:
            async with database.transaction(short=True) as connection:
                await sessions.lock(connection, "telegram:1", NOW)
    assert raised.value.orig.sqlite_errorcode == 5  # SQLITE_BUSY, which the service retries


async def _backend_closed(database: Database) -> None:
    """Close, from the server's side, the PostgreSQL connection this database's pool holds (as a restart does)."""
    async with database.transaction() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            await asyncio.sleep(0.01)  # until the server has let it go
    finally:
        await admin.close()


@pytest.mark.usefixtures("postgres_reachable")
async def test_a_postgresql_connection_closed_while_idle_is_replaced_before_it_is_used() -> None:
    async with Database(POSTGRES_URL, ping_after_idle=0) as database:
        await _backend_closed(database)
        async with database.transaction() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1


@pytest.mark.usefixtures("postgres_reachable")
async def test_a_postgresql_connection_closed_while_in_steady_use_fails_once_as_a_transient_error() -> None:
    async with Database(POSTGRES_URL, ping_after_idle=3600) as database:
        await _backend_closed(database)
        with pytest.raises(DBAPIError) as raised:
            async with database.transaction() as connection:
                await connection.scalar(text("SELECT 1"))
        async with database.transaction() as connection:  # what the service's next attempt does
            assert (is_transient(raised.value), await connection.scalar(text("SELECT 1"))) == (True, 1)
