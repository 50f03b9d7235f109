"""Deleting old rows a bounded batch at a time, so a sweep never holds the bot's own transactions up long.

    deleted = await delete_oldest(connection, interactions, interactions.c.id,
                                  interactions.c.created_at < cutoff, limit=5000)

The condition is checked again on each chosen row as it is deleted: on PostgreSQL a row that a message's
transaction changed meanwhile (a chat session written to) is re-read and kept if it no longer matches.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ColumnElement, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection


async def delete_oldest(
    connection: AsyncConnection,
    table: Table,
    key: Column[Any],
    condition: ColumnElement[bool],
    limit: int | None = None,
    order_by: ColumnElement[Any] | Column[Any] | None = None,
) -> int:
    """Delete the rows matching `condition`, at most `limit` of them (first by `order_by`, else by `key`);
    the number deleted."""
    if limit is None:
        return (await connection.execute(delete(table).where(condition))).rowcount
    chosen = select(key).where(condition).order_by(key if order_by is None else order_by).limit(limit)
    return (await connection.execute(delete(table).where(condition, key.in_(chosen)))).rowcount
