"""What a chat's session remembers about the conversation itself, before the engine decides on a message:
whether the greeting was given (a quiet spell longer than the idle time starts a new conversation, greeted
again in full), and how the citizen names themself ("cho bác hỏi": bot.core.address).

Pure: the time comes from the shell, as `now` (None: no time is kept and a conversation never ends).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.address import self_address
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.types import Inbound, InboundKind, Session

GREETING_ENTRY = "chao"  # the smalltalk entry that greets (its variants thank and say goodbye)


def carried_on(session: Session, inbound: Inbound, kb: KnowledgeBase, now: datetime | None, idle: timedelta) -> Session:
    """The session as this message finds it: a new conversation after `idle` without a message, the
    citizen's form of address when the message gives one, and the time of the message."""
    if now is not None and session.seen_at is not None and now - session.seen_at > idle:
        session = replace(session, greeted=False)
    if inbound.kind is InboundKind.TEXT and (word := self_address(inbound.text, kb.lexicon.self_address)):
        session = replace(session, address=word)
    return replace(session, seen_at=now) if now is not None else session


def greeting(entry: Entry, chosen: Entry, session: Session, kb: KnowledgeBase) -> tuple[Entry, Session]:
    """The greeting entry's answer for a greeting alone: in full the first time in a conversation, then a short
    word (bot.yaml `greeting_again`). `chosen` is the entry after its variants: a thanks or a goodbye is
    answered with its variant as it is."""
    if entry.id != GREETING_ENTRY or chosen is not entry:
        return chosen, session
    if session.greeted:
        return replace(entry, short=kb.message("greeting_again"), details="", variants=()), session
    return entry, replace(session, greeted=True)
