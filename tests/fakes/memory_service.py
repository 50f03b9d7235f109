"""What bot.service.Service does, with a dict and a set instead of tables: a `handle` for channel tests."""

from __future__ import annotations

from datetime import date

from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, Outcome, Session


class MemoryService:
    def __init__(self, kb: KnowledgeBase, matcher: Matcher, today: date) -> None:
        self.kb = kb
        self.matcher = matcher
        self.today = today
        self.sessions: dict[str, Session] = {}
        self.seen: set[int] = set()

    async def handle(self, inbound: Inbound, update_id: int | None = None) -> Outcome | None:
        """The outcome to send, or None when this update was handled before."""
        if update_id is not None:
            if update_id in self.seen:
                return None
            self.seen.add(update_id)
        session = self.sessions.get(inbound.chat) or Session(inbound.chat)
        outcome = decide(inbound, session, self.kb, self.today, self.matcher)
        if outcome.session is not None:
            self.sessions[inbound.chat] = outcome.session
        return outcome
