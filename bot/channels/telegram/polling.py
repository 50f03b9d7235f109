"""Long polling that never confirms an update before it is handled, inside an event loop the caller owns.

Telegram forgets every update below the `offset` of the next getUpdates call. PTB's Updater asks for the
next batch while the previous one is still queued, so a crash loses whatever was fetched and not yet
handled. Here a batch of at most `batch` updates is fetched, handled concurrently (each chat's in order),
and only when every one of them is committed by the service is the next batch asked for, with the offset
that confirms them. A crash then costs at most a re-delivery, which the service's processed-updates table
answers with silence. Replies are sent after the commit by each chat's own sender (see application.py), so
a chat waiting out a 429 holds up neither the next batch nor any other chat.

A small batch also keeps latency low under a burst: an update waits for the others of its batch, not for
thousands queued in the process.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext, suppress

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application

from bot.channels.telegram.application import ALLOWED_UPDATES

log = logging.getLogger(__name__)

DEFAULT_BATCH = 6  # updates fetched at once; see the module's docstring. In bench/bench_e2e.py's burst (SQLite)
# 4, 6 and 8 answer as many messages per second; p99 from fetch to reply was 21, 30 and 45 ms.
FIRST_PAUSE = 0.5  # seconds before polling again after a failed getUpdates, doubled up to MAX_PAUSE
MAX_PAUSE = 30.0
START_ATTEMPTS = 3  # tries for getWebhookInfo before polling starts


class Poller:
    """Fetches, hands to the Application, confirms. `stop()` ends it after the batch in hand."""

    def __init__(self, application: Application, poll_timeout: int, batch: int) -> None:
        if not 1 <= batch <= 100:
            raise ValueError("getUpdates takes a limit from 1 to 100")
        self.application = application
        self.poll_timeout = poll_timeout
        self.batch = batch
        self.offset: int | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        pause = FIRST_PAUSE
        while not self._stopping.is_set():
            try:
                updates = await self._next_batch()
            except (InvalidToken, asyncio.CancelledError):
                raise
            except TelegramError as error:
                kind = "another bot instance or a webhook is using this token" if isinstance(error, Conflict) else ""
                log.warning("getUpdates failed (%s%s), polling again in %.1f s", type(error).__name__, kind, pause)
                await self._sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
                continue
            pause = FIRST_PAUSE
            if updates:
                await self._handle(updates)
                self.offset = updates[-1].update_id + 1

    async def _next_batch(self) -> Sequence[Update]:
        """The next updates, or () when stopped while waiting for them."""
        fetch = asyncio.ensure_future(
            self.application.bot.get_updates(
                offset=self.offset, limit=self.batch, timeout=self.poll_timeout, allowed_updates=list(ALLOWED_UPDATES)
            )
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait((fetch, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not fetch.done():  # stopped: what this call would have fetched stays with Telegram
            fetch.cancel()
            with suppress(asyncio.CancelledError, TelegramError):
                await fetch
            return ()
        return fetch.result()

    async def _handle(self, updates: Sequence[Update]) -> None:
        """Every update of the batch, concurrently; returns once each handler has returned (committed)."""
        await asyncio.gather(*(self.application.process_update(update) for update in updates))

    async def confirm(self) -> None:
        """Tell Telegram the last batch was handled, so a restart does not fetch it again (best effort)."""
        if self.offset is None:
            return
        with suppress(TelegramError):
            await self.application.bot.get_updates(offset=self.offset, limit=1, timeout=0)

    async def _sleep(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


class WebhookInUse(RuntimeError):
    """The bot's token has a webhook set: long polling would fail, and deleting it would cut off the instances
    that take updates by webhook. The message says what to do, in Vietnamese, for the office's staff."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"Bot đang dùng webhook ({url}): không chạy long polling được. Chạy `python -m bot webhook delete` "
            "nếu muốn chuyển về polling, hoặc đặt TELEGRAM_WEBHOOK_URL và TELEGRAM_WEBHOOK_SECRET để nhận tin "
            "qua webhook."
        )
        self.url = url


async def _check_no_webhook(application: Application) -> None:
    """Long polling and a webhook exclude each other: WebhookInUse when one is set (it is left as it is; an
    operator deletes it with `python -m bot webhook delete`). getWebhookInfo is retried a few times."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            info = await application.bot.get_webhook_info()
            break
        except InvalidToken:
            raise
        except TelegramError as error:
            if attempt == START_ATTEMPTS:
                raise
            log.warning("getWebhookInfo failed (%s), trying again", type(error).__name__)
            await asyncio.sleep(FIRST_PAUSE * 2 ** (attempt - 1))
    if info.url:
        raise WebhookInUse(info.url)


@asynccontextmanager
async def running(
    application: Application,
    poll_timeout: int = 30,
    batch: int = DEFAULT_BATCH,
    failed: asyncio.Event | None = None,
) -> AsyncIterator[Application]:
    """Initialise, run post_init, start and long-poll; on exit finish the batch in hand, send what is queued,
    confirm and stop. What Application.run_polling does, without taking over the event loop, so the caller
    can set up (and tests can drive) around it. `failed` is set if polling ends on its own (a revoked token)."""
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await _check_no_webhook(application)
        await application.start()
        poller = Poller(application, poll_timeout, batch)
        polling = asyncio.create_task(poller.run(), name="telegram-polling")
        if failed is not None:
            polling.add_done_callback(lambda _: failed.set())
        try:
            yield application
        except BaseException:
            polling.cancel()  # aborted (cancelled, or the caller failed): the batch in hand stays unconfirmed
            raise
        finally:
            poller.stop()
            try:
                if polling.cancelled() or polling.cancelling():
                    with suppress(asyncio.CancelledError):
                        await polling
                else:
                    await polling
            finally:
                await application.stop()  # waits for the replies still being sent
                await poller.confirm()


async def serve(
    application: Application,
    stop: asyncio.Event | None = None,
    batch: int = DEFAULT_BATCH,
    alongside: AbstractAsyncContextManager[object] | None = None,
) -> None:
    """Run until `stop` is set, or until SIGINT/SIGTERM when no event is given (`python -m bot run`), or until
    polling ends on its own. `alongside` (the background workers) is entered once polling runs and left
    before it stops, so the workers finish first and polling then sends what is queued and confirms."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(signum, stop.set)
    async with running(application, batch=batch, failed=stop), alongside or nullcontext():
        log.info("Telegram long polling started")
        await stop.wait()
    log.info("Telegram long polling stopped")
