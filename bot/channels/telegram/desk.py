"""The agents' side of the Telegram channel: which updates go to the desk (bot/shell/desk.py), and how its answers
are shown.

A press on a lead's button ("lead:<id>:…") and the commands /leads, /ghichu and /themlead go to the desk;
everything else stays on the citizen's path. In a group they are answered only when the group is one of the
office's (OFFICE_CHAT_ID, STAFF_CHAT_IDS: `Desk.serves_group`); in any other group the bot says nothing,
not even who may use them. These commands are not in setMyCommands: citizens should not see them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType

from bot.core.actions import for_agents
from bot.core.types import Reply

DESK_COMMANDS = frozenset({"leads", "ghichu", "themlead"})


class DeskAnswer(Protocol):
    """What the desk answers: `edit` replaces the message whose button was pressed, `replies` are new
    messages; `summary` is for the log (nothing personal)."""

    @property
    def replies(self) -> tuple[Reply, ...]: ...

    @property
    def edit(self) -> Reply | None: ...

    @property
    def summary(self) -> str: ...


class Desk(Protocol):
    """bot.shell.desk.Desk as the channel uses it. None from either call: the update was handled before."""

    def press(self, chat_id: int, data: str, update_id: int | None = None) -> Awaitable[DeskAnswer | None]: ...

    def command(
        self, chat_id: int, name: str, argument: str, update_id: int | None = None
    ) -> Awaitable[DeskAnswer | None]: ...

    def serves_group(self, chat_id: int) -> bool:
        """Whether this group chat is one of the office's, where the desk answers."""
        ...


@dataclass(frozen=True)
class DeskRequest:
    """An update for the desk: a button press (`data`) or a command (`command`, `argument`)."""

    chat_id: int
    data: str = ""
    command: str = ""
    argument: str = ""
    message_id: int | None = None  # the message whose button was pressed
    edited: bool = False  # a command edited after it was sent: not carried out again
    group: bool = False  # sent in a group (or a channel), not in a private chat


def bot_command(message: Message) -> tuple[str, str, str] | None:
    """(name in lower case, the bot it is addressed to or "", the text after it) when the message starts with
    a command ("/leads@bhxh_bot 12"); None otherwise. The citizen's commands are read with it too."""
    entity = message.entities[0] if message.entities else None
    text = message.text
    if entity is None or entity.type != MessageEntityType.BOT_COMMAND or entity.offset != 0 or not text:
        return None
    name, _, addressee = text[1 : entity.length].partition("@")
    return name.lower(), addressee, unicodedata.normalize("NFC", text[entity.length :].strip())


def _desk_command(message: Message, bot_username: str | None) -> tuple[str, str] | None:
    """(command, the text after it) when the message is one of DESK_COMMANDS addressed to this bot."""
    found = bot_command(message)
    if found is None:
        return None
    name, addressee, argument = found
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None  # "/leads@another_bot" in a group
    return (name, argument) if name in DESK_COMMANDS else None


def desk_request(update: Update, bot_username: str | None = None) -> DeskRequest | None:
    """The desk's part of an update, or None when it belongs to the citizen's path."""
    chat = update.effective_chat
    if chat is None:
        return None
    group = chat.type != ChatType.PRIVATE
    query = update.callback_query
    if query is not None:
        if isinstance(query.data, str) and for_agents(query.data):
            message_id = query.message.message_id if query.message is not None else None
            return DeskRequest(chat.id, data=query.data, message_id=message_id, group=group)
        return None
    message = update.message or update.edited_message
    if message is None or message.text is None:
        return None
    found = _desk_command(message, bot_username)
    if found is None:
        return None
    return DeskRequest(chat.id, command=found[0], argument=found[1], edited=update.message is None, group=group)
