"""The unanswered-questions inbox as staff use it, from `python -m bot inbox` and the office console: the open
clusters of a period, and marking one done or ignored.

The questions and marks are read in one transaction; the clustering (bot.core.inbox, a fraction of a second
for tens of thousands of questions) runs in a worker thread, off the event loop and outside the transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.core.inbox import Cluster, clusters
from bot.storage import inbox as store
from bot.storage.db import Database


@dataclass(frozen=True)
class Marked:
    cluster: Cluster
    signatures: int  # how many signatures the mark covers


async def open_clusters(
    database: Database, since: datetime, until: datetime, stopwords: Collection[str] = ()
) -> list[Cluster]:
    """The clusters of questions asked from `since` until before `until` that the bot could not answer and staff
    have not dealt with, most asked first. `stopwords`: the lexicon's (KnowledgeBase.lexicon.stopwords)."""
    async with database.transaction() as connection:
        questions = await store.unanswered(connection, since, until)
        marks = await store.marks(connection)
    return await asyncio.to_thread(clusters, questions, stopwords, marks)


async def mark_cluster(
    database: Database,
    key: str,
    status: str,
    by: str,
    now: datetime,
    since: datetime,
    stopwords: Collection[str] = (),
) -> Marked | None:
    """Mark the open cluster `key` of the questions asked since `since` (as `open_clusters` lists them up to
    `now`) "done" or "ignored"; None when there is no such cluster."""
    wanted = key.strip().lower()
    found = next((c for c in await open_clusters(database, since, now, stopwords) if c.key == wanted), None)
    if found is None:
        return None
    async with database.transaction() as connection:
        count = await store.mark(connection, found, status, by.strip(), now)
    return Marked(found, count)
