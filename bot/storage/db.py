"""The database: one async engine from a URL, SQLite (aiosqlite) or PostgreSQL (asyncpg).

`transaction()` is the only way in. On SQLite it starts with BEGIN IMMEDIATE, which takes the write lock
at the start, so two processes sharing the file never interleave a read-modify-write; this follows
SQLAlchemy's recipe for aiosqlite ("Using SQLAlchemy to emit BEGIN in lieu of SQLite's transaction
control": the driver's own BEGIN is switched off and ours is emitted from the engine's "begin" event).
The file runs in WAL mode so readers never wait for the writer, and a writer waits up to `busy_timeout_ms`
for the lock before SQLite reports "database is locked". On PostgreSQL a transaction is an ordinary READ
COMMITTED one; the repositories lock rows where they need to, and a lock is waited for up to the same
`busy_timeout_ms` (PostgreSQL's lock_timeout) before the statement fails.

Two things keep SQLite cheap per message (bench/bench_e2e.py measures them):

- The transactions of one process take turns on an asyncio lock before BEGIN IMMEDIATE. SQLite would
  serialise them anyway, but a transaction that finds the file locked polls for it with growing sleeps
  (1, 2, 5, 10 ms, …) in its driver thread; on the lock it starts the moment the previous one ends. Other
  processes still wait at BEGIN IMMEDIATE, up to `busy_timeout_ms`; a transaction of this process waits as
  long on the lock and then fails as SQLite would ("database is locked", so it is retried like one).
- aiosqlite runs each call on the connection's own thread, and SQLAlchemy makes four calls per statement
  (open a cursor, execute, fetch, close), each a round trip between threads. `PrefetchingConnection` runs a
  statement and reads all its rows in one round trip, and opens and closes its cursor there too.
- `transaction(short=True)` is for a caller whose statements each touch a few rows by key (the service's
  per-message transaction). Once BEGIN IMMEDIATE holds the write lock such a statement cannot wait for a
  lock, so it runs on the event loop's own thread, without a round trip; BEGIN (which may wait for another
  process) and COMMIT (which waits for the disk) still run on the connection's thread.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
ASYNC_DRIVERS = {SQLITE: "sqlite+aiosqlite", POSTGRESQL: "postgresql+asyncpg"}
CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_BUSY_TIMEOUT_MS = 5000
DEFAULT_PING_AFTER_IDLE = 10.0  # s; PostgreSQL connections idle longer are checked before use
LAST_USED = "bhxh_last_used"  # key in a pooled connection's info: time.monotonic() when it came back
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


Rows = list[Any]
Description = tuple[tuple[Any, ...], ...] | None


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool
) -> tuple[Description, int, int | None, Rows]:
    """On the connection's thread: one statement, its rows and what the cursor tells about it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class PrefetchingCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses, with every row read as the statement runs."""

    arraysize = 1

    def __init__(self, connection: PrefetchingConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> PrefetchingCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._rows.clear()

    async def _run(self, sql: str, parameters: Any, many: bool) -> PrefetchingCursor:
        connection = self._connection
        database = connection._conn
        if connection.inline and database.in_transaction:  # see Database.transaction(short=True)
            self.description, self.rowcount, self.lastrowid, rows = _run(database, sql, parameters, many)
        else:
            self.description, self.rowcount, self.lastrowid, rows = await connection._execute(
                _run, database, sql, parameters, many
            )
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> PrefetchingCursor:
        return await self._run(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> PrefetchingCursor:
        return await self._run(sql, parameters, many=True)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class PrefetchingConnection(aiosqlite.Connection):
    """aiosqlite's connection (its thread, commit, rollback, close) with cursors that cost one thread round
    trip per statement instead of four."""

    may_run_inline = False  # the sqlite3 connection may be used from the event loop's thread too
    inline = False  # its statements run there now: Database.transaction(short=True) holds the write lock

    def cursor(self) -> PrefetchingCursor:  # type: ignore[override]
        return PrefetchingCursor(self)

    async def rollback(self) -> None:
        """Roll back, without a round trip when no transaction is open: SQLAlchemy's pool rolls back every
        connection it gets back, also after a commit."""
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().rollback()


async def _open_sqlite(database: str, **kwargs: Any) -> aiosqlite.Connection:
    connection = PrefetchingConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    connection.may_run_inline = kwargs.get("check_same_thread") is False  # files; not ":memory:"
    return await connection


def _locked_error(waited_ms: int) -> OperationalError:
    """What SQLite raises when the write lock stays taken, for a wait on this process's own lock."""
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = SQLITE_BUSY
    error.sqlite_errorname = "SQLITE_BUSY"
    return OperationalError(f"waiting {waited_ms} ms for this process's other transactions", None, error)


class Database:
    """An async engine and its transactions. Use `async with Database(url) as db:` or call `dispose()`."""

    def __init__(
        self,
        url: str | URL,
        *,
        schema: str | None = None,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        ping_after_idle: float = DEFAULT_PING_AFTER_IDLE,
    ) -> None:
        # aiosqlite logs every statement with its parameters at DEBUG: they hold chat keys.
        logging.getLogger("aiosqlite").setLevel(logging.INFO)
        self.url = async_url(url)
        self.dialect = self.url.get_backend_name()
        if schema is not None and self.dialect != POSTGRESQL:
            raise ValueError("a schema can only be chosen on PostgreSQL")
        self.schema = schema
        self.busy_timeout_ms = busy_timeout_ms
        self.ping_after_idle = ping_after_idle  # PostgreSQL: see _postgresql_engine
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None  # SQLite: see the docstring
        if self.dialect == SQLITE:
            self.engine = self._sqlite_engine()
        else:
            self.engine = self._postgresql_engine()

    def _sqlite_engine(self) -> AsyncEngine:
        engine = create_async_engine(self.url)

        @event.listens_for(engine.sync_engine, "do_connect")
        def do_connect(dialect: Any, _: Any, arguments: list[Any], options: dict[str, Any]) -> Any:
            return dialect.loaded_dbapi.connect(*arguments, async_creator_fn=_open_sqlite, **options)

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
        engine = create_async_engine(
            self.url, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, "server_settings": server_settings}
        )
        idle_limit = self.ping_after_idle

        # A PostgreSQL restart leaves dead connections in the pool. SQLAlchemy's pool_pre_ping would ask the
        # server before every transaction (a round trip per message); a connection is asked only when it was
        # idle longer than `ping_after_idle` s. One that died while in steady use fails its next statement,
        # is invalidated with the rest of the pool, and the service tries again (service.is_transient).
        @event.listens_for(engine.sync_engine, "checkout")
        def ping_if_idle(dbapi_connection: Any, record: Any, _: Any) -> None:
            if time.monotonic() - record.info.get(LAST_USED, 0.0) > idle_limit:
                try:
                    dbapi_connection.ping()
                except Exception as error:
                    raise DisconnectionError("the connection was closed while idle") from error

        @event.listens_for(engine.sync_engine, "checkin")
        def note_use(_: Any, record: Any) -> None:
            record.info[LAST_USED] = time.monotonic()

        return engine

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
    async def transaction(self, *, short: bool = False) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back if it raises. `short`: every statement
        touches a few rows by key (see the module's docstring)."""
        if self.dialect != SQLITE:
            async with self.engine.begin() as connection:
                yield connection
            return
        turn = self._turn()
        try:
            async with asyncio.timeout(self.busy_timeout_ms / 1000):
                await turn.acquire()
        except TimeoutError:
            raise _locked_error(self.busy_timeout_ms) from None
        try:
            async with self.engine.begin() as connection:
                sync_connection = connection.sync_connection  # never None once begin() has started it
                driver = sync_connection.connection.driver_connection if short and sync_connection else None
                if not isinstance(driver, PrefetchingConnection) or not driver.may_run_inline:
                    yield connection
                    return
                driver.inline = True
                try:
                    yield connection
                finally:
                    driver.inline = False
        finally:
            turn.release()

    def _turn(self) -> asyncio.Lock:
        """This process's SQLite transactions take turns on this lock (one per event loop: `App.start` migrates
        in another loop than the one the bot runs in)."""
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Lock())
        return self._turns[1]

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.dispose()
