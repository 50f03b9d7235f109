"""What the console's dashboard reads: the questions of a period (when asked, what the bot decided, which
entries answered), the live knowledge revision, and the open and overdue leads. Grouping by office day is
done by the caller (bot.core.dashboard.per_day) over the bounded period: a day's bounds depend on the office's
time zone, which SQLite and PostgreSQL would each compute their own way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.dashboard import QUESTION_DECISIONS
from bot.core.leads.records import OPEN_STATUSES
from bot.storage import knowledge_revisions
from bot.storage.knowledge_revisions import Revision
from bot.storage.tables import interactions, leads, zalo_bot_sends

ENTRY_DECISIONS = ("answer", "action")  # an entry answered a question, or a button opened it
OPEN = sorted(status.value for status in OPEN_STATUSES)


def _between(since: datetime, until: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return interactions.c.created_at >= since, interactions.c.created_at < until


async def question_moments(connection: AsyncConnection, since: datetime, until: datetime) -> list[datetime]:
    """When each question typed from `since` until before `until` was asked."""
    query = select(interactions.c.created_at).where(
        *_between(since, until), interactions.c.decision.in_(QUESTION_DECISIONS)
    )
    return [row.created_at for row in await connection.execute(query)]


async def decisions(connection: AsyncConnection, since: datetime, until: datetime) -> dict[str, int]:
    """How many typed questions of the period got each decision ("answer", "suggest", …)."""
    count = func.count(interactions.c.id)
    query = (
        select(interactions.c.decision, count)
        .where(*_between(since, until), interactions.c.decision.in_(QUESTION_DECISIONS))
        .group_by(interactions.c.decision)
    )
    return {row[0]: int(row[1]) for row in await connection.execute(query)}


async def most_asked(
    connection: AsyncConnection, since: datetime, until: datetime, limit: int = 10
) -> list[tuple[str, int]]:
    """The entries that answered most often in the period (a question answered, or a button that opened the
    entry), with how many times; most first, then by id."""
    count = func.count(interactions.c.id).label("times")
    query = (
        select(interactions.c.matched_id, count)
        .where(
            *_between(since, until),
            interactions.c.decision.in_(ENTRY_DECISIONS),
            interactions.c.matched_id.is_not(None),
            interactions.c.matched_id != "",
        )
        .group_by(interactions.c.matched_id)
        .order_by(count.desc(), interactions.c.matched_id)
        .limit(limit)
    )
    return [(row[0], int(row[1])) for row in await connection.execute(query)]


async def live_revision(connection: AsyncConnection) -> Revision | None:
    """The revision answering (the highest number), None before any is published."""
    number = await knowledge_revisions.live_number(connection)
    return None if number is None else await knowledge_revisions.revision(connection, number)


async def lead_counts(connection: AsyncConnection, now: datetime) -> tuple[int, int]:
    """Open leads, and those of them past their first-contact time with no contact yet (as the deadline worker
    counts them: bot.storage.leads.escalate_overdue)."""
    is_open = leads.c.status.in_(OPEN)
    late = is_open & leads.c.first_contact_at.is_(None) & (leads.c.due_at <= now)
    open_count = await connection.scalar(select(func.count(leads.c.id)).where(is_open))
    late_count = await connection.scalar(select(func.count(leads.c.id)).where(late))
    return int(open_count or 0), int(late_count or 0)


async def zalo_bot_sent(connection: AsyncConnection, month: str) -> int:
    """Messages the Zalo Bot sent in `month` ("2026-12"), counted against the plan's monthly quota."""
    count = await connection.scalar(select(zalo_bot_sends.c.count).where(zalo_bot_sends.c.month == month))
    return int(count or 0)
