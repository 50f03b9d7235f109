"""Composition root: build(settings) -> App. The only module that knows every part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, MatcherConfig
from bot.core.types import Inbound, Outcome, Session
from bot.storage.knowledge_files import load_knowledge


def matcher_config(settings: Settings) -> MatcherConfig:
    return MatcherConfig(
        answer_threshold=settings.match_answer_threshold,
        answer_margin=settings.match_answer_margin,
        suggest_threshold=settings.match_suggest_threshold,
        candidates=settings.match_candidates,
    )


@dataclass
class App:
    settings: Settings
    kb: KnowledgeBase
    matcher: Matcher

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    def handle(self, inbound: Inbound, session: Session, today: date | None = None) -> Outcome:
        return decide(inbound, session, self.kb, today or self.today(), self.matcher)


def build(settings: Settings) -> App:
    kb = load_knowledge(settings.knowledge_dir)
    return App(settings, kb, Matcher(kb, matcher_config(settings)))
