"""Following published knowledge revisions: each running bot answers from a new revision within seconds.

On PostgreSQL a publication is notified at once (LISTEN/NOTIFY, bot.storage.knowledge_revisions.notifications);
every `poll_seconds` the live revision's number is also read, which is SQLite's only way (a second process on
the same file sees it too) and PostgreSQL's fallback when the listening connection is lost. `follow` is
bot.shell.live_knowledge.LiveKnowledge.follow: it builds the new index off the event loop and swaps it in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import Database
from bot.storage.knowledge_revisions import notifications

log = logging.getLogger(__name__)


async def run_knowledge_reload(
    database: Database, follow: Callable[[], Awaitable[bool]], stop: asyncio.Event, poll_seconds: float
) -> None:
    """Follow the live revision until `stop` is set."""
    published = asyncio.Event()
    async with notifications(database, published.set) as notified:
        how = "when notified, and" if notified else ""
        log.info("following knowledge revisions %s every %gs", how, poll_seconds)
        while not stop.is_set():
            published.clear()  # before reading: a publication during the read wakes the next wait
            try:
                await follow()
            except (OSError, SQLAlchemyError) as exc:
                log.warning("knowledge reload: database unavailable (%s), retrying", type(exc).__name__)
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(published.wait())]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
