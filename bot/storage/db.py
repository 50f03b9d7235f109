"""The database: one async engine from a URL, SQLite (aiosqlite) or PostgreSQL (asyncpg).

`transaction()` is the only way in. On SQLite it starts with BEGIN IMMEDIATE, which takes the write lock
at the start, so two processes sharing the file never interleave a read-modify-write; this follows
SQLAlchemy's recipe for aiosqlite ("Using SQLAlchemy to emit BEGIN in lieu of SQLite's transaction
control": the driver's own BEGIN is switched off and ours is emitted from the engine's "begin" event).
The file runs in WAL mode so readers never wait for the writer, and a writer waits up to `busy_timeout_ms`
for the lock before SQLite reports "database is locked". On PostgreSQL a transaction is an ordinary READ
COMMITTED one; the repositories lock rows where they need to, and a lock is waited for up to the same
`busy_timeout_ms` (PostgreSQL's lock_timeout) before the statement fails.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
ASYNC_DRIVERS = {SQLITE: "sqlite+aiosqlite", POSTGRESQL: "postgresql+asyncpg"}
CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_BUSY_TIMEOUT_MS = 5000
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # https://sqlite.org/rescode.html


class DatabaseUrlError(ValueError):
    """A database URL this bot cannot use."""


def async_url(url: str | URL) -> URL:
    """The URL with its async driver: "sqlite:///x.db" and "postgres://…" work as well as the explicit forms."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError("not a database URL: use sqlite+aiosqlite:///path or postgresql+asyncpg://…") from None
    backend = parsed.drivername.partition("+")[0]
    if backend == "postgres":  # the scheme some hosting panels hand out
        backend = POSTGRESQL
    if backend not in ASYNC_DRIVERS:
        raise DatabaseUrlError(f"unsupported database {backend!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://")
    driver = ASYNC_DRIVERS[backend]
    if parsed.drivername not in (backend, driver, "postgres"):
        raise DatabaseUrlError(f"unsupported driver {parsed.drivername!r}: use {driver}://")
    return parsed.set(drivername=driver)


def sqlite_file(url: URL) -> Path | None:
    """The file an SQLite URL points at, or None for an in-memory database."""
    database = url.database or ""
    if url.get_backend_name() != SQLITE or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode (it stays so). When processes open a new file at once, one of them switches
    and the others may find it locked: they go on, and the file is in WAL mode for their next connection."""
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF not in (SQLITE_BUSY, SQLITE_LOCKED):
            raise


class Database:
    """An async engine and its transactions. Use `async with Database(url) as db:` or call `dispose()`."""

    def __init__(
        self,
        url: str | URL,
        *,
        schema: str | None = None,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        # aiosqlite logs every statement with its parameters at DEBUG: they hold chat keys.
        logging.getLogger("aiosqlite").setLevel(logging.INFO)
        self.url = async_url(url)
        self.dialect = self.url.get_backend_name()
        if schema is not None and self.dialect != POSTGRESQL:
            raise ValueError("a schema can only be chosen on PostgreSQL")
        self.schema = schema
        self.busy_timeout_ms = busy_timeout_ms
        if self.dialect == SQLITE:
            self.engine = self._sqlite_engine()
        else:
            self.engine = self._postgresql_engine()

    def _sqlite_engine(self) -> AsyncEngine:
        engine = create_async_engine(self.url)

        @event.listens_for(engine.sync_engine, "connect")
        def on_connect(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0] != "wal":
                _switch_to_wal(cursor)
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def _postgresql_engine(self) -> AsyncEngine:
        server_settings = {"lock_timeout": str(int(self.busy_timeout_ms)), "application_name": "bhxh-bot"}
        if self.schema:
            server_settings["search_path"] = self.schema
        return create_async_engine(
            self.url,
            pool_pre_ping=True,  # a PostgreSQL restart leaves dead connections in the pool
            connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, "server_settings": server_settings},
        )

    def describe(self) -> str:
        """The URL without its password, for messages and logs."""
        text = self.url.render_as_string(hide_password=True)
        return f"{text} (schema {self.schema})" if self.schema else text

    def create_directory(self) -> None:
        """Create the folder of an SQLite file (./data/ on a fresh machine)."""
        path = sqlite_file(self.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self.engine.begin() as connection:
            yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.dispose()
