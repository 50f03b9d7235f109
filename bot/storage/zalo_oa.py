"""The Zalo Official Account's OAuth v4 tokens: one row (id 1), written by `zalo-oa connect` and by refreshes.

    await save(connection, tokens, now)        # after the first exchange or a refresh
    await current(connection)                  # Tokens | None, to send with
    await for_refresh(connection)              # the same row locked until the transaction ends

The refresh token is single-use and rotates, so only one instance may refresh at a time: `for_refresh` takes the
row with SELECT … FOR UPDATE on PostgreSQL (another instance waits, then reads the new tokens); on SQLite the
transaction's BEGIN IMMEDIATE already holds the write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import zalo_oa_tokens

ROW = 1


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime

    def __repr__(self) -> str:  # never the tokens themselves, whatever logs it
        access, refresh = f"{self.access_expires_at:%Y-%m-%d %H:%M}", f"{self.refresh_expires_at:%Y-%m-%d}"
        return f"Tokens(access until {access}, refresh until {refresh})"

    __str__ = __repr__


_COLUMNS = (
    zalo_oa_tokens.c.access_token,
    zalo_oa_tokens.c.refresh_token,
    zalo_oa_tokens.c.access_expires_at,
    zalo_oa_tokens.c.refresh_expires_at,
)


async def current(connection: AsyncConnection) -> Tokens | None:
    row = (await connection.execute(select(*_COLUMNS).where(zalo_oa_tokens.c.id == ROW))).first()
    return None if row is None else Tokens(*row)


async def for_refresh(connection: AsyncConnection) -> Tokens | None:
    """The tokens, their row locked until the transaction ends (PostgreSQL; SQLite's transaction holds the lock)."""
    query = select(*_COLUMNS).where(zalo_oa_tokens.c.id == ROW).with_for_update()
    row = (await connection.execute(query)).first()
    return None if row is None else Tokens(*row)


async def updated_at(connection: AsyncConnection) -> datetime | None:
    found = await connection.scalar(select(zalo_oa_tokens.c.updated_at).where(zalo_oa_tokens.c.id == ROW))
    return found if isinstance(found, datetime) else None


async def save(connection: AsyncConnection, tokens: Tokens, now: datetime) -> None:
    values = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "access_expires_at": tokens.access_expires_at,
        "refresh_expires_at": tokens.refresh_expires_at,
        "updated_at": now,
    }
    changed = await connection.execute(update(zalo_oa_tokens).where(zalo_oa_tokens.c.id == ROW).values(**values))
    if changed.rowcount == 0:
        await connection.execute(insert(zalo_oa_tokens).values(id=ROW, **values))
