"""Events received by webhook, stored before they are acknowledged and handled afterwards by a worker
(bot.workers.inbound_events), on any instance, in order per chat.

    await store(connection, "zalo_oa", event_id, chat, payload_json, now)   # False: that event was stored before
    event = await claim(connection, "zalo_oa", now, lease)                  # the next event whose turn it is
    await keep_replies(connection, event.id, replies_json)                  # what to send, before sending it
    await mark_sent(connection, event.id, count)                            # after each message sent
    await done(connection, event.id, now, shown_json)                       # handled
    await release(connection, event.id, retry_at)                           # try again later
    await shown(connection, chat)                                           # the choices the chat saw last

An event's turn comes when no earlier event of its chat waits, and no worker's lease holds it: a claim is a lease
(claimed_until), taken in the claim's own transaction, so the handling (which uses its own transactions) holds no
lock. On PostgreSQL the candidate row is taken FOR UPDATE SKIP LOCKED, so instances claiming at once take
different events; on SQLite BEGIN IMMEDIATE serialises the claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import inbound_events

KEEP_HANDLED = timedelta(days=2)  # a platform's retries of one event come within hours


@dataclass(frozen=True)
class Event:
    id: int
    channel: str
    event_id: str
    chat: str
    payload: str  # JSON text
    attempts: int
    replies: str | None  # JSON text: the messages to send, once the service has answered
    sent: int


async def store(
    connection: AsyncConnection, channel: str, event_id: str, chat: str, payload: str, now: datetime
) -> bool:
    """Keep an event to handle; False when this (channel, event id) was stored before (a delivery again)."""
    known = await connection.scalar(
        select(inbound_events.c.id).where(inbound_events.c.channel == channel, inbound_events.c.event_id == event_id)
    )
    if known is not None:
        return False
    try:
        async with connection.begin_nested():
            await connection.execute(
                insert(inbound_events).values(
                    channel=channel, event_id=event_id, chat=chat, payload=payload, received_at=now, attempts=0, sent=0
                )
            )
    except IntegrityError:  # another instance stored the same delivery a moment ago
        return False
    return True


async def claim(connection: AsyncConnection, channel: str, now: datetime, lease: timedelta) -> Event | None:
    """The oldest event of `channel` whose turn it is (none earlier in its chat unhandled, not leased), leased
    to the caller until now + lease."""
    earlier = inbound_events.alias("earlier")
    waiting_before = exists().where(
        earlier.c.chat == inbound_events.c.chat,
        earlier.c.id < inbound_events.c.id,
        earlier.c.processed_at.is_(None),
    )
    query = (
        select(inbound_events)
        .where(
            inbound_events.c.channel == channel,
            inbound_events.c.processed_at.is_(None),
            or_(inbound_events.c.claimed_until.is_(None), inbound_events.c.claimed_until <= now),
            ~waiting_before,
        )
        .order_by(inbound_events.c.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=inbound_events)
    )
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        return None
    await connection.execute(
        update(inbound_events)
        .where(inbound_events.c.id == row["id"])
        .values(claimed_until=now + lease, attempts=inbound_events.c.attempts + 1)
    )
    return Event(
        row["id"], row["channel"], row["event_id"], row["chat"], row["payload"], row["attempts"] + 1,
        row["replies"], row["sent"],
    )  # fmt: skip


async def keep_replies(connection: AsyncConnection, event: int, replies: str) -> None:
    await connection.execute(update(inbound_events).where(inbound_events.c.id == event).values(replies=replies))


async def mark_sent(connection: AsyncConnection, event: int, count: int) -> None:
    await connection.execute(update(inbound_events).where(inbound_events.c.id == event).values(sent=count))


async def done(connection: AsyncConnection, event: int, now: datetime, shown: str | None = None) -> None:
    """Handled; `shown`: the choices its replies numbered (None: keep the chat's earlier ones)."""
    await connection.execute(
        update(inbound_events)
        .where(inbound_events.c.id == event)
        .values(processed_at=now, claimed_until=None, shown=shown)
    )


async def release(connection: AsyncConnection, event: int, retry_at: datetime) -> None:
    """Not handled this time: the event's turn comes again at retry_at (its chat's later events wait)."""
    await connection.execute(update(inbound_events).where(inbound_events.c.id == event).values(claimed_until=retry_at))


async def shown(connection: AsyncConnection, channel: str, chat: str) -> str | None:
    """The choices (JSON) numbered by the last reply in the chat that numbered any, or None."""
    found = await connection.scalar(
        select(inbound_events.c.shown)
        .where(
            inbound_events.c.channel == channel,
            inbound_events.c.chat == chat,
            inbound_events.c.processed_at.is_not(None),
            inbound_events.c.shown.is_not(None),
        )
        .order_by(inbound_events.c.id.desc())
        .limit(1)
    )
    return None if found is None else str(found)


async def pending(connection: AsyncConnection, channel: str) -> int:
    """How many events of the channel wait to be handled."""
    rows = await connection.execute(
        select(inbound_events.c.id).where(inbound_events.c.channel == channel, inbound_events.c.processed_at.is_(None))
    )
    return len(rows.all())


async def prune(connection: AsyncConnection, now: datetime) -> int:
    """Delete handled events older than KEEP_HANDLED (a platform's retry of one is then a new event)."""
    result = await connection.execute(
        delete(inbound_events).where(
            and_(inbound_events.c.processed_at.is_not(None), inbound_events.c.processed_at < now - KEEP_HANDLED)
        )
    )
    return int(result.rowcount or 0)
