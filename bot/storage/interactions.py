"""The interaction log: what the bot decided for each question, for staff to see what it could not answer.

A row holds the channel, never the chat: no names, phone numbers or chat ids. Long digit runs in the
question (phone numbers, citizen ids, social-insurance numbers) are masked before they are stored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import Alternative, LogInteraction
from bot.storage.tables import interactions, utc_now

MAX_STORED_CHARS = 1000
# Seven digits or more, possibly grouped by spaces, dots or dashes: "0912 345 678", "079.123.456.789".
LONG_NUMBER = re.compile(r"\d(?:[ .\-]?\d){6,}")
NUMBER_MASK = "#"


@dataclass(frozen=True)
class InteractionRecord:
    channel: str
    normalised: str
    decision: str
    matched_id: str | None
    top: tuple[Alternative, ...]
    created_at: datetime
    topic: str = ""


def mask_numbers(text: str) -> str:
    return LONG_NUMBER.sub(NUMBER_MASK, text)


LOG = insert(interactions)  # built once; the values come with each execution


async def log(connection: AsyncConnection, channel: str, effect: LogInteraction) -> None:
    top = [{"id": alternative.id, "score": alternative.score} for alternative in effect.top]
    await connection.execute(
        LOG,
        {
            "channel": channel,
            "normalised": mask_numbers(effect.normalised)[:MAX_STORED_CHARS],
            "decision": effect.decision,
            "matched_id": effect.matched_id,
            "top": json.dumps(top, ensure_ascii=False),
            "created_at": utc_now(),
            "topic": effect.topic or None,
        },
    )


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
        )
        for row in rows
    ]
