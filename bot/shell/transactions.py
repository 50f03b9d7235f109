"""One retrying transaction helper for both shells (the citizens' service and the agents' desk).

A message is handled in one database transaction; when the database is briefly away or busy (SQLite
"database is locked", a PostgreSQL lock timeout, serialization failure, deadlock or lost connection) the
whole transaction is tried again after a growing pause. If it stays away, StorageUnavailable is raised and
the channel asks the citizen to try again: nothing of that message was stored, so it can be handled later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 0.05  # then doubled: 0.05, 0.1, 0.2, 0.4
# PostgreSQL SQLSTATEs worth another attempt: serialization failure, deadlock, lock timeout, server shutting
# down or starting, too many connections; class 08 is every connection exception.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"})
# SQLite primary result codes worth another attempt: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN,
# SQLITE_PROTOCOL (https://sqlite.org/rescode.html). "no such table" or a syntax error is SQLITE_ERROR: not retried.
TRANSIENT_SQLITE_CODES = frozenset({5, 6, 10, 14, 15})


class StorageUnavailable(Exception):
    """The database could not be reached or stayed busy; nothing was stored for this message."""


def is_transient(error: BaseException) -> bool:
    """Whether another attempt may succeed: the database was away or busy rather than wrong."""
    if isinstance(error, OSError | TimeoutError | PoolTimeout):
        return True  # connection refused, reset or timed out; every pooled connection busy
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return (sqlite_code & 0xFF) in TRANSIENT_SQLITE_CODES  # the extended code's primary part
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    if sqlstate:
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08")
    return isinstance(error, OperationalError | InterfaceError)


def describe(error: BaseException) -> str:
    """The error's class and code, without its message (which may quote stored values)."""
    original = getattr(error, "orig", None) or error
    code = getattr(original, "sqlite_errorname", None) or getattr(original, "sqlstate", None)
    name = type(original).__name__
    return f"{name} {code}" if code else name


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a transaction is tried again: `attempts` in all, pauses doubling from
    `first_pause` seconds."""

    attempts: int = ATTEMPTS
    first_pause: float = FIRST_PAUSE_SECONDS
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep

    async def run(self, once: Callable[[], Awaitable[T]], what: str) -> T:
        """`once()` until it succeeds; StorageUnavailable when the error is not transient or the attempts are
        spent. `what` names the work in log lines ("channel telegram, update 12"): nothing personal."""
        attempt = 1
        while True:
            try:
                return await once()
            except (SQLAlchemyError, OSError, TimeoutError) as error:
                if not is_transient(error):
                    log.error("database error (%s): %s", what, describe(error))
                    raise StorageUnavailable(f"database error: {type(error).__name__}") from error
                if attempt >= self.attempts:
                    log.error("database unavailable after %d attempts (%s): %s", attempt, what, describe(error))
                    raise StorageUnavailable(f"database unavailable after {attempt} attempts") from error
                pause = self.first_pause * 2 ** (attempt - 1)
                log.warning(
                    "database busy or away (%s, attempt %d of %d, retry in %.2f s): %s",
                    what,
                    attempt,
                    self.attempts,
                    pause,
                    describe(error),
                )
                await self.sleep(pause)
                attempt += 1


DEFAULT_RETRY = Retry()
