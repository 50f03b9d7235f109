"""Replies as Telegram shows them: escaped HTML, cut under the length limit, buttons as an inline keyboard."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.core import splitting
from bot.core.types import Button, PensionChart, Reply

log = logging.getLogger(__name__)

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
MAX_CAPTION = MessageLimit.CAPTION_LENGTH  # a photo's text: a longer one follows the photo as a message
MAX_CALLBACK_DATA = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True)
class Outgoing:
    """One message to send: HTML text and, on the last part of a reply, its keyboard: inline buttons, the
    button that shares the citizen's phone number, or the removal of that button. With a chart it is a photo
    (sendPhoto, drawn when sent), the text its caption (none when empty)."""

    html: str
    keyboard: Keyboard | None = None
    chart: PensionChart | None = None


def escape(text: str) -> str:
    """The text as literal HTML: the citizen sees exactly these characters, never markup."""
    return html.escape(text, quote=False)


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), measured on the escaped text to stay on the safe side."""
    return len(escape(text).encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The text as few messages as fit under `limit`, cut at paragraph, then sentence, line, word boundaries."""
    return splitting.split_text(text, limit, size)


def fits(button: Button) -> bool:
    return 0 < len(button.action.encode("utf-8")) <= MAX_CALLBACK_DATA


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button per row. A button whose action does not fit in callback data is dropped (the core never
    makes one; this guards against a bad knowledge edit turning into a rejected message)."""
    kept = [button for button in buttons if fits(button)]
    if len(kept) < len(buttons):
        dropped = len(buttons) - len(kept)
        log.warning("dropped %d button(s) whose callback data is over %d bytes", dropped, MAX_CALLBACK_DATA)
    if not kept:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action)] for b in kept])


def contact_keyboard(label: str) -> ReplyKeyboardMarkup:
    """One button under the text field that shares the citizen's own number; it goes away once pressed."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label, request_contact=True)]], resize_keyboard=True, one_time_keyboard=True
    )


def fits_caption(text: str) -> bool:
    return size(text.strip()) <= MAX_CAPTION


def split_reply(reply: Reply) -> list[Reply]:
    """The reply as the messages `render` sends, each a Reply of its own (the buttons on the last): what the
    outbox stores, one row per message, so a reply cut in two is never sent again in full. A reply with a chart
    is one photo with the text as its caption when it fits, else the photo alone and then the text."""
    if reply.chart is not None:
        if fits_caption(reply.text):
            return [reply]
        return [Reply("", chart=reply.chart), *split_reply(replace(reply, chart=None))]
    parts = split_text(reply.text)
    if not parts:
        return []
    last = Reply(parts[-1], reply.buttons, reply.contact_request, reply.clear_keyboard)
    return [*(Reply(part) for part in parts[:-1]), last]


def render(reply: Reply) -> list[Outgoing]:
    """The messages that show one reply; the buttons go under the last one. A chart is a photo first, with
    the text as its caption when it fits."""
    if reply.chart is not None:
        if fits_caption(reply.text):
            return [Outgoing(escape(reply.text.strip()), _markup(reply), reply.chart)]
        return [Outgoing("", chart=reply.chart), *render(replace(reply, chart=None))]
    parts = split_text(reply.text)
    if not parts:
        return []
    last = len(parts) - 1
    markup = _markup(reply)
    return [Outgoing(escape(part), markup if n == last else None) for n, part in enumerate(parts)]


def _markup(reply: Reply) -> Keyboard | None:
    if reply.contact_request:
        return contact_keyboard(reply.contact_request)
    markup = keyboard(reply.buttons)
    if reply.clear_keyboard and markup is None:
        return ReplyKeyboardRemove()
    return markup
