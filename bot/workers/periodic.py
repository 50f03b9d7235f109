"""A job run every so often until told to stop; a database that is away is logged and tried again next time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


async def every(seconds: float, job: Callable[[], Awaitable[object]], stop: asyncio.Event, name: str) -> None:
    """`job()` now and then every `seconds` until `stop` is set."""
    while not stop.is_set():
        try:
            await job()
        except (OSError, SQLAlchemyError) as exc:
            log.warning("%s: database unavailable (%s), retrying", name, type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
