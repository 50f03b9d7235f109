"""What the outbox worker tests share: a clock the test moves, and the real Bot against the loopback Bot API
with a migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from telegram import Bot

from bot.channels.telegram.outbox_sender import telegram_sender
from bot.core.leads.notifications import Sender
from bot.storage.db import Database
from tests.databases import Store
from tests.fakes.telegram_api import FakeTelegram
from tests.lead_factories import NOW, migrated


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def telegram_and_db(store: Store) -> AsyncIterator[tuple[FakeTelegram, Sender, Database]]:
    async with (
        FakeTelegram() as telegram,
        Bot(telegram.token, base_url=telegram.base_url) as bot,
        migrated(store) as database,
    ):
        yield telegram, telegram_sender(bot), database
