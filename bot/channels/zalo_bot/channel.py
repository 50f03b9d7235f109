"""The Zalo Bot Platform channel: each event stored before it is answered, the replies sent as numbered text.

    channel = ZaloBotChannel(client, store, quota=Quota(3000, timezone), now=clock, wake=event.set)
    await channel(event_json)        # POST /webhooks/zalo-bot hands each event here; returns once it is stored
    await poll(channel, stop)        # or long polling, when no webhook secret is set: each event stored the same way

An event is kept (the `store`: inbound events, channel "zalo_bot", event id = Zalo's message id, so a message
delivered twice is stored once) and the worker is woken: bot/workers/zalo_bot_events.py answers it afterwards, on
any instance, in order per chat, through the exactly-once service, and sends the replies with `send`. The lines
shown last are stored per chat (bot.storage.zalo_bot through the `store` the composition root hands over), so "1"
typed in the next message presses the first on any instance. Sent messages are counted per month; at 80 % and at
100 % of the plan's quota a warning is logged (ZALO_BOT_MONTHLY_QUOTA).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from bot.channels.zalo_bot.client import ZaloBotClient, ZaloBotError
from bot.channels.zalo_bot.updates import NotAnEvent, ZaloEvent, parse
from bot.core.types import Clock

log = logging.getLogger(__name__)

BUSY_TEXT = "Hệ thống đang bận, bạn vui lòng gửi lại sau ít phút."
WARN_AT = 0.8  # of the monthly quota


class ChoiceStore(Protocol):
    """Where the events and the lines shown last are kept (bot.storage.zalo_bot.ZaloBotStore in production)."""

    async def keep_event(self, event_id: str, chat: str, payload: str, now: datetime) -> bool: ...
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
        store: ChoiceStore,
        quota: Quota,
        now: Clock,
        wake: Callable[[], None] = lambda: None,
        unavailable: tuple[type[Exception], ...] = (),
    ) -> None:
        self.client = client
        self.store = store
        self.quota = quota
        self.now = now
        self.wake = wake  # tells this instance's worker that an event was stored
        self.unavailable = unavailable  # the exceptions of `store` meaning "storage is away"

    async def __call__(self, data: dict[str, Any]) -> None:
        """Store one event from the webhook: NotAnEvent (a ValueError) when the body is none; the store's
        `unavailable` exceptions propagate (the route answers 503, Zalo delivers again)."""
        await self.on_event(parse(data))

    async def on_event(self, event: ZaloEvent) -> None:
        """Keep the event for the worker (once per message id) and wake it; a group's messages are not answered."""
        if not event.private:
            log.info("zalo_bot: group message not answered")
            return
        payload = json.dumps({"event_name": event.name, "message": _message(event)}, ensure_ascii=False)
        if await self.store.keep_event(event.message_id, event.chat, payload, self.now()):
            self.wake()
        else:
            log.info("zalo_bot: message delivered again, stored before")

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
            log.warning("zalo_bot: storage unavailable (%s), asked to send again", type(exc).__name__)
            await channel.busy(event)
        except Exception as exc:  # one bad event must not stop the channel
            log.error("zalo_bot: event failed with %s", type(exc).__name__)
    log.info("zalo_bot: long polling stopped")


def _message(event: ZaloEvent) -> dict[str, Any]:
    """What the worker reads of the event again (bot.channels.zalo_bot.updates.parse): no sender's name."""
    return {
        "message_id": event.message_id,
        "chat": {"id": event.chat_id, "chat_type": "PRIVATE" if event.private else "GROUP"},
        "text": event.text,
    }


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
