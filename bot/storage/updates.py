"""Processed updates: each (channel, update id) is handled once, however often it is delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import processed_updates


def _record_statement(dialect: Any) -> Any:
    return (
        dialect.insert(processed_updates)
        .values(channel=bindparam("channel"), update_id=bindparam("update_id"), processed_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=[processed_updates.c.channel, processed_updates.c.update_id])
        .returning(processed_updates.c.update_id)
    )


RECORD = {"postgresql": _record_statement(postgresql), "sqlite": _record_statement(sqlite)}  # built once


async def record(connection: AsyncConnection, channel: str, update_id: int, now: datetime) -> bool:
    """Mark the update handled at `now`; False if it already was (then the caller must not answer it again).

    On PostgreSQL a second transaction recording the same update waits until the first ends: it gets
    False if the first committed, True if the first rolled back.
    """
    statement = RECORD["postgresql" if connection.dialect.name == "postgresql" else "sqlite"]
    inserted = await connection.execute(statement, {"channel": channel, "update_id": update_id, "now": now})
    return inserted.first() is not None


async def forget_before(connection: AsyncConnection, cutoff: datetime, limit: int | None = None) -> int:
    """Delete the records of updates handled before `cutoff` (at most `limit` of them, the oldest); the number
    deleted. bot/workers/pruning.py calls it.

    Telegram keeps an undelivered update for 24 hours, so records older than a few days can go.
    """
    old = processed_updates.c.processed_at < cutoff
    if limit is not None:
        oldest = select(processed_updates.c.channel, processed_updates.c.update_id).where(old)
        old = tuple_(processed_updates.c.channel, processed_updates.c.update_id).in_(
            oldest.order_by(processed_updates.c.processed_at).limit(limit)
        )
    deleted = await connection.execute(delete(processed_updates).where(old))
    return deleted.rowcount
