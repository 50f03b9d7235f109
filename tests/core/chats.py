"""A chat with the pure engine, as the core's conversation tests drive it: each message is decided with the
session the one before left, on the knowledge base and matcher the test gives."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind, Outcome, Session
from tests.factories import TODAY

MONDAY_MORNING = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 09:00 in the office's time zone


class Chat:
    def __init__(
        self, kb: KnowledgeBase, matcher: Matcher, chat: str, now: datetime = MONDAY_MORNING, today: date = TODAY
    ) -> None:
        self.kb, self.matcher, self.chat, self.now, self.today = kb, matcher, chat, now, today
        self.session = Session(chat)

    def send(self, inbound: Inbound) -> Outcome:
        outcome = decide(inbound, self.session, self.kb, self.today, self.matcher, now=self.now)
        assert outcome.session is not None
        self.session = outcome.session
        return outcome

    def say(self, text: str) -> Outcome:
        return self.send(Inbound(self.chat, InboundKind.TEXT, text=text))

    def press(self, action: str) -> Outcome:
        """A button by its data."""
        return self.send(Inbound(self.chat, InboundKind.ACTION, action=action))

    def choose(self, outcome: Outcome, label: str) -> Outcome:
        """A button of `outcome` by its label."""
        actions = {b.label: b.action for r in outcome.replies for b in r.buttons}
        assert label in actions, f"no {label!r} in {list(actions)}"
        return self.press(actions[label])

    @property
    def step(self) -> str | None:
        return self.session.flow.step if self.session.flow else None
