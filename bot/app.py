"""Composition root: build(settings) -> App. The only module that knows every part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher, MatcherConfig
from bot.core.types import Inbound, Outcome, Session
from bot.service import Service
from bot.storage.db import Database
from bot.storage.knowledge_files import load_knowledge
from bot.storage.migrations import migrate

CONSOLE = "console"  # the console's channel name, and its one chat's session key


def matcher_config(settings: Settings) -> MatcherConfig:
    return MatcherConfig(
        answer_threshold=settings.match_answer_threshold,
        answer_margin=settings.match_answer_margin,
        suggest_threshold=settings.match_suggest_threshold,
        candidates=settings.match_candidates,
    )


def today_in(timezone: str) -> date:
    """Today's date where the office is (the core never reads the clock: the shell passes it in)."""
    return datetime.now(ZoneInfo(timezone)).date()


@dataclass
class App:
    settings: Settings
    kb: KnowledgeBase
    matcher: Matcher
    database: Database  # nothing connects until a service handles a message or `start` runs

    def today(self) -> date:
        return today_in(self.settings.timezone)

    def now(self) -> datetime:
        return datetime.now(UTC)

    @property
    def flow_idle(self) -> timedelta:
        return timedelta(minutes=self.settings.flow_idle_minutes)

    def handle(self, inbound: Inbound, session: Session, today: date | None = None) -> Outcome:
        """One message decided without the database (`ask`): the session is the caller's to keep."""
        return decide(
            inbound, session, self.kb, today or self.today(), self.matcher, now=self.now(), flow_idle=self.flow_idle
        )

    def service(self, channel: str) -> Service:
        """The service for one channel ("telegram", "console", …): persistent sessions, exactly-once updates."""
        return Service(
            self.database, self.kb, self.matcher, self.today, channel, now=self.now, flow_idle=self.flow_idle
        )

    async def start(self) -> str:
        """Apply the database migrations; the revision the database is at.

        The connections used are closed afterwards, so the service may run on another event loop than this.
        """
        revision = await migrate(self.database)
        await self.database.dispose()
        return revision

    async def close(self) -> None:
        await self.database.dispose()


def build(settings: Settings) -> App:
    kb = load_knowledge(settings.knowledge_dir)
    return App(settings, kb, Matcher(kb, matcher_config(settings)), Database(settings.database_url))
