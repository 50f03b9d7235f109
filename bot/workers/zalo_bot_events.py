"""The worker that answers the Zalo Bot Platform's events stored by POST /webhooks/zalo-bot or by long polling
(bot.channels.zalo_bot.channel), on every instance at once.

    worker = ZaloBotEvents(database, service, channel, clock)
    await worker.drain()                          # handle every event whose turn it is; how many
    await worker.run(stop, wake)                  # drain, then wait for `wake` (a stored event) or `poll_seconds`

Claiming, retrying and giving up are bot.workers.inbound_events.InboundEvents'. One event: read it with the choices
the chat was shown last (bot.storage.zalo_bot), let the service answer it (update id: a keyed hash of Zalo's
message id, so a message delivered again is answered once) and keep the rendered messages on the event in the
service's own transaction (Service.handle(keep=…)): once the answer is committed, so is what to send. Then the
numbered choices are saved, the messages sent from the first not sent yet (each counted for the monthly quota),
and the event marked handled. A message Zalo does not take releases the event for a later try.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channels.zalo_bot import CHANNEL, ZaloBotChannel
from bot.channels.zalo_bot.render import last_buttons, render_all
from bot.channels.zalo_bot.updates import NotAnEvent, parse, to_inbound, update_id
from bot.core.types import Button, Clock, Outcome
from bot.shell.service import Service
from bot.shell.transactions import StorageUnavailable
from bot.storage import inbound_events
from bot.storage.db import Database
from bot.workers.inbound_events import LEASE, InboundEvents


class NotDelivered(Exception):
    """Zalo did not take a message (given up by the client after its own retries)."""


class ZaloBotEvents(InboundEvents):
    channel = CHANNEL
    retried = (NotDelivered, StorageUnavailable)

    def __init__(
        self,
        database: Database,
        service: Service,
        bot: ZaloBotChannel,
        clock: Clock | None = None,
        *,
        lease: timedelta = LEASE,
    ) -> None:
        """`bot`: its client sends, its store keeps the choices, it counts the messages sent; `clock`: its own."""
        super().__init__(database, clock or bot.now, lease)
        self.service = service
        self.bot = bot
        self._key: bytes | None = None

    async def _handle(self, event: inbound_events.Event) -> None:
        planned = event.replies if event.replies is not None else await self._answer(event)
        plan = json.loads(planned)
        if plan["c"] is not None:  # what "1" presses in the chat's next message (saved again on a retry: the same)
            choices = [(str(label), str(action)) for label, action in plan["c"]]
            await self.bot.store.save_choices(event.chat, choices, self.clock())
        chat_id = str(plan["to"])
        messages: list[str] = plan["m"]
        for index in range(event.sent, len(messages)):
            if not await self.bot.client.send_message(chat_id, messages[index]):
                raise NotDelivered(f"message {index + 1} of {len(messages)}")
            async with self.database.transaction(short=True) as connection:
                await inbound_events.mark_sent(connection, event.id, index + 1)
            await self.bot.count(1)
        async with self.database.transaction() as connection:
            await inbound_events.done(connection, event.id, self.clock())

    async def _answer(self, event: inbound_events.Event) -> str:
        """The messages answering the event (none when the service handled it before, or for a body that is no
        event), kept on the event."""
        try:
            parsed = parse(json.loads(event.payload))
        except (ValueError, NotAnEvent):
            parsed = None
        plan: dict[str, Any] = {"to": "" if parsed is None else parsed.chat_id, "m": [], "c": None}
        if parsed is not None:
            if self._key is None:
                self._key = await self.bot.store.update_ids_key(self.clock())
            shown = tuple(Button(label, action) for label, action in await self.bot.store.choices(event.chat))
            kept: list[str] = []

            async def keep(connection: AsyncConnection, outcome: Outcome) -> None:
                buttons = last_buttons(outcome.replies)
                answered = dict(plan, m=render_all(outcome.replies))
                answered["c"] = None if buttons is None else [[button.label, button.action] for button in buttons]
                kept[:] = [json.dumps(answered, ensure_ascii=False)]  # a retried transaction keeps its own
                await inbound_events.keep_replies(connection, event.id, kept[0])

            inbound, update = to_inbound(parsed, shown), update_id(self._key, parsed.message_id)
            if await self.service.handle(inbound, update, keep=keep) is not None:
                return kept[0]
        planned = json.dumps(plan, ensure_ascii=False)
        async with self.database.transaction() as connection:
            await inbound_events.keep_replies(connection, event.id, planned)
        return planned
