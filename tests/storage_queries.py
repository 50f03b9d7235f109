"""Queries only tests make: what a table holds, read straight from it to check what the bot stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.leads.interest import SignalKind
from bot.core.leads.records import Actor
from bot.storage.tables import interest_signals, outbox

STAFF = Actor("test-staff", staff=True)  # sees every lead (bot.storage.leads.open_leads)


@dataclass(frozen=True)
class Signal:
    session_key: str
    kind: SignalKind
    topic: str | None
    at: datetime


async def signals_of(connection: AsyncConnection, session_key: str) -> list[Signal]:
    """The chat's interest signals, oldest first."""
    query = (
        select(interest_signals)
        .where(interest_signals.c.session_key == session_key)
        .order_by(interest_signals.c.at, interest_signals.c.id)
    )
    return [Signal(row.session_key, SignalKind(row.kind), row.topic, row.at) for row in await connection.execute(query)]


async def pending_outbox_rows(connection: AsyncConnection) -> int:
    """Outbox rows neither sent nor given up."""
    query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
    return int(await connection.scalar(query) or 0)
