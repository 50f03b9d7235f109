"""The knowledge a running bot answers from, swapped whole when a new revision is published.

    live = LiveKnowledge(Knowledge(kb, matcher), database, build)
    await live.follow()          # load the live revision if it is not the one answering (a few ms if not)
    knowledge = live.current()   # a message takes this once and is answered from it alone

A `Knowledge` is frozen: its knowledge base and its matcher index belong to one revision. A new one is built on
a worker thread (the event loop goes on answering from the old one meanwhile) and replaces the old in one
assignment, so a message is answered from one revision or the other, never from a mix. Publishing is
bot.shell.publishing; what tells an instance to follow is bot.workers.knowledge_reload.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.core.file_schema import KnowledgeFileError
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.storage import interactions, knowledge_revisions
from bot.storage.db import Database
from bot.storage.knowledge_files import Bundle, bundle_digest

log = logging.getLogger(__name__)
# While an index is built on a worker thread, the event loop's thread gets the interpreter's lock back after at
# most this long (Python's default is 5 ms; a message's transaction passes the lock back and forth a dozen
# times, so at 5 ms it waited ~60 ms per message and the queue grew during a rebuild).
BUILD_SWITCH_INTERVAL = 0.0005
WARM_UP_QUESTIONS = 300  # the latest distinct real questions a new index matches before it is swapped in


@dataclass(frozen=True)
class Knowledge:
    """One revision's knowledge base and matcher index; `revision` None: read from the knowledge folder."""

    kb: KnowledgeBase
    matcher: Matcher
    revision: int | None = None
    digest: str = ""  # bot.storage.knowledge_files.bundle_digest of the files it was built from

    def current(self) -> Knowledge:
        """A fixed knowledge is its own source (tests, `ask`, `eval`): see KnowledgeSource."""
        return self


class KnowledgeSource(Protocol):
    def current(self) -> Knowledge: ...


Builder = Callable[[Bundle], Knowledge]  # the files -> their knowledge base and index (the composition root's)


class LiveKnowledge:
    """The knowledge of the live revision in the database, followed as revisions are published."""

    def __init__(self, first: Knowledge, database: Database, build: Builder) -> None:
        self._current = first
        self.database = database
        self.build = build
        self._turn = asyncio.Lock()  # one build at a time
        self._broken: int | None = None  # a revision that failed to build: not tried again

    def current(self) -> Knowledge:
        return self._current

    async def follow(self) -> bool:
        """Make the live revision the one answering, if it is not yet; whether it changed. A revision that
        cannot be built (published by a newer version of the bot?) is logged once and the current kept."""
        async with self.database.transaction() as connection:
            number = await knowledge_revisions.live_number(connection)
        if number is None or number in (self._current.revision, self._broken):
            return False
        async with self._turn:
            if number == self._current.revision:
                return False
            async with self.database.transaction() as connection:
                bundle = await knowledge_revisions.files_of(connection, number)
                recent = await interactions.recent_questions(connection, WARM_UP_QUESTIONS)
            return await self._swap(bundle, number, recent)

    async def _swap(self, bundle: Bundle, number: int, warm_up: Sequence[str] = ()) -> bool:
        digest = bundle_digest(bundle)
        if digest == self._current.digest:  # the same files under a new number (a rollback, the seed)
            self._current = replace(self._current, revision=number)
            log.info("knowledge revision %d is live (same files as before)", number)
            return True
        started = time.perf_counter()
        try:
            built = await _off_the_loop(lambda files: _warmed(self.build(files), warm_up), bundle)
        except (KnowledgeFileError, ValueError) as exc:
            self._broken = number
            log.error(
                "knowledge revision %d cannot be loaded, still answering from %s: %s",
                number,
                self._current.revision,
                exc,
            )
            return False
        self._current = replace(built, revision=number, digest=digest)
        log.info(
            "knowledge revision %d is live (index built in %.0f ms)", number, (time.perf_counter() - started) * 1000
        )
        return True


def _warmed(knowledge: Knowledge, questions: Sequence[str]) -> Knowledge:
    """The new index having matched the latest real questions: its caches (typo corrections above all, a
    search of the whole vocabulary per unknown word) are filled before it answers anyone, so the first
    messages after a swap do not wait for them (bench/bench_reload.py measures the latency around a swap)."""
    for question in questions:
        knowledge.matcher.match(question)
    return knowledge


async def _off_the_loop(build: Builder, bundle: Bundle) -> Knowledge:
    """`build(bundle)` on a worker thread, with the cyclic garbage collector paused meanwhile.

    A build makes millions of objects; each of the collector's full passes over them held the interpreter's
    lock for 100-400 ms, and the event loop stopped answering while it did (bench/bench_reload.py measured a
    p99 of 0.5-1 s for messages during a 5,000-entry rebuild). Paused, then with the new objects moved out of
    the collector's reach (gc.freeze, as `python -m bot run` does with the first index at start), the loop
    only waits its turn for the lock. The objects are still freed by reference counting when the index is
    replaced.
    """
    gc.disable()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(BUILD_SWITCH_INTERVAL)
    try:
        return await asyncio.to_thread(build, bundle)
    finally:
        sys.setswitchinterval(interval)
        gc.freeze()
        gc.enable()
