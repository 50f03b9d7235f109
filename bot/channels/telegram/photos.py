"""Sending one Outgoing message: a text message, or a photo (a reply's chart, drawn when it is sent).

The PNG is drawn in a worker thread (`asyncio.to_thread`): drawing takes a noticeable fraction of a second and
the event loop keeps answering other chats meanwhile. Only the chart's data is stored in the outbox, so a reply
the outbox worker sends later is drawn then, the same picture.
"""

from __future__ import annotations

import asyncio

from telegram import Bot, Message
from telegram.constants import ParseMode

from bot.channels.telegram.render import Outgoing
from bot.shell.charts import render_png


async def send_part(bot: Bot, chat_id: int, part: Outgoing) -> Message:
    """sendMessage, or sendPhoto with the text as caption (none when empty) and the keyboard under it."""
    if part.chart is None:
        return await bot.send_message(chat_id, part.html, parse_mode=ParseMode.HTML, reply_markup=part.keyboard)
    png = await asyncio.to_thread(render_png, part.chart)
    return await bot.send_photo(
        chat_id,
        png,
        caption=part.html or None,
        parse_mode=ParseMode.HTML if part.html else None,
        reply_markup=part.keyboard,
    )


def method(part: Outgoing) -> str:
    """The Bot API method that sends the part, for the logs."""
    return "sendMessage" if part.chart is None else "sendPhoto"
