"""Zalo Bot Platform events to Inbound messages.

    {"event_name": "message.text.received",
     "message": {"message_id": "…", "date": 1733…, "from": {"id": "…", …}, "chat": {"id": "…", "chat_type": "PRIVATE"},
                 "text": "…"}}

An event comes bare like this (webhook) or wrapped as {"ok": true, "result": {…}} (getUpdates; some webhooks
too): both are read (../shared/CHANNELS.md §1.1). Text becomes TEXT (NFC), a command, or a button press: the number
of a line shown last, or the line's text (bot/channels/zalo_bot/render.py). Images, stickers and anything else
become UNSUPPORTED: the engine answers with its polite "I only read text" and the menu.

Zalo's message ids are strings; the service takes an integer per update, so `update_id` is a keyed hash of the
message id (as bot/channels/web_chat.py does for a browser's ids): a duplicate delivery is the same update.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.channels.zalo_bot.render import LEADING_NUMBER, numeric_question
from bot.core.types import Button, Inbound, InboundKind

CHANNEL = "zalo_bot"
TEXT_EVENT = "message.text.received"
COMMANDS = {
    "/start": InboundKind.START,
    "/menu": InboundKind.MENU,
    "/help": InboundKind.HELP,
    "/xoadulieu": InboundKind.ERASE,
    "/dulieu": InboundKind.MY_DATA,
}
EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # "« Quay lại" typed as "quay lai" or "Quay lại" matches its line


class NotAnEvent(ValueError):
    """A body that is not a Zalo Bot event (no event_name, no message with a chat)."""


@dataclass(frozen=True)
class ZaloEvent:
    name: str  # "message.text.received", "message.image.received", …
    message_id: str
    chat_id: str
    private: bool  # chat_type PRIVATE (a group's messages reach the bot only when it is mentioned)
    text: str = ""  # the typed text (text events only)

    @property
    def chat(self) -> str:
        return chat_key(self.chat_id)


def chat_key(chat_id: str) -> str:
    """The session key of a Zalo Bot chat."""
    return f"{CHANNEL}:{chat_id}"


def zalo_chat_id(key: str) -> str | None:
    """The chat id of a session key made by chat_key; None for another channel's key."""
    channel, _, chat_id = key.partition(":")
    return chat_id if channel == CHANNEL and chat_id else None


def _identifier(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise NotAnEvent("an id that is not a string or a number")
    return str(value).strip()


def unwrap(data: Any) -> dict[str, Any]:
    """The event in a decoded body: bare, or the `result` of an {"ok", "result"} envelope."""
    if isinstance(data, dict) and "event_name" not in data and isinstance(data.get("result"), dict):
        data = data["result"]
    if not isinstance(data, dict):
        raise NotAnEvent("not a JSON object")
    return data


def parse(data: Any) -> ZaloEvent:
    """The event in a decoded body (bare or wrapped); NotAnEvent if it is none."""
    event = unwrap(data)
    name, message = event.get("event_name"), event.get("message")
    if not isinstance(name, str) or not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        raise NotAnEvent("no event_name, or no message with its chat")
    chat = message["chat"]
    text = message.get("text")
    return ZaloEvent(
        name=name,
        message_id=_identifier(message.get("message_id")),
        chat_id=_identifier(chat.get("id")),
        private=str(chat.get("chat_type", "PRIVATE")).upper() == "PRIVATE",
        text=unicodedata.normalize("NFC", text).strip() if name == TEXT_EVENT and isinstance(text, str) else "",
    )


def _folded(text: str) -> str:
    return EDGES.sub("", unicodedata.normalize("NFC", text).strip().casefold())


def pressed(text: str, buttons: tuple[Button, ...]) -> Button | None:
    """The button a typed text presses: the number of its line (an ASCII number, leading zeros allowed), or the
    line's text. At a question whose choices are numbers, a number typed is the answer: it presses the choice
    labelled with it ("6" → "6 tháng"), or nothing (the flow reads "7" as 7)."""
    typed = text.strip()
    if typed.isascii() and typed.isdigit():
        number = int(typed)
        if numeric_question(buttons):
            labelled = [b for b in buttons if (m := LEADING_NUMBER.match(b.label)) and int(m.group()) == number]
            return labelled[0] if len(labelled) == 1 else None
        return buttons[number - 1] if 1 <= number <= len(buttons) else None
    folded = _folded(typed)
    same = [button for button in buttons if folded and _folded(button.label) == folded]
    return same[0] if same else None


def to_inbound(event: ZaloEvent, buttons: tuple[Button, ...] = ()) -> Inbound:
    """A command, a press of a line shown last (`buttons`), free text; UNSUPPORTED for anything but text."""
    if event.name != TEXT_EVENT or not event.text:
        return Inbound(event.chat, InboundKind.UNSUPPORTED)
    command = COMMANDS.get(event.text.lower())
    if command is not None:
        return Inbound(event.chat, command)
    button = pressed(event.text, buttons)
    if button is not None:
        return Inbound(event.chat, InboundKind.ACTION, action=button.action)
    return Inbound(event.chat, InboundKind.TEXT, text=event.text)


def update_id(key: bytes, message_id: str) -> int:
    """A stable 63-bit integer for a message id, keyed with the installation's secret `key`."""
    digest = hashlib.blake2b(message_id.encode(), digest_size=8, key=key[:64]).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)
