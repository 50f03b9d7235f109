"""What the web pages need from the rest of the bot, handed over by the composition root (bot.app)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from bot.core.leads.routing import LeadContext
from bot.core.types import Clock
from bot.shell.live_knowledge import LiveKnowledge
from bot.shell.publishing import Checks
from bot.shell.service import Service
from bot.shell.staff_auth import StaffAuth
from bot.storage.db import Database


@dataclass(frozen=True)
class ZaloOaIntake:
    """What POST /webhooks/zalo-oa needs (bot/web/zalo_oa_webhook.py): the app's id and secret key that sign the
    events, how old an event may be, and how to wake this instance's worker once one is stored."""

    app_id: str
    secret_key: str
    max_age: timedelta
    wake: Callable[[], None]


@dataclass(frozen=True)
class WebContext:
    database: Database
    knowledge: LiveKnowledge  # the live revision: previews, publishing, the inbox's stopwords
    auth: StaffAuth
    clock: Clock
    timezone: tzinfo
    checks: Callable[[date], Checks]  # what a revision is checked against before it goes live, on a day
    leads: Callable[[], LeadContext]  # area names, the office's time zone and chat
    office_name: str = ""
    # Telegram by webhook: what POST /webhooks/telegram hands each update to, and the secret Telegram must send
    # (bot/web/webhooks.py); None: the route is not mounted.
    telegram_webhook: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    telegram_webhook_secret: str = ""
    web_chat: Service | None = None  # the web chat's service (channel "web"); None: /chat says it is closed
    zalo_oa: ZaloOaIntake | None = None  # Zalo OA events by webhook; None: the route answers 404
    # Zalo Bot Platform by webhook: what POST /webhooks/zalo-bot hands each event to, and the secret Zalo must send
    # (bot/web/zalo_bot_webhooks.py); None: the route is not mounted.
    zalo_bot_webhook: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    zalo_bot_webhook_secret: str = ""
    zalo_bot_quota: int | None = None  # the Zalo Bot plan's messages a month, shown on the home page; None: no Zalo Bot

    def today(self) -> date:
        return self.clock().astimezone(self.timezone).date()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)
