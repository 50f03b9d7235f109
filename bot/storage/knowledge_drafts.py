"""Knowledge drafts: an editor's changes to the knowledge files, waiting to be published from the console.

    draft = await create(connection, "lan", base_revision=3, now=now)
    await save_files(connection, draft.id, {"faq/tn.yaml": "..."}, now)     # only the files it changes
    await set_status(connection, draft.id, SUBMITTED, now)

A draft keeps whole files (the changed ones only); its bundle is the live revision's files with these on top
(bot.shell.drafts). Each editor has at most one draft being worked on (open, returned or submitted).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import knowledge_drafts

OPEN = "open"
SUBMITTED = "submitted"
RETURNED = "returned"
PUBLISHED = "published"
DISCARDED = "discarded"
STATUSES = (OPEN, SUBMITTED, RETURNED, PUBLISHED, DISCARDED)
WORKING = (OPEN, SUBMITTED, RETURNED)  # a draft still in hand: its editor's one draft
EDITABLE = (OPEN, RETURNED)


@dataclass(frozen=True)
class Draft:
    id: int
    base_revision: int | None
    files: Mapping[str, str]
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    reviewed_by: str | None = None
    review_comment: str = ""
    published_revision: int | None = None

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


def _draft(row: Any) -> Draft:
    return Draft(
        row.id,
        row.base_revision,
        json.loads(row.files),
        row.status,
        row.created_by,
        row.created_at,
        row.updated_at,
        row.submitted_at,
        row.reviewed_by,
        row.review_comment or "",
        row.published_revision,
    )


async def create(connection: AsyncConnection, created_by: str, base_revision: int | None, now: datetime) -> Draft:
    result = await connection.execute(
        insert(knowledge_drafts).values(
            base_revision=base_revision,
            files="{}",
            status=OPEN,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            review_comment="",
        )
    )
    draft_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    assert draft_id is not None, "an insert returns its key"
    found = await get(connection, int(draft_id))
    assert found is not None
    return found


async def get(connection: AsyncConnection, draft_id: int) -> Draft | None:
    row = (await connection.execute(select(knowledge_drafts).where(knowledge_drafts.c.id == draft_id))).first()
    return _draft(row) if row else None


async def working_of(connection: AsyncConnection, username: str) -> Draft | None:
    """The editor's draft still in hand (open, returned or submitted), the newest if there were several."""
    row = (
        await connection.execute(
            select(knowledge_drafts)
            .where(knowledge_drafts.c.created_by == username, knowledge_drafts.c.status.in_(WORKING))
            .order_by(knowledge_drafts.c.id.desc())
            .limit(1)
        )
    ).first()
    return _draft(row) if row else None


async def with_status(connection: AsyncConnection, statuses: Iterable[str], limit: int = 100) -> list[Draft]:
    """Drafts in one of `statuses`, the most recently changed first."""
    rows = await connection.execute(
        select(knowledge_drafts)
        .where(knowledge_drafts.c.status.in_(list(statuses)))
        .order_by(knowledge_drafts.c.updated_at.desc(), knowledge_drafts.c.id.desc())
        .limit(limit)
    )
    return [_draft(row) for row in rows]


async def save_files(connection: AsyncConnection, draft_id: int, files: Mapping[str, str], now: datetime) -> None:
    """Replace the draft's changed files."""
    await connection.execute(
        update(knowledge_drafts)
        .where(knowledge_drafts.c.id == draft_id)
        .values(files=json.dumps(dict(files), ensure_ascii=False, sort_keys=True), updated_at=now)
    )


async def set_status(
    connection: AsyncConnection,
    draft_id: int,
    status: str,
    now: datetime,
    *,
    reviewed_by: str | None = None,
    review_comment: str | None = None,
    published_revision: int | None = None,
) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown draft status {status!r}")
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == SUBMITTED:
        values["submitted_at"] = now
    if reviewed_by is not None:
        values["reviewed_by"] = reviewed_by
    if review_comment is not None:
        values["review_comment"] = review_comment
    if published_revision is not None:
        values["published_revision"] = published_revision
    await connection.execute(update(knowledge_drafts).where(knowledge_drafts.c.id == draft_id).values(**values))
