"""A Zalo OA webhook event as the service reads it.

    {"app_id": "…", "event_name": "user_send_text", "timestamp": "1733…",
     "sender": {"id": "<user id>"}, "recipient": {"id": "<OA id>"},
     "message": {"msg_id": "…", "text": "mat the bhyt"}}

Only what a citizen sends (`user_send_*`) is handled: text as text (commands, a choice's number or its label,
a button's hidden payload), anything else (image, sticker, file, location, …) as UNSUPPORTED, which gets the
polite reply. Other events (follow, user_seen_message, …) are acknowledged and not stored.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.channels.zalo_oa import CHANNEL
from bot.core.types import Inbound, InboundKind

PRESS = "#bhxh:"  # a button's payload: PRESS + the button's action (sent back, hidden, when it is pressed)
COMMANDS = {
    "/start": InboundKind.START,
    "/menu": InboundKind.MENU,
    "/help": InboundKind.HELP,
    "/xoadulieu": InboundKind.ERASE,
    "/dulieu": InboundKind.MY_DATA,
}


class NotAnEvent(ValueError):
    """A body that is not a Zalo OA event."""


@dataclass(frozen=True)
class Event:
    name: str  # event_name
    timestamp: str  # milliseconds, as written
    user_id: str  # the citizen (sender of a user_* event)
    message_id: str
    text: str

    @property
    def from_citizen(self) -> bool:
        return self.name.startswith("user_send_")

    @property
    def chat(self) -> str:
        return chat_key(self.user_id)

    @property
    def event_id(self) -> str:
        """The id deliveries of this event share: the message's id, else the sender, time and name."""
        return self.message_id or f"{self.user_id}:{self.timestamp}:{self.name}"


def chat_key(user_id: str) -> str:
    return f"{CHANNEL}:{user_id}"


def user_of(chat: str) -> str:
    return chat.removeprefix(f"{CHANNEL}:")


def parse(body: bytes) -> Event:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise NotAnEvent("not JSON") from None
    return from_json(data)


def from_json(data: Any) -> Event:
    if not isinstance(data, dict) or not isinstance(data.get("event_name"), str):
        raise NotAnEvent("not an event")
    timestamp = data.get("timestamp")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        timestamp = str(timestamp)
    if not isinstance(timestamp, str):
        raise NotAnEvent("no timestamp")
    sender = data.get("sender") if isinstance(data.get("sender"), dict) else {}
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    user_id = str(sender.get("id", "")) if isinstance(sender, dict) else ""
    message_id = str(message.get("msg_id", "")) if isinstance(message, dict) else ""
    text = message.get("text", "") if isinstance(message, dict) else ""
    return Event(data["event_name"], timestamp, user_id[:64], message_id[:100], text if isinstance(text, str) else "")


@dataclass(frozen=True)
class Choice:
    key: str  # "1", "a", … as the numbered line shows it
    label: str
    action: str


def _plain(label: str) -> str:
    """A label as typed: case, the arrows around "« Quay lại" and the spaces at the ends do not matter."""
    return label.casefold().strip(" «»‹›<>-–—.").strip()


def to_inbound(event: Event, shown: tuple[Choice, ...] = ()) -> Inbound:
    """A command, a button's payload, the key or the label of a choice shown last, or free text (NFC)."""
    key = event.chat
    if event.name != "user_send_text":
        return Inbound(key, InboundKind.UNSUPPORTED)
    text = unicodedata.normalize("NFC", event.text).strip()
    if text.startswith(PRESS) and len(text) > len(PRESS):
        return Inbound(key, InboundKind.ACTION, action=text[len(PRESS) :])
    if text.lower() in COMMANDS:
        return Inbound(key, COMMANDS[text.lower()])
    typed = str(int(text)) if text.isascii() and text.isdigit() and len(text) < 6 else _plain(text)
    typed = typed.removesuffix(".")
    for choice in shown:
        if typed in (choice.key, _plain(choice.label)):
            return Inbound(key, InboundKind.ACTION, action=choice.action)
    return Inbound(key, InboundKind.TEXT, text=text)
