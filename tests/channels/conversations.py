"""One citizen talking to a running bot through the loopback Bot API, a message at a time."""

from __future__ import annotations

import asyncio

from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.fakes.telegram_updates import callback_query, text_message

SETTLE = 0.05  # once the update is confirmed: seconds without a new message after which its reply is complete


class Conversation:
    def __init__(self, api: FakeTelegram, chat_id: int) -> None:
        self.api = api
        self.chat_id = chat_id
        self.update_id = 0
        self.seen = 0

    async def send(self, make: object, *args: object) -> list[Sent]:
        """Deliver one update; the messages it was answered with: once the bot has confirmed the update (its
        handler has returned and queued every part of the reply) and no more come for a moment."""
        self.update_id += 1
        self.api.enqueue(make(self.update_id, *args))  # type: ignore[operator]
        await self.api.wait_for_replies(self.chat_id, self.seen + 1)
        await self.api.wait_until(lambda: self.api.queued == 0, 5.0, "the update confirmed")
        count = -1
        while count != len(self.api.sent(self.chat_id)):
            count = len(self.api.sent(self.chat_id))
            await asyncio.sleep(SETTLE)
        new = self.api.sent(self.chat_id)[self.seen :]
        self.seen += len(new)
        return new

    async def say(self, text: str) -> list[Sent]:
        return await self.send(text_message, self.chat_id, text)

    async def press(self, messages: Sent | list[Sent], label: str) -> list[Sent]:
        """The button labelled `label` under the message (or the first of the messages that has one)."""
        among = messages if isinstance(messages, list) else [messages]
        found = [(message, data) for message in among for text, data in message.buttons if text == label]
        assert found, f"no button {label!r} in {[m.buttons for m in among]}"
        message, data = found[0]
        return await self.send(callback_query, self.chat_id, data, message.message_id)
