"""The outbox: messages to agents and the office chat, written in the transaction that decided them.

A worker (bot/workers/outbox.py) claims due rows, sends them, then marks them sent. Claiming sets
`next_attempt_at` to the end of a lease and adds one to `attempts`, in one short transaction:
- PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so processes claiming at once take different rows;
- SQLite: the transaction began with BEGIN IMMEDIATE (bot.storage.db), so claims run one after another.
A worker that dies after claiming leaves the row to come due again when the lease ends: it is retried,
never lost. `attempts` doubles as a fencing token: a worker only marks the row it claimed with that attempt
number, so a row re-claimed after its lease ran out is not marked twice.
Each row has a unique `dedupe_key`, so the same notification enqueued twice is stored once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.notifications import Notification
from bot.storage.db import POSTGRESQL
from bot.storage.tables import outbox
from bot.storage.times import aware, utc

MAX_ERROR_CHARS = 500
SCRUBBED = {"text": "(đã xóa)", "buttons": []}


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    attempt: int  # the attempt this claim is (1 for the first); pass it back to mark the row
    notification: Notification


@dataclass(frozen=True)
class OutboxRow:
    id: int
    dedupe_key: str
    chat_id: int
    kind: str
    payload: dict[str, Any]
    lead_id: int | None
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


async def enqueue(
    connection: AsyncConnection,
    notification: Notification,
    *,
    kind: str,
    dedupe_key: str,
    now: datetime,
    lead_id: int | None = None,
) -> bool:
    """Store a message to send; False if one with this dedupe key is stored already."""
    dialect = postgresql if connection.dialect.name == POSTGRESQL else sqlite
    inserted = await connection.execute(
        dialect.insert(outbox)
        .values(
            dedupe_key=dedupe_key,
            chat_id=notification.chat_id,
            kind=kind,
            payload=json.dumps(notification.payload(), ensure_ascii=False),
            lead_id=lead_id,
            created_at=utc(now),
            attempts=0,
            next_attempt_at=utc(now),
        )
        .on_conflict_do_nothing(index_elements=[outbox.c.dedupe_key])
        .returning(outbox.c.id)
    )
    return inserted.first() is not None


def _due(now: datetime) -> Any:
    return (outbox.c.sent_at.is_(None)) & (outbox.c.failed_at.is_(None)) & (outbox.c.next_attempt_at <= utc(now))


async def claim_due(connection: AsyncConnection, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Up to `limit` due rows, oldest due first, leased to the caller until `now + lease`.

    Call it in a transaction of its own and commit before sending, so the claim is visible to others.
    """
    query = select(outbox).where(_due(now)).order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
    if connection.dialect.name == POSTGRESQL:
        query = query.with_for_update(skip_locked=True)
    rows = (await connection.execute(query)).all()
    claimed: list[Claimed] = []
    for row in rows:
        attempt = row.attempts + 1
        await connection.execute(
            update(outbox).where(outbox.c.id == row.id).values(attempts=attempt, next_attempt_at=utc(now + lease))
        )
        notification = Notification.from_payload(row.chat_id, json.loads(row.payload))
        claimed.append(Claimed(row.id, row.kind, attempt, notification))
    return claimed


def _claimed_by(row_id: int, attempt: int) -> Any:
    return (outbox.c.id == row_id) & (outbox.c.attempts == attempt) & outbox.c.sent_at.is_(None)


async def mark_sent(connection: AsyncConnection, row_id: int, attempt: int, now: datetime) -> bool:
    """Record the delivery of a claimed row; False if the claim was lost (the lease ran out, re-claimed)."""
    done = await connection.execute(
        update(outbox).where(_claimed_by(row_id, attempt)).values(sent_at=utc(now), last_error=None)
    )
    return done.rowcount == 1


async def reschedule(connection: AsyncConnection, row_id: int, attempt: int, at: datetime, error: str) -> bool:
    """Try a claimed row again at `at`."""
    done = await connection.execute(
        update(outbox)
        .where(_claimed_by(row_id, attempt))
        .values(next_attempt_at=utc(at), last_error=error[:MAX_ERROR_CHARS])
    )
    return done.rowcount == 1


async def mark_failed(connection: AsyncConnection, row_id: int, attempt: int, now: datetime, error: str) -> bool:
    """Give a claimed row up: it will not be tried again."""
    done = await connection.execute(
        update(outbox)
        .where(_claimed_by(row_id, attempt))
        .values(failed_at=utc(now), last_error=error[:MAX_ERROR_CHARS])
    )
    return done.rowcount == 1


async def scrub_lead(connection: AsyncConnection, lead_id: int) -> int:
    """Forget what the messages about a lead said: unsent ones are dropped, sent ones blanked."""
    await connection.execute(delete(outbox).where(outbox.c.lead_id == lead_id, outbox.c.sent_at.is_(None)))
    blanked = await connection.execute(
        update(outbox).where(outbox.c.lead_id == lead_id).values(payload=json.dumps(SCRUBBED, ensure_ascii=False))
    )
    return blanked.rowcount


async def rows(connection: AsyncConnection, lead_id: int | None = None) -> list[OutboxRow]:
    """Stored rows in the order written (all, or those about one lead)."""
    query = select(outbox).order_by(outbox.c.id)
    if lead_id is not None:
        query = query.where(outbox.c.lead_id == lead_id)
    return [
        OutboxRow(
            row.id,
            row.dedupe_key,
            row.chat_id,
            row.kind,
            json.loads(row.payload),
            row.lead_id,
            row.attempts,
            aware(row.next_attempt_at),
            aware(row.sent_at),
            aware(row.failed_at),
            row.last_error,
        )
        for row in await connection.execute(query)
    ]


async def pending_count(connection: AsyncConnection) -> int:
    """Rows neither sent nor given up."""
    query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
    return int(await connection.scalar(query) or 0)
