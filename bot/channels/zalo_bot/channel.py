"""The Zalo Bot Platform channel: an event to an Inbound, the service, the replies sent as numbered text.

    channel = ZaloBotChannel(client, service.handle, store, quota=Quota(3000, timezone), now=clock)
    await channel(event_json)        # POST /webhooks/zalo-bot hands each event here; returns once answered
    await poll(client, channel, stop) # or long polling, when no webhook secret is set

Each event is handled by the exactly-once service (update id: a keyed hash of Zalo's message id, so a message
delivered twice is answered once), then its replies are sent in order. The lines shown last are stored per chat
(bot.storage.zalo_bot through the `store` the composition root hands over), so "1" typed in the next message
presses the first on any instance. Sent messages are counted per month; at 80 % and at 100 % of the plan's quota
a warning is logged (ZALO_BOT_MONTHLY_QUOTA).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from bot.channels.zalo_bot.client import ZaloBotClient, ZaloBotError
from bot.channels.zalo_bot.render import last_buttons, render_all
from bot.channels.zalo_bot.updates import NotAnEvent, ZaloEvent, parse, to_inbound, update_id
from bot.core.types import Button, Clock, Inbound, Outcome

log = logging.getLogger(__name__)

Handle = Callable[[Inbound, int | None], Awaitable[Outcome | None]]
BUSY_TEXT = "Hệ thống đang bận, bạn vui lòng gửi lại sau ít phút."
WARN_AT = 0.8  # of the monthly quota


class ChoiceStore(Protocol):
    """Where the lines shown last are kept (bot.storage.zalo_bot.ZaloBotStore in production)."""

    async def choices(self, chat: str) -> list[tuple[str, str]]: ...
    async def save_choices(self, chat: str, choices: list[tuple[str, str]], now: datetime) -> None: ...
    async def count_sent(self, month: str, added: int) -> int: ...
    async def update_ids_key(self, now: datetime) -> bytes: ...


@dataclass(frozen=True)
class Quota:
    monthly: int  # messages the plan sends per month (Basic: 3,000)
    timezone: tzinfo  # whose months

    def month(self, now: datetime) -> str:
        return now.astimezone(self.timezone).strftime("%Y-%m")

    def crossed(self, before: int, after: int) -> str | None:
        """ "80%" or "100%" when a count going from `before` to `after` passes that share of the quota."""
        for share, name in ((1.0, "100%"), (WARN_AT, "80%")):
            line = self.monthly * share
            if before < line <= after:
                return name
        return None


class ZaloBotChannel:
    def __init__(
        self,
        client: ZaloBotClient,
        handle: Handle,
        store: ChoiceStore,
        quota: Quota,
        now: Clock,
        unavailable: tuple[type[Exception], ...] = (),
    ) -> None:
        self.client = client
        self.handle = handle
        self.store = store
        self.quota = quota
        self.now = now
        self.unavailable = unavailable  # the exceptions of `handle` meaning "storage is away"
        self._key: bytes | None = None
        self._locks: dict[str, asyncio.Lock] = {}  # a chat's events handled in order within this process
        self._users: dict[str, int] = {}

    async def __call__(self, data: dict[str, Any]) -> None:
        """Handle one event from the webhook: NotAnEvent (a ValueError) when the body is none; the service's
        `unavailable` exceptions propagate (the route answers 503, Zalo delivers again)."""
        await self.on_event(parse(data))

    async def on_event(self, event: ZaloEvent) -> None:
        if not event.private:
            log.info("zalo_bot: group message not answered")
            return
        if self._key is None:
            self._key = await self.store.update_ids_key(self.now())
        lock = self._locks.setdefault(event.chat, asyncio.Lock())
        self._users[event.chat] = self._users.get(event.chat, 0) + 1
        try:
            async with lock:
                await self._handle(event, update_id(self._key, event.message_id))
        finally:
            self._users[event.chat] -= 1
            if not self._users[event.chat]:  # nobody holds or waits for it: forgotten
                del self._users[event.chat], self._locks[event.chat]

    async def _handle(self, event: ZaloEvent, update: int) -> None:
        shown = tuple(Button(label, action) for label, action in await self.store.choices(event.chat))
        inbound = to_inbound(event, shown)
        outcome = await self.handle(inbound, update)
        if outcome is None:
            log.info("zalo_bot: update %s already handled, nothing sent", update)
            return
        log.info("zalo_bot: update %s: %s", update, inbound.kind)
        buttons = last_buttons(outcome.replies)
        if buttons is not None:
            choices = [(button.label, button.action) for button in buttons]
            await self.store.save_choices(event.chat, choices, self.now())
        await self.send(event.chat_id, render_all(outcome.replies))

    async def send(self, chat_id: str, messages: list[str]) -> int:
        """Send the messages in order, stopping at the first given up; how many were sent (and counted)."""
        sent = 0
        for text in messages:
            if not await self.client.send_message(chat_id, text):
                break
            sent += 1
        if sent:
            await self.count(sent)
        return sent

    async def count(self, sent: int) -> None:
        month = self.quota.month(self.now())
        after = await self.store.count_sent(month, sent)
        crossed = self.quota.crossed(after - sent, after)
        if crossed is not None:
            log.warning(
                "zalo_bot: %s of the monthly quota used (%d of %d messages sent in %s): the plan will stop "
                "sending soon; raise ZALO_BOT_MONTHLY_QUOTA with a paid plan, or move citizens to the OA",
                crossed,
                after,
                self.quota.monthly,
                month,
            )

    async def busy(self, event: ZaloEvent) -> None:
        """Storage is away while polling (no redelivery): ask the citizen to send again."""
        await self.send(event.chat_id, [BUSY_TEXT])


async def poll(
    channel: ZaloBotChannel,
    stop: asyncio.Event,
    timeout: float = 30.0,
    error_backoff: float = 1.0,
    max_error_backoff: float = 60.0,
) -> None:
    """Long polling with getUpdates until `stop` is set: one event per call, none (HTTP 408) on an empty poll.
    There is no offset: a message delivered twice is recognised by its id (the service's processed updates)."""
    client, failures = channel.client, 0
    log.info("zalo_bot: long polling started")
    while not stop.is_set():
        fetch = asyncio.ensure_future(client.get_update(timeout))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
            break
        try:
            data = fetch.result()
        except ZaloBotError as exc:
            failures += 1
            delay = min(error_backoff * 2 ** (failures - 1), max_error_backoff)
            log.warning("zalo_bot: getUpdates failed (%s), retrying in %.1fs", exc.status, delay)
            await _sleep(stop, delay)
            continue
        failures = 0
        if data is None:
            continue
        try:
            event = parse(data)
        except NotAnEvent:
            log.warning("zalo_bot: getUpdates gave something that is no event, skipped")
            continue
        try:
            await channel.on_event(event)
        except channel.unavailable as exc:
            log.warning("zalo_bot: storage unavailable (%s), asked to retry", type(exc).__name__)
            await channel.busy(event)
        except Exception as exc:  # one bad event must not stop the channel
            log.error("zalo_bot: event failed with %s", type(exc).__name__)
    log.info("zalo_bot: long polling stopped")


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
