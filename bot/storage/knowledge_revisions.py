"""Knowledge as published revisions: the knowledge folder's files stored under a number, who published it and why.

    number = await publish(connection, bundle, NewRevision("Lan", "lương cơ sở 1/7"), now)
    live = await live_number(connection)          # the highest number: what every instance answers from
    bundle = await files_of(connection, number)   # the files, for the knowledge base or `kb export`

A file's text is stored once, under its SHA-256 (knowledge_blobs); a revision lists its files' paths and digests,
so publishing a change to one answer stores one new text. On PostgreSQL publishing also sends NOTIFY on
`CHANNEL` with the number, delivered when the transaction commits (bot.workers.knowledge_reload listens).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.db import POSTGRESQL, Database
from bot.storage.knowledge_files import Bundle, bundle_digest, text_digest
from bot.storage.tables import knowledge_blobs, knowledge_revision_files, knowledge_revisions

CHANNEL = "bot_knowledge"  # PostgreSQL NOTIFY channel: the payload is the new live revision's number
PUBLISH_LOCK_KEY = 4_242_002  # PostgreSQL advisory lock: two publishers take turns for the next number


class RevisionNotFound(LookupError):
    pass


@dataclass(frozen=True)
class NewRevision:
    published_by: str
    note: str = ""
    drafted_by: str | None = None
    restored_from: int | None = None
    forced: bool = False
    check_summary: Mapping[str, Any] | None = None  # the regression check's counts, as JSON


@dataclass(frozen=True)
class Revision:
    number: int
    published_at: datetime
    published_by: str
    note: str
    digest: str
    drafted_by: str | None = None
    restored_from: int | None = None
    forced: bool = False
    check_summary: Mapping[str, Any] | None = None


def _insert_blobs(dialect: Any) -> Any:
    return dialect.insert(knowledge_blobs).on_conflict_do_nothing(index_elements=[knowledge_blobs.c.digest])


INSERT_BLOBS = {"postgresql": _insert_blobs(postgresql), "sqlite": _insert_blobs(sqlite)}


def _revision(row: Any) -> Revision:
    summary = json.loads(row.check_summary) if row.check_summary else None
    return Revision(
        row.number,
        row.published_at,
        row.published_by,
        row.note,
        row.digest,
        row.drafted_by,
        row.restored_from,
        row.forced,
        summary,
    )


async def live_number(connection: AsyncConnection) -> int | None:
    """The number of the live revision (the highest), None before the first is published."""
    number = await connection.scalar(select(func.max(knowledge_revisions.c.number)))
    return int(number) if number is not None else None


async def revision(connection: AsyncConnection, number: int) -> Revision:
    row = (await connection.execute(select(knowledge_revisions).where(knowledge_revisions.c.number == number))).first()
    if row is None:
        raise RevisionNotFound(number)
    return _revision(row)


async def history(connection: AsyncConnection, limit: int = 50) -> list[Revision]:
    """The latest revisions, newest first."""
    rows = await connection.execute(
        select(knowledge_revisions).order_by(knowledge_revisions.c.number.desc()).limit(limit)
    )
    return [_revision(row) for row in rows]


async def files_of(connection: AsyncConnection, number: int) -> dict[str, str]:
    """The files of revision `number` (RevisionNotFound if there is none)."""
    rows = await connection.execute(
        select(knowledge_revision_files.c.path, knowledge_blobs.c.content)
        .join(knowledge_blobs, knowledge_blobs.c.digest == knowledge_revision_files.c.blob)
        .where(knowledge_revision_files.c.revision == number)
    )
    bundle = {row.path: row.content for row in rows}
    if not bundle:
        await revision(connection, number)  # RevisionNotFound, or a revision without files (never published so)
    return bundle


async def _take_turn(connection: AsyncConnection) -> None:
    """Publishers take turns until their transaction ends (SQLite's BEGIN IMMEDIATE already serialises them)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK_KEY})


async def publish_first(connection: AsyncConnection, bundle: Bundle, new: NewRevision, now: datetime) -> int | None:
    """Publish `bundle` as revision 1 if there is no revision yet; its number, None if there was one."""
    await _take_turn(connection)
    if await live_number(connection) is not None:
        return None
    return await publish(connection, bundle, new, now)


async def publish(connection: AsyncConnection, bundle: Bundle, new: NewRevision, now: datetime) -> int:
    """Store `bundle` as the next revision and make it live when the transaction commits; its number."""
    postgres = connection.dialect.name == "postgresql"
    await _take_turn(connection)
    number = (await live_number(connection) or 0) + 1
    digests = {path: text_digest(content) for path, content in bundle.items()}
    blobs = [{"digest": digests[path], "content": content} for path, content in bundle.items()]
    await connection.execute(INSERT_BLOBS["postgresql" if postgres else "sqlite"], blobs)
    await connection.execute(
        knowledge_revisions.insert(),
        {
            "number": number,
            "published_at": now,
            "published_by": new.published_by,
            "drafted_by": new.drafted_by,
            "note": new.note,
            "digest": bundle_digest(bundle),
            "restored_from": new.restored_from,
            "forced": new.forced,
            "check_summary": json.dumps(new.check_summary, ensure_ascii=False) if new.check_summary else None,
        },
    )
    files = [{"revision": number, "path": path, "blob": digest} for path, digest in sorted(digests.items())]
    await connection.execute(knowledge_revision_files.insert(), files)
    if postgres:
        await connection.execute(
            text("SELECT pg_notify(:channel, :number)"), {"channel": CHANNEL, "number": str(number)}
        )
    return number


@asynccontextmanager
async def notifications(database: Database, on_publish: Callable[[], None]) -> AsyncIterator[bool]:
    """On PostgreSQL, `on_publish()` is called whenever a revision is published (LISTEN on CHANNEL, on a
    connection of its own held while the block runs); whether notifications are on (SQLite: never)."""
    if database.dialect != POSTGRESQL:
        yield False
        return
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        listener = raw.driver_connection  # the asyncpg connection
        assert listener is not None, "a connection just opened has its driver's connection"

        def notified(*_: object) -> None:
            on_publish()

        await listener.add_listener(CHANNEL, notified)
        try:
            yield True
        finally:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await listener.remove_listener(CHANNEL, notified)
