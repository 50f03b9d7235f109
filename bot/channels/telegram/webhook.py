"""Telegram by webhook: updates arrive at POST /webhooks/telegram (bot/web/webhooks.py) instead of getUpdates.

Each update is processed inside the request by the same Application, handlers, exactly-once service and durable
replies as a polled one (pattern (a) of ../shared/CHANNELS.md §4): the service records the update id in
processed_updates in the message's transaction, and only then does the request answer 200. A duplicate delivery
finds the id recorded and sends nothing; a crash before the 200 makes Telegram deliver the update again. When
storage is away the update is not answered with the busy text but left to Telegram (StorageUnavailable: the
request answers 503), which delivers it again later. PTB's own update_queue is not used: it acknowledges before
processing, so a crash would lose the update.

setWebhook is not called here: `python -m bot webhook set` registers the address once per deployment, so
instances starting together never race on it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext, suppress
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.application import RETRY_LATER
from bot.shell.transactions import StorageUnavailable

log = logging.getLogger(__name__)


class WebServerDown(RuntimeError):
    """The web server could not listen: a webhook without it would lose every update."""


class TelegramWebhook:
    """The callable the web route hands each update (a decoded JSON object) to; returns once it is committed."""

    def __init__(self, application: Application) -> None:
        self.application = application

    async def __call__(self, data: dict[str, Any]) -> None:
        """Process one update. ValueError: not an update; StorageUnavailable: deliver it again later."""
        try:
            update = Update.de_json(data, self.application.bot)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a Telegram update ({type(exc).__name__})") from exc
        waiting: list[Exception] = []
        token = RETRY_LATER.set(waiting)
        try:
            await self.application.process_update(update)
        finally:
            RETRY_LATER.reset(token)
        if waiting:
            raise StorageUnavailable(f"update {update.update_id} not handled: storage unavailable") from waiting[0]


@asynccontextmanager
async def accepting(application: Application) -> AsyncIterator[TelegramWebhook]:
    """The Application initialised, its post_init run (setMyCommands) and started, without an Updater; on exit
    it stops, after the replies still queued are sent. What the webhook route hands updates to, meanwhile."""
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            yield TelegramWebhook(application)
        finally:
            await application.stop()


async def serve_webhook(
    application: Application,
    web: Callable[[TelegramWebhook], AbstractAsyncContextManager[str | None]],
    stop: asyncio.Event | None = None,
    alongside: AbstractAsyncContextManager[object] | None = None,
) -> None:
    """Take updates by webhook until `stop` is set (by default SIGINT/SIGTERM). `web(handler)` is the web server
    serving the route; it yields its address, or None when it could not listen (then WebServerDown).
    `alongside` (the background workers) runs while it serves."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(signum, stop.set)
    async with accepting(application) as handler, web(handler) as address:
        if address is None:
            raise WebServerDown("the web server is not listening")
        async with alongside or nullcontext():
            log.info("Telegram updates taken by webhook; office console at %s", address)
            await stop.wait()
    log.info("Telegram webhook stopped")
