"""The outbox: messages to agents and the office chat, and citizens' replies, written in the transaction
that decided them.

A worker (bot/workers/outbox.py) claims due rows, sends them, then marks them sent. Claiming sets
`next_attempt_at` to the end of a lease and adds one to `attempts`, in one short transaction:
- PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so processes claiming at once take different rows;
- SQLite: the transaction began with BEGIN IMMEDIATE (bot.storage.db), so claims run one after another.
A worker that dies after claiming leaves the row to come due again when the lease ends: it is retried,
never lost. `attempts` doubles as a fencing token: a worker only marks the row it claimed with that attempt
number, so a row re-claimed after its lease ran out is not marked twice.
Each row has a unique `dedupe_key`, so the same notification enqueued twice is stored once.

A chat's rows leave in the order written: only the first unsent row of a chat is ever claimed (a later one
waits while an earlier one waits out a 429 or a backoff), and after sending it the worker claims the chat's
next row at once (`claim_next`). A citizen's reply (`enqueue_replies`) is written already leased to the
process that handled the message (`claimed_by`), which sends it right after the commit: the worker sees it
only if that process hands it over (Telegram is failing) or dies and the lease runs out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, exists, func, insert, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.leads.notifications import Notification
from bot.storage.db import POSTGRESQL
from bot.storage.pruning import delete_oldest
from bot.storage.tables import outbox

MAX_ERROR_CHARS = 500
REPLY = "reply"  # the kind of a citizen's reply
SCRUBBED = {"text": "(đã xóa)", "buttons": []}


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    attempt: int  # the attempt this claim is (1 for the first); pass it back to mark the row
    notification: Notification
    created_at: datetime | None = None


@dataclass(frozen=True)
class QueuedReplies:
    """Replies written by `enqueue_replies`, in order. `attempt` is 1 when they are leased to the writer, which
    should send them now (`inline`), and 0 when they wait for the worker behind an earlier reply of the chat."""

    ids: tuple[int, ...]
    attempt: int
    inline: bool


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
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
        .on_conflict_do_nothing(index_elements=[outbox.c.dedupe_key])
        .returning(outbox.c.id)
    )
    return inserted.first() is not None


def _pending(table: Any = outbox) -> Any:
    return table.c.sent_at.is_(None) & table.c.failed_at.is_(None)


async def pending_count(connection: AsyncConnection) -> int:
    """How many rows are neither sent nor failed (GET /metrics: bot_outbox_pending)."""
    return int(await connection.scalar(select(func.count()).select_from(outbox).where(_pending())) or 0)


def _due(now: datetime) -> Any:
    return _pending() & (outbox.c.next_attempt_at <= now)


def _first_of_its_chat() -> Any:
    """No earlier row of the same chat is waiting: the chat's messages leave in order."""
    earlier = outbox.alias("earlier")
    return ~exists().where(earlier.c.chat_id == outbox.c.chat_id, earlier.c.id < outbox.c.id, _pending(earlier))


async def _claim(connection: AsyncConnection, rows: Sequence[Any], now: datetime, lease: timedelta) -> list[Claimed]:
    claimed: list[Claimed] = []
    for row in rows:
        attempt = row.attempts + 1
        await connection.execute(
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(attempts=attempt, next_attempt_at=now + lease, claimed_by=None)
        )
        notification = Notification.from_payload(row.chat_id, json.loads(row.payload))
        claimed.append(Claimed(row.id, row.kind, attempt, notification, row.created_at))
    return claimed


