"""The web chat of the office's website: a browser's JSON message to an Inbound, a Reply to JSON.

    {"client_msg_id": "…", "text": "mat the bhyt"}     -> Inbound("web:<session>", TEXT, text=…)
    {"client_msg_id": "…", "press": "a:bhyt.the-mat"}  -> Inbound("web:<session>", ACTION, action=…)
    (a press may also carry "label", the button's text: only shown again in the conversation after a reload)
    Reply(text, buttons)                               -> {"text": …, "buttons": [{"text": label, "press": action}]}

Text stays plain text with the bot's line breaks (the page shows it with textContent, never as HTML). The web
has no "share my phone number" button, so the replies that only speak of it (its hint, "number received",
"button hidden") are left out; the citizen types the number, as the question asks. A picture (the pension
chart) is said in words: its title and the sentence about where the lines cross.

The service answers each (channel, update id) once. A browser names its messages with its own id
(`client_msg_id`, sent again when a request is retried), so the update id is a keyed hash of the session and
that id (`update_id`): the same message twice is one update, and nobody can guess another session's ids.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.core.types import Inbound, InboundKind, Reply

CHANNEL = "web"
MAX_TEXT_CHARS = 2000  # a longer message gets TOO_LONG instead of an answer
MAX_PRESS_BYTES = 256  # a button's data is far shorter (bot.core.actions.MAX_ACTION_BYTES)
MAX_LABEL_CHARS = 200
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")
COMMANDS = {
    "/start": InboundKind.START,
    "/menu": InboundKind.MENU,
    "/help": InboundKind.HELP,
    "/xoadulieu": InboundKind.ERASE,
    "/dulieu": InboundKind.MY_DATA,
}
TOO_LONG = (
    "Tin nhắn dài quá (tối đa {limit} ký tự). Bạn vui lòng viết ngắn gọn câu hỏi chính, hoặc chia thành vài tin nhắn."
)
EMPTY = "Bạn hãy gõ câu hỏi vào ô bên dưới rồi bấm Gửi."


class BadMessage(ValueError):
    """A request body that is not a web chat message (the browser's script never sends one)."""


@dataclass(frozen=True)
class WebMessage:
    client_msg_id: str
    text: str = ""  # typed text, in NFC
    press: str = ""  # a button's data
    label: str = ""  # the pressed button's text, as the browser showed it

    @property
    def said(self) -> str:
        """What the citizen typed or pressed, as the conversation shows it again."""
        return self.text or self.label


def parse(data: Any) -> WebMessage:
    """The message in a decoded JSON body; BadMessage if it is not one."""
    if not isinstance(data, dict):
        raise BadMessage("not a JSON object")
    client_msg_id = data.get("client_msg_id")
    if not isinstance(client_msg_id, str) or not CLIENT_ID.fullmatch(client_msg_id):
        raise BadMessage("client_msg_id: 1 to 64 letters, digits or _.:-")
    text, press = data.get("text"), data.get("press")
    if (text is None) == (press is None):
        raise BadMessage("either text or press")
    if press is not None:
        if not isinstance(press, str) or not 0 < len(press.encode("utf-8")) <= MAX_PRESS_BYTES:
            raise BadMessage("press: a button's data")
        label = data.get("label", "")
        if not isinstance(label, str):
            raise BadMessage("label: a string")
        return WebMessage(client_msg_id, press=press, label=label.strip()[:MAX_LABEL_CHARS])
    if not isinstance(text, str):
        raise BadMessage("text: a string")
    return WebMessage(client_msg_id, text=unicodedata.normalize("NFC", text).strip())


def polite_refusal(message: WebMessage) -> Reply | None:
    """The reply to a message the bot does not read (empty or too long), or None to pass it to the service."""
    if message.press:
        return None
    if not message.text:
        return Reply(EMPTY)
    if len(message.text) > MAX_TEXT_CHARS:
        return Reply(TOO_LONG.format(limit=f"{MAX_TEXT_CHARS:,}".replace(",", ".")))
    return None


def chat_key(session_id: str) -> str:
    """The session key of a browser's conversation."""
    return f"{CHANNEL}:{session_id}"


def valid_session_id(value: str | None) -> bool:
    return value is not None and SESSION_ID.fullmatch(value) is not None


def to_inbound(session_id: str, message: WebMessage) -> Inbound:
    """A button press, a command typed ("/xoadulieu"), or free text."""
    key = chat_key(session_id)
    if message.press:
        return Inbound(key, InboundKind.ACTION, action=message.press)
    command = COMMANDS.get(message.text.lower())
    if command is not None:
        return Inbound(key, command)
    return Inbound(key, InboundKind.TEXT, text=message.text)


def update_id(key: bytes, session_id: str, client_msg_id: str) -> int:
    """A stable 63-bit integer for (session, message id), keyed with the installation's secret `key`."""
    digest = hashlib.blake2b(f"{session_id}\n{client_msg_id}".encode(), digest_size=8, key=key[:64]).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)


def render(reply: Reply) -> dict[str, Any]:
    """A reply as the browser gets it: plain text and its buttons."""
    text = reply.text
    if reply.chart is not None:
        words = "\n".join(part for part in (reply.chart.title, reply.chart.crossover_label) if part)
        text = "\n\n".join(part for part in (text, words) if part)
    return {"text": text, "buttons": [{"text": button.label, "press": button.action} for button in reply.buttons]}


def render_all(replies: tuple[Reply, ...]) -> list[dict[str, Any]]:
    return [render(reply) for reply in replies if not reply.about_contact_keyboard]
