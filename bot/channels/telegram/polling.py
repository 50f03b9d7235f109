"""Running an Application by long polling, inside an event loop the caller owns."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram.error import TelegramError
from telegram.ext import Application

from bot.channels.telegram.application import ALLOWED_UPDATES

log = logging.getLogger(__name__)


def _polling_failed(error: TelegramError) -> None:
    """getUpdates failed; PTB retries with a growing pause. One line, no traceback: this is routine."""
    log.warning("getUpdates failed (%s), polling again shortly", type(error).__name__)


@asynccontextmanager
async def running(application: Application, poll_timeout: int = 30) -> AsyncIterator[Application]:
    """Initialise, run post_init, start and long-poll; stop it all on exit. What Application.run_polling does,
    without taking over the event loop, so the caller can set up (and tests can drive) around it."""
    updater = application.updater
    if updater is None:
        raise ValueError("the application has no updater to poll with")
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            await updater.start_polling(
                poll_interval=0,
                timeout=poll_timeout,
                bootstrap_retries=3,
                allowed_updates=list(ALLOWED_UPDATES),
                error_callback=_polling_failed,
            )
            try:
                yield application
            finally:
                await updater.stop()
        finally:
            await application.stop()


async def serve(application: Application, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set, or until SIGINT/SIGTERM when no event is given (`python -m bot run`)."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(signum, stop.set)
    async with running(application):
        log.info("Telegram long polling started")
        await stop.wait()
    log.info("Telegram long polling stopped")