async def claim_due(connection: AsyncConnection, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Up to `limit` due rows, oldest due first, each the first unsent row of its chat, leased to the caller
    until `now + lease`.

    Call it in a transaction of its own and commit before sending, so the claim is visible to others.
    """
    query = (
        select(outbox)
        .where(_due(now), _first_of_its_chat())
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
    )
    if connection.dialect.name == POSTGRESQL:
        query = query.with_for_update(skip_locked=True, of=outbox)
    return await _claim(connection, (await connection.execute(query)).all(), now, lease)


async def claim_next(connection: AsyncConnection, chat_id: int, now: datetime, lease: timedelta) -> Claimed | None:
    """The chat's first unsent row if it is due, leased to the caller: a worker that has just sent a chat's
    row goes on with the chat's next one without waiting for another pass."""
    query = select(outbox).where(outbox.c.chat_id == chat_id, _pending()).order_by(outbox.c.id).limit(1)
    if connection.dialect.name == POSTGRESQL:
        query = query.with_for_update(skip_locked=True)
    row = (await connection.execute(query)).first()
    if row is None or row.next_attempt_at > now:
        return None
    [claimed] = await _claim(connection, [row], now, lease)
    return claimed


async def enqueue_replies(
    connection: AsyncConnection,
    replies: Sequence[Notification],
    *,
    key: str,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> QueuedReplies:
    """Store a citizen's replies (one row per message, all to one chat) in the caller's transaction.

    They are leased to `owner` (attempt 1, until `now + lease`) when every earlier unsent row of the chat is
    leased to `owner` too: the caller sends them after those, right after its commit. Otherwise (an earlier
    reply waits for the worker, or another process is sending one) they are left due now, for the worker,
    which sends them after the earlier ones. `key` makes the dedupe keys (`key:0`, `key:1`, …).
    """
    ids: list[int] = []
    attempts: set[int] = set()
    for number, reply in enumerate(replies):  # each row decides as the first did: the first is one of ours or not
        values = {
            "key": f"{key}:{number}",
            "chat": reply.chat_id,
            "payload": json.dumps(reply.payload(), ensure_ascii=False),
            "now": now,
            "due": now + lease,
            "owner": owner,
        }
        row = (await connection.execute(_INSERT_REPLY, values)).one()
        ids.append(row.id)
        attempts.add(row.attempts)
    [attempt] = attempts
    return QueuedReplies(tuple(ids), attempt, attempt == 1)


def _insert_reply() -> Any:
    """INSERT … SELECT: the row, leased to :owner unless an earlier unsent row of the chat is someone else's
    (the worker's, another process's, or ours with its lease over); built once, as every message runs it."""
    someone_else = or_(
        outbox.c.claimed_by.is_(None),
        outbox.c.claimed_by != bindparam("owner", type_=outbox.c.claimed_by.type),
        outbox.c.next_attempt_at <= bindparam("now", type_=outbox.c.created_at.type),
    )
    waiting = exists().where(
        outbox.c.chat_id == bindparam("chat", type_=outbox.c.chat_id.type), _pending(), someone_else
    )
    now = bindparam("now", type_=outbox.c.created_at.type)
    row = select(
        bindparam("key", type_=outbox.c.dedupe_key.type),
        bindparam("chat", type_=outbox.c.chat_id.type),
        literal(REPLY, outbox.c.kind.type),
        bindparam("payload", type_=outbox.c.payload.type),
        now,
        case((waiting, literal(0)), else_=literal(1)),
        case((waiting, now), else_=bindparam("due", type_=outbox.c.next_attempt_at.type)),
        case((waiting, null()), else_=bindparam("owner", type_=outbox.c.claimed_by.type)),
    )
    columns = ["dedupe_key", "chat_id", "kind", "payload", "created_at", "attempts", "next_attempt_at", "claimed_by"]
    return insert(outbox).from_select(columns, row).returning(outbox.c.id, outbox.c.attempts)


_INSERT_REPLY = _insert_reply()


def _claimed_by(row_id: int, attempt: int) -> Any:
    return (outbox.c.id == row_id) & (outbox.c.attempts == attempt) & outbox.c.sent_at.is_(None)


async def mark_sent(connection: AsyncConnection, row_id: int, attempt: int, now: datetime) -> bool:
    """Record the delivery of a claimed row; False if the claim was lost (the lease ran out, re-claimed)."""
    done = await connection.execute(
        update(outbox).where(_claimed_by(row_id, attempt)).values(sent_at=now, last_error=None)
    )
    return done.rowcount == 1


async def mark_many_sent(connection: AsyncConnection, claims: Sequence[tuple[int, int]], now: datetime) -> None:
    """mark_sent for several (row id, attempt) claims in one statement (executemany)."""
    await connection.execute(
        _MARK_SENT, [{"row_id": row_id, "attempt": attempt, "at": now} for row_id, attempt in claims]
    )


_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"), outbox.c.attempts == bindparam("attempt"), outbox.c.sent_at.is_(None))
    .values(sent_at=bindparam("at"), last_error=None)
)


async def reschedule(connection: AsyncConnection, row_id: int, attempt: int, at: datetime, error: str) -> bool:
    """Try a claimed row again at `at` (the worker's from then on)."""
    done = await connection.execute(
        update(outbox)
        .where(_claimed_by(row_id, attempt))
        .values(next_attempt_at=at, last_error=error[:MAX_ERROR_CHARS], claimed_by=None)
    )
    return done.rowcount == 1


async def renew(
    connection: AsyncConnection, row_id: int, attempt: int, owner: str, now: datetime, lease: timedelta
) -> int | None:
    """Extend a claim about to run out: the new attempt number, or None if the claim was lost already."""
    done = await connection.execute(
        update(outbox)
        .where(_claimed_by(row_id, attempt), outbox.c.failed_at.is_(None), outbox.c.next_attempt_at > now)
        .values(attempts=attempt + 1, next_attempt_at=now + lease, claimed_by=owner)
    )
    return attempt + 1 if done.rowcount == 1 else None


async def mark_failed(connection: AsyncConnection, row_id: int, attempt: int, now: datetime, error: str) -> bool:
    """Give a claimed row up: it will not be tried again."""
    done = await connection.execute(
        update(outbox).where(_claimed_by(row_id, attempt)).values(failed_at=now, last_error=error[:MAX_ERROR_CHARS])
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
            row.next_attempt_at,
            row.sent_at,
            row.failed_at,
            row.last_error,
        )
        for row in await connection.execute(query)
    ]


async def forget_replies(connection: AsyncConnection, chat_id: int) -> int:
    """Delete a chat's replies that are sent or given up (/xoadulieu: they may repeat a name or a phone number);
    how many. Replies still waiting are kept: they are delivered, then go with the retention period."""
    done = await connection.execute(
        delete(outbox).where(outbox.c.chat_id == chat_id, outbox.c.kind == REPLY, ~_pending())
    )
    return done.rowcount


async def forget_sent_before(connection: AsyncConnection, cutoff: datetime, limit: int | None = None) -> int:
    """Delete the rows sent before `cutoff` (at most `limit`, the oldest sent first): the retention period of
    what they said (a name, a phone number); how many were deleted."""
    old = outbox.c.sent_at < cutoff
    return await delete_oldest(connection, outbox, outbox.c.id, old, limit, outbox.c.sent_at)
