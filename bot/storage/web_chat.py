"""The web chat's own rows: the replies given to each message a browser sent, and messages waiting for its
event stream. Both are short-lived (KEEP, a day): rows older than that are deleted as new ones are written.

    await remember(connection, "web:abc", "m-1", "mat the bhyt", replies_json, now)
    await given(connection, "web:abc", "m-1")          # the same replies, for a retried request
    await history(connection, "web:abc", now)          # the conversation, for a reloaded page
    await queue(connection, "web:abc", reply_json, now)  # a later message (an agent's answer, a reminder)
    await waiting(connection, "web:abc", after=0)      # what the event stream sends next

A reply is stored as the JSON the browser gets (bot.channels.web_chat.render): this module does not read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.pruning import delete_oldest
from bot.storage.tables import web_chat_outbox, web_chat_replies

KEEP = timedelta(days=1)  # a conversation in a browser is over by then; retried requests come within seconds
PRUNE_BATCH = 200  # rows older than KEEP deleted per write: the table never waits for a sweep
HISTORY_TURNS = 50


@dataclass(frozen=True)
class Turn:
    """One exchange shown in the browser: what the citizen typed ("" for a button press or a later message)
    and the replies (JSON text)."""

    said: str
    replies: str
    at: datetime


@dataclass(frozen=True)
class Waiting:
    id: int
    reply: str  # JSON text


async def remember(
    connection: AsyncConnection, session: str, client_msg_id: str, said: str, replies: str, now: datetime
) -> None:
    """Keep the replies given to a message (the first time only: a second write of the same message is
    ignored), and delete a batch of rows older than KEEP."""
    await _prune(connection, now)
    found = await given(connection, session, client_msg_id)
    if found is None:
        await connection.execute(
            insert(web_chat_replies).values(
                session=session, client_msg_id=client_msg_id, said=said, replies=replies, created_at=now
            )
        )


async def given(connection: AsyncConnection, session: str, client_msg_id: str) -> str | None:
    """The replies (JSON text) given to this message, or None if none are kept."""
    found = await connection.scalar(
        select(web_chat_replies.c.replies).where(
            web_chat_replies.c.session == session, web_chat_replies.c.client_msg_id == client_msg_id
        )
    )
    return None if found is None else str(found)


async def history(connection: AsyncConnection, session: str, now: datetime, turns: int = HISTORY_TURNS) -> list[Turn]:
    """The chat's last `turns` exchanges and delivered later messages of the last KEEP, oldest first."""
    since = now - KEEP
    answered = await connection.execute(
        select(web_chat_replies.c.said, web_chat_replies.c.replies, web_chat_replies.c.created_at)
        .where(web_chat_replies.c.session == session, web_chat_replies.c.created_at >= since)
        .order_by(web_chat_replies.c.created_at.desc())
        .limit(turns)
    )
    later = await connection.execute(
        select(web_chat_outbox.c.reply, web_chat_outbox.c.created_at)
        .where(
            web_chat_outbox.c.session == session,
            web_chat_outbox.c.created_at >= since,
            web_chat_outbox.c.delivered_at.is_not(None),
        )
        .order_by(web_chat_outbox.c.id.desc())
        .limit(turns)
    )
    found = [Turn(str(said), str(replies), at) for said, replies, at in answered]
    found += [Turn("", f"[{reply}]", at) for reply, at in later]
    return sorted(found, key=lambda turn: turn.at)[-turns:]


async def queue(connection: AsyncConnection, session: str, reply: str, now: datetime) -> int:
    """A message for the chat's event stream (one reply, JSON text); its id."""
    await _prune(connection, now)
    inserted = await connection.execute(insert(web_chat_outbox).values(session=session, reply=reply, created_at=now))
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


async def waiting(connection: AsyncConnection, session: str, after: int | None, limit: int = 20) -> list[Waiting]:
    """The chat's messages to stream: those after id `after`, or (None: a new stream) those never delivered."""
    chosen = select(web_chat_outbox.c.id, web_chat_outbox.c.reply).where(web_chat_outbox.c.session == session)
    if after is None:
        chosen = chosen.where(web_chat_outbox.c.delivered_at.is_(None))
    else:
        chosen = chosen.where(web_chat_outbox.c.id > after)
    rows = await connection.execute(chosen.order_by(web_chat_outbox.c.id).limit(limit))
    return [Waiting(int(id_), str(reply)) for id_, reply in rows]


async def delivered(connection: AsyncConnection, ids: list[int], now: datetime) -> None:
    if ids:
        await connection.execute(
            update(web_chat_outbox)
            .where(web_chat_outbox.c.id.in_(ids), web_chat_outbox.c.delivered_at.is_(None))
            .values(delivered_at=now)
        )


async def forget(connection: AsyncConnection, session: str) -> int:
    """Delete everything kept for the chat (/xoadulieu: a reply may repeat a name or a phone number); the
    number of rows deleted."""
    replies = await connection.execute(delete(web_chat_replies).where(web_chat_replies.c.session == session))
    later = await connection.execute(delete(web_chat_outbox).where(web_chat_outbox.c.session == session))
    return replies.rowcount + later.rowcount


async def _prune(connection: AsyncConnection, now: datetime) -> None:
    cutoff = now - KEEP
    await delete_oldest(
        connection,
        web_chat_replies,
        web_chat_replies.c.client_msg_id,
        web_chat_replies.c.created_at < cutoff,
        PRUNE_BATCH,
        order_by=web_chat_replies.c.created_at,
    )
    await delete_oldest(
        connection, web_chat_outbox, web_chat_outbox.c.id, web_chat_outbox.c.created_at < cutoff, PRUNE_BATCH
    )
