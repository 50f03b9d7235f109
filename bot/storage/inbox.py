"""The unanswered-questions inbox: the interaction log's unanswered questions, and staff's marks on clusters.

The questions are read from `interactions` (bot.storage.interactions), so they follow its retention rules:
rows older than INTERACTION_RETENTION_DAYS and a chat's rows after /xoadulieu are gone from the inbox too.
Nothing of a question is copied here: a mark keeps the SHA-256 of each signature of the marked cluster.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core import inbox
from bot.core.inbox import Cluster, Logged, Mark, Question
from bot.storage.tables import inbox_marks, interactions

READ_LOG = (
    select(
        interactions.c.normalised,
        interactions.c.decision,
        interactions.c.matched_id,
        interactions.c.top,
        interactions.c.created_at,
        interactions.c.topic,
        interactions.c.chat_digest,
    )
    .where(
        interactions.c.created_at >= bindparam("since"),
        interactions.c.created_at < bindparam("until"),
        interactions.c.decision.in_(sorted(inbox.LOGGED)),
    )
    .order_by(interactions.c.created_at, interactions.c.id)
)
WITH_ALTERNATIVES = frozenset({inbox.SUGGEST, inbox.UNCOVERED, inbox.FALLBACK})
MAX_NAME_CHARS = 200  # inbox_marks.marked_by


def _upsert(dialect: Any) -> Any:
    statement = dialect.insert(inbox_marks)
    return statement.on_conflict_do_update(
        index_elements=[inbox_marks.c.signature_digest],
        set_={
            "status": statement.excluded.status,
            "marked_by": statement.excluded.marked_by,
            "marked_at": statement.excluded.marked_at,
            "cluster_key": statement.excluded.cluster_key,
        },
    )


UPSERT = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


class UnknownStatus(ValueError):
    """A mark other than "done" or "ignored"."""


def _top(row: Any) -> tuple[str, ...]:
    if row.decision not in WITH_ALTERNATIVES:
        return ()
    return tuple(item["id"] for item in json.loads(row.top))


async def unanswered(connection: AsyncConnection, since: datetime, until: datetime) -> list[Question]:
    """The questions asked from `since` until before `until` that the bot could not answer (bot.core.inbox)."""
    rows = await connection.execute(READ_LOG, {"since": since, "until": until + inbox.PRESS_WINDOW})
    logged = [
        Logged(r.normalised, r.decision, r.matched_id, _top(r), r.created_at, r.chat_digest, r.topic or "")
        for r in rows
    ]
    return inbox.unanswered(logged, since, until)


async def marks(connection: AsyncConnection) -> dict[str, Mark]:
    """Every mark, by signature digest."""
    columns = (inbox_marks.c.signature_digest, inbox_marks.c.status, inbox_marks.c.marked_at)
    rows = await connection.execute(select(*columns))
    return {row.signature_digest: Mark(row.status, row.marked_at) for row in rows}


async def mark(connection: AsyncConnection, cluster: Cluster, status: str, by: str, now: datetime) -> int:
    """Mark every signature of `cluster` "done" or "ignored" by `by` at `now` (a signature marked before is
    marked again); how many signatures were marked."""
    if status not in inbox.STATUSES:
        raise UnknownStatus(f"status must be one of {', '.join(inbox.STATUSES)}, not {status!r}")
    digests = cluster.digests
    if not digests:
        return 0
    fields = {"status": status, "marked_by": by[:MAX_NAME_CHARS], "marked_at": now, "cluster_key": cluster.key}
    values = [{"signature_digest": digest, **fields} for digest in digests]
    await connection.execute(UPSERT["postgresql" if connection.dialect.name == "postgresql" else "sqlite"], values)
    return len(digests)
