"""The processed-updates table is pruned: records of updates handled more than `keep` ago (7 days) are deleted
once an hour, a few thousand rows per transaction so that the bot's own transactions are not held up.

    await run_pruning(database, stop, clock)      # until `stop` is set (started with the background workers)
    await prune_once(database, clock)             # one pass (tests)

Telegram keeps an undelivered update for 24 hours and re-delivers one not confirmed, so a week of records
answers every re-delivery that can come; without pruning the table grows by one row per message for ever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import Clock
from bot.storage import updates
from bot.storage.db import Database
from bot.workers.periodic import every

log = logging.getLogger(__name__)

KEEP = timedelta(days=7)
CHECK_EVERY_SECONDS = 3600.0
ROWS_PER_TRANSACTION = 5000


async def in_batches(
    database: Database, delete: Callable[[AsyncConnection, int], Awaitable[int]], chunk: int = ROWS_PER_TRANSACTION
) -> int:
    """`delete(connection, chunk)` in one transaction after another until it deletes fewer than `chunk` rows;
    the number deleted in all."""
    total = 0
    while True:
        async with database.transaction() as connection:
            deleted = await delete(connection, chunk)
        total += deleted
        if deleted < chunk:
            return total
        await asyncio.sleep(0)  # let the messages waiting for the database go first


async def prune_once(
    database: Database, clock: Clock, keep: timedelta = KEEP, chunk: int = ROWS_PER_TRANSACTION
) -> int:
    """Delete the records older than `keep`, `chunk` rows per transaction; the number deleted."""
    if keep < timedelta(days=1):
        raise ValueError("records younger than a day answer Telegram's re-deliveries: keep at least one day")
    cutoff = clock() - keep
    total = await in_batches(database, lambda c, n: updates.forget_before(c, cutoff, n), chunk)
    if total:
        log.info("processed updates: %d record(s) older than %s deleted", total, keep)
    return total


async def run_pruning(
    database: Database,
    stop: asyncio.Event,
    clock: Clock,
    keep: timedelta = KEEP,
    every_seconds: float = CHECK_EVERY_SECONDS,
) -> None:
    """Prune every `every_seconds` until `stop` is set."""
    await every(every_seconds, lambda: prune_once(database, clock, keep), stop, "processed updates pruning")
