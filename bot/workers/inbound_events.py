"""The workers that handle the events stored by a webhook (or a poll) before they are answered, on every instance
at once: InboundEvents (claiming, retrying, giving up, waiting) and each channel's handling of one event:
ZaloOaEvents here, ZaloBotEvents in bot/workers/zalo_bot_events.py.

    worker = ZaloOaEvents(database, service, client, keeper, clock)
    await worker.drain()                          # handle every event whose turn it is; how many
    await worker.run(stop, wake)                  # drain, then wait for `wake` (the webhook) or `poll_seconds`

Zalo OA: one event at a time: claim it (a lease: bot.storage.inbound_events.claim; an event waits while an earlier
one of its chat is unhandled, so each chat's order is kept across instances), translate it (bot.channels.zalo_oa.events,
with the choices the chat was shown last), let the service answer it (update id: a keyed hash of the event id to
63 bits, so a delivery again is answered once), keep the rendered messages on the event, send them with the OA's
access token (refreshed when Zalo refuses it), and mark it handled. A send that keeps failing releases the event
for a later try, resuming at the first message not sent; after MAX_ATTEMPTS it is given up (logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from datetime import timedelta
from typing import ClassVar

from bot.channels.zalo_oa import CHANNEL
from bot.channels.zalo_oa import events as zalo_events
from bot.channels.zalo_oa.client import TokenRejected, ZaloOaClient, ZaloOaError
from bot.channels.zalo_oa.events import Choice
from bot.channels.zalo_oa.render import Message, render_all
from bot.core.types import Clock
from bot.shell.service import Service
from bot.shell.transactions import StorageUnavailable
from bot.shell.zalo_oa_tokens import NotConnected, TokenKeeper
from bot.storage import inbound_events, install_keys
from bot.storage.db import Database

log = logging.getLogger(__name__)

UPDATE_IDS_KEY = "zalo-oa-update-ids"  # install key: turns an event id into the service's update id
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=5)
POLL_SECONDS = 1.0


def update_id(key: bytes, event_id: str) -> int:
    """A stable 63-bit integer for the event, keyed with the installation's secret `key` (as the web chat does)."""
    digest = hashlib.blake2b(f"{CHANNEL}\n{event_id}".encode(), digest_size=8, key=key[:64]).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)


def _choices(found: str | None) -> tuple[Choice, ...]:
    if not found:
        return ()
    return tuple(Choice(*row) for row in json.loads(found))


class InboundEvents:
    """The stored events of one `channel`, claimed one at a time and handled by `_handle` (a subclass's); one that
    raises one of `retried` is released for a later try, and given up (logged) after MAX_ATTEMPTS."""

    channel: ClassVar[str]
    retried: ClassVar[tuple[type[Exception], ...]] = (StorageUnavailable,)

    def __init__(self, database: Database, clock: Clock, lease: timedelta = LEASE) -> None:
        self.database = database
        self.clock = clock
        self.lease = lease

    async def _handle(self, event: inbound_events.Event) -> None:
        raise NotImplementedError

    async def drain(self) -> int:
        """Handle events until none is ready; how many were handled (or released for a later try)."""
        count = 0
        while await self.handle_next():
            count += 1
        return count

    async def handle_next(self) -> bool:
        async with self.database.transaction() as connection:
            event = await inbound_events.claim(connection, self.channel, self.clock(), self.lease)
        if event is None:
            return False
        try:
            await self._handle(event)
        except self.retried as exc:
            await self._later(event, exc)
        return True

    async def _later(self, event: inbound_events.Event, error: Exception) -> None:
        now = self.clock()
        async with self.database.transaction() as connection:
            if event.attempts >= MAX_ATTEMPTS:
                log.error("%s: event %s given up after %d attempts (%s)", self.channel, event.id, event.attempts, error)
                await inbound_events.done(connection, event.id, now)
                return
            wait = RETRY_BASE * (2 ** (event.attempts - 1))
            seconds = wait.total_seconds()
            log.warning("%s: event %s not handled (%s); again in %ss", self.channel, event.id, error, seconds)
            await inbound_events.release(connection, event.id, now + wait)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, poll_seconds: float = POLL_SECONDS) -> None:
        """Drain, then wait for the webhook's wake-up (events stored on this instance) or `poll_seconds` (events
        stored on another), until `stop`."""
        prune_every, handled = 500, 0
        while not stop.is_set():
            wake.clear()
            handled += await self.drain()
            if handled >= prune_every:
                handled = 0
                async with self.database.transaction() as connection:
                    await inbound_events.prune(connection, self.clock())
            stopping = asyncio.ensure_future(stop.wait())
            woken = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({stopping, woken}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in (stopping, woken):
                    waiting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiting


class ZaloOaEvents(InboundEvents):
    channel = CHANNEL
    retried = (ZaloOaError, NotConnected, StorageUnavailable)

    def __init__(
        self,
        database: Database,
        service: Service,
        client: ZaloOaClient,
        keeper: TokenKeeper,
        clock: Clock,
        *,
        lease: timedelta = LEASE,
    ) -> None:
        super().__init__(database, clock, lease)
        self.service = service
        self.client = client
        self.keeper = keeper
        self._key: bytes | None = None

    async def _update_key(self) -> bytes:
        if self._key is None:
            async with self.database.transaction() as connection:
                self._key = bytes.fromhex(await install_keys.get_or_create(connection, UPDATE_IDS_KEY, self.clock()))
        return self._key

    async def _handle(self, event: inbound_events.Event) -> None:
        planned = event.replies
        if planned is None:
            planned = await self._answer(event)
        plan = json.loads(planned)
        messages = [Message(text, tuple((title, payload) for title, payload in buttons)) for text, buttons in plan["m"]]
        sent = event.sent
        if sent < len(messages):
            token = await self.keeper.access_token()
            for index in range(sent, len(messages)):
                try:
                    await self.client.send(token, event.chat, messages[index])
                except TokenRejected:
                    token = await self.keeper.refresh_now(stale=token)
                    await self.client.send(token, event.chat, messages[index])
                async with self.database.transaction() as connection:
                    await inbound_events.mark_sent(connection, event.id, index + 1)
        shown = None if plan["c"] is None else json.dumps(plan["c"], ensure_ascii=False)
        async with self.database.transaction() as connection:
            await inbound_events.done(connection, event.id, self.clock(), shown)

    async def _answer(self, event: inbound_events.Event) -> str:
        """The messages answering the event (none when the service handled it before), kept on the event."""
        parsed = zalo_events.from_json(json.loads(event.payload))
        async with self.database.transaction() as connection:
            shown = _choices(await inbound_events.shown(connection, CHANNEL, event.chat))
        inbound = zalo_events.to_inbound(parsed, shown)
        outcome = await self.service.handle(inbound, update_id(await self._update_key(), event.event_id))
        messages, offered = render_all(outcome.replies) if outcome is not None else ([], None)
        plan = json.dumps(
            {
                "m": [[message.text, [list(button) for button in message.buttons]] for message in messages],
                "c": None if offered is None else [[c.key, c.label, c.action] for c in offered],
            },
            ensure_ascii=False,
        )
        async with self.database.transaction() as connection:
            await inbound_events.keep_replies(connection, event.id, plan)
        return plan
