"""Interest signals (bot.core.leads.interest): what a chat did that shows interest. No personal data is kept,
only the chat's session key, which /xoadulieu and the retention purge delete with the rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.leads.interest import SignalKind
from bot.storage.tables import interest_signals


async def record(
    connection: AsyncConnection, session_key: str, kind: SignalKind, topic: str | None, at: datetime
) -> None:
    await connection.execute(
        insert(interest_signals).values(session_key=session_key, kind=kind.value, topic=topic, at=at)
    )


async def forget_session(connection: AsyncConnection, session_key: str) -> int:
    deleted = await connection.execute(delete(interest_signals).where(interest_signals.c.session_key == session_key))
    return deleted.rowcount


async def forget_before(connection: AsyncConnection, cutoff: datetime) -> int:
    deleted = await connection.execute(delete(interest_signals).where(interest_signals.c.at < cutoff))
    return deleted.rowcount
