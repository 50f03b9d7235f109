"""The interaction log: what the bot decided for each question, for staff to see what it could not answer.

A row holds the channel, never the chat: no names, phone numbers or chat ids. Long digit runs in the
question (phone numbers, citizen ids, social-insurance numbers) are masked before they are stored. A name
typed inside a question cannot be masked, so the question is personal data: each row keeps `chat_digest`, a
keyed hash of its chat (HMAC-SHA256 with the installation's random key, bot.storage.install_keys), by which
/xoadulieu deletes the chat's rows (`forget_chat`), and rows older than INTERACTION_RETENTION_DAYS are
deleted by the retention worker (`forget_before`). Without the key the hash cannot be traced back to a chat
id by trying every id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import Alternative, LogInteraction
from bot.storage.pruning import delete_oldest
from bot.storage.tables import interactions

MAX_STORED_CHARS = 1000
# Seven digits or more, possibly grouped by spaces, dots or dashes: "0912 345 678", "079.123.456.789".
LONG_NUMBER = re.compile(r"\d(?:[ .\-]?\d){6,}")
NUMBER_MASK = "#"
DIGEST_CHARS = 32  # 128 bits of the HMAC-SHA256, in hex


@dataclass(frozen=True)
class InteractionRecord:
    channel: str
    normalised: str
    decision: str
    matched_id: str | None
    top: tuple[Alternative, ...]
    created_at: datetime
    topic: str = ""
    chat_digest: str | None = None  # None: logged before chats were linked (revision 0004)


def mask_numbers(text: str) -> str:
    return LONG_NUMBER.sub(NUMBER_MASK, text)


def chat_digest(key: str, chat: str) -> str:
    """The chat's link in the log: HMAC-SHA256 of its session key ("telegram:123") under the installation's
    key (install_keys.INTERACTIONS), shortened."""
    return hmac.new(key.encode("ascii"), chat.encode("utf-8"), hashlib.sha256).hexdigest()[:DIGEST_CHARS]


LOG = insert(interactions)  # built once; the values come with each execution


async def log(
    connection: AsyncConnection, channel: str, effect: LogInteraction, now: datetime, chat_digest: str | None = None
) -> None:
    """Log the decision at `now`."""
    top = [{"id": alternative.id, "score": alternative.score} for alternative in effect.top]
    await connection.execute(
        LOG,
        {
            "channel": channel,
            "normalised": mask_numbers(effect.normalised)[:MAX_STORED_CHARS],
            "decision": effect.decision,
            "matched_id": effect.matched_id,
            "top": json.dumps(top, ensure_ascii=False),
            "created_at": now,
            "topic": effect.topic or None,
            "chat_digest": chat_digest,
        },
    )


async def forget_chat(connection: AsyncConnection, chat_digest: str) -> int:
    """/xoadulieu: delete every question of the chat with this digest; how many were deleted."""
    return await delete_oldest(connection, interactions, interactions.c.id, interactions.c.chat_digest == chat_digest)


async def forget_before(connection: AsyncConnection, cutoff: datetime, limit: int | None = None) -> int:
    """Delete the interactions logged before `cutoff` (at most `limit`, the oldest); how many were deleted."""
    old = interactions.c.created_at < cutoff
    return await delete_oldest(connection, interactions, interactions.c.id, old, limit)


async def recent(connection: AsyncConnection, limit: int = 100) -> list[InteractionRecord]:
    """The latest interactions, newest first."""
    rows = await connection.execute(select(interactions).order_by(interactions.c.id.desc()).limit(limit))
    return [
        InteractionRecord(
            row.channel,
            row.normalised,
            row.decision,
            row.matched_id,
            tuple(Alternative(item["id"], item["score"]) for item in json.loads(row.top)),
            row.created_at,
            row.topic or "",
            row.chat_digest,
        )
        for row in rows
    ]


QUESTION_DECISIONS = ("answer", "suggest", "uncovered", "fallback", "out-of-scope")  # free text the matcher decided


async def recent_questions(connection: AsyncConnection, limit: int) -> list[str]:
    """The last `limit` distinct questions citizens typed (as logged: normalised, long numbers masked), newest
    first: what the regression check replays before a knowledge revision is published."""
    latest = func.max(interactions.c.id).label("latest")
    rows = await connection.execute(
        select(interactions.c.normalised, latest)
        .where(interactions.c.decision.in_(QUESTION_DECISIONS), interactions.c.normalised != "")
        .group_by(interactions.c.normalised)
        .order_by(latest.desc())
        .limit(limit)
    )
    return [row.normalised for row in rows]
