"""Processed updates: each (channel, update id) is handled once, however often it is delivered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import processed_updates


async def record(connection: AsyncConnection, channel: str, update_id: int) -> bool:
    """Mark the update handled; False if it already was (then the caller must not answer it again).

    On PostgreSQL a second transaction recording the same update waits until the first ends: it gets
    False if the first committed, True if the first rolled back.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    inserted = await connection.execute(
        dialect.insert(processed_updates)
        .values(channel=channel, update_id=update_id)
        .on_conflict_do_nothing(index_elements=[processed_updates.c.channel, processed_updates.c.update_id])
        .returning(processed_updates.c.update_id)
    )
    return inserted.first() is not None


async def forget_before(connection: AsyncConnection, cutoff: datetime) -> int:
    """Delete the records of updates handled before `cutoff`; the number deleted.

    Telegram keeps an undelivered update for 24 hours, so records older than a few days can go.
    """
    deleted = await connection.execute(delete(processed_updates).where(processed_updates.c.processed_at < cutoff))
    return deleted.rowcount
