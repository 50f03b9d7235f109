"""The unanswered-questions inbox in the database: the questions come from the interaction log (so they follow its
retention and /xoadulieu), and a cluster's marks keep only the digests of its signatures."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.inbox import DONE, FALLBACK, IGNORED, SUGGEST, UNCOVERED, clusters
from bot.core.types import Alternative, LogInteraction
from bot.storage import inbox, interactions
from bot.storage.db import Database
from bot.storage.inbox import UnknownStatus
from bot.storage.tables import inbox_marks
from tests.databases import Store
from tests.lead_factories import NOW

SINCE = NOW - timedelta(days=30)
MINUTE = timedelta(minutes=1)
OFFERED = (Alternative("bb.thai-san", 0.41), Alternative("bb.om-dau", 0.35))


def suggestion(text: str = "thai san chong nghi") -> LogInteraction:
    return LogInteraction(text, SUGGEST, None, OFFERED)


def press(entry_id: str) -> LogInteraction:
    return LogInteraction("", "action", entry_id)


async def log(database: Database, *rows: tuple[LogInteraction, datetime, str | None]) -> None:
    async with database.transaction() as connection:
        for effect, at, chat in rows:
            await interactions.log(connection, "telegram", effect, at, chat)


async def read(database: Database, until: datetime = NOW + timedelta(hours=1)) -> list[tuple[str, str]]:
    async with database.transaction() as connection:
        return [(q.normalised, q.decision) for q in await inbox.unanswered(connection, SINCE, until)]


async def test_uncovered_fallback_and_suggestions_nobody_pressed_are_read_in_order(store: Store) -> None:
    async with store.open() as database:
        await log(
            database,
            (LogInteraction("gia han the bhyt online", FALLBACK, None), NOW, "chat-a"),
            (LogInteraction("thuong binh kham bhyt", UNCOVERED, None, (), "người có công"), NOW + MINUTE, "chat-a"),
            (LogInteraction("muc dong bhyt ho gia dinh", "answer", "bhyt.muc-dong-hgd"), NOW + 2 * MINUTE, "chat-a"),
            (suggestion("thai san chong nghi"), NOW + 3 * MINUTE, "chat-b"),
            (press("bb.om-dau"), NOW + 4 * MINUTE, "chat-b"),  # one of the choices: answered
            (suggestion("om dau con nho"), NOW + 5 * MINUTE, "chat-c"),
            (press("bb.thai-san"), NOW + 40 * MINUTE, "chat-c"),  # too late to count
        )
        assert await read(database) == [
            ("gia han the bhyt online", FALLBACK),
            ("thuong binh kham bhyt", UNCOVERED),
            ("om dau con nho", SUGGEST),
        ]
        async with database.transaction() as connection:
            questions = await inbox.unanswered(connection, SINCE, NOW + timedelta(hours=1))
        assert [(q.topic, q.nearest, q.chat_digest) for q in questions][1:] == [
            ("người có công", None, "chat-a"),
            ("", "bb.thai-san", "chat-c"),
        ]


async def test_a_press_just_after_the_period_still_answers_its_suggestion(store: Store) -> None:
    async with store.open() as database:
        await log(database, (suggestion(), NOW, "chat-a"), (press("bb.thai-san"), NOW + 2 * MINUTE, "chat-a"))
        assert await read(database, until=NOW + MINUTE) == []


async def test_a_forgotten_chat_is_gone_from_the_inbox(store: Store) -> None:
    async with store.open() as database:
        await log(
            database,
            (LogInteraction("toi ten lan hoi thai san", FALLBACK, None), NOW, "chat-a"),
            (LogInteraction("rut bhxh mot lan online", FALLBACK, None), NOW, "chat-b"),
        )
        async with database.transaction() as connection:
            assert await interactions.forget_chat(connection, "chat-a") == 1
        assert await read(database) == [("rut bhxh mot lan online", FALLBACK)]


async def test_a_mark_keeps_the_signatures_digests_not_the_question(store: Store) -> None:
    async with store.open() as database:
        await log(
            database,
            (LogInteraction("thai san nghi may thang", FALLBACK, None), NOW, "chat-a"),
            (LogInteraction("nghi thai san may thang", FALLBACK, None), NOW, "chat-b"),
            (LogInteraction("thai san nghi may thang bao nhieu", FALLBACK, None), NOW, "chat-c"),
        )
        async with database.transaction() as connection:
            [cluster] = clusters(await inbox.unanswered(connection, SINCE, NOW + MINUTE))
            marked = await inbox.mark(connection, cluster, IGNORED, "Nguyễn Văn An", NOW)
        async with database.transaction() as connection:
            rows = (await connection.execute(select(inbox_marks).order_by(inbox_marks.c.signature_digest))).all()
    assert marked == 2  # two signatures: the word order does not make a third
    expected = sorted(hashlib.sha256(s.encode()).hexdigest() for s in cluster.signatures)
    assert [row.signature_digest for row in rows] == expected
    assert {(row.status, row.marked_by, row.marked_at, row.cluster_key) for row in rows} == {
        (IGNORED, "Nguyễn Văn An", NOW, cluster.key)
    }
    assert not any("thai" in str(value) for row in rows for value in row)


async def test_done_hides_what_was_asked_before_and_marking_again_replaces_the_mark(store: Store) -> None:
    async with store.open() as database:
        await log(database, (LogInteraction("thai san nghi may thang", FALLBACK, None), NOW, "chat-a"))
        async with database.transaction() as connection:
            [cluster] = clusters(await inbox.unanswered(connection, SINCE, NOW + MINUTE))
            await inbox.mark(connection, cluster, IGNORED, "An", NOW + MINUTE)
            await inbox.mark(connection, cluster, DONE, "Bình", NOW + 2 * MINUTE)
        await log(database, (LogInteraction("thai san nghi may thang", FALLBACK, None), NOW + 3 * MINUTE, "chat-b"))
        async with database.transaction() as connection:
            marks = await inbox.marks(connection)
            questions = await inbox.unanswered(connection, SINCE, NOW + timedelta(hours=1))
    assert [(m.status, m.marked_at) for m in marks.values()] == [(DONE, NOW + 2 * MINUTE)]
    [again] = clusters(questions, marks=marks)
    assert (again.count, again.chats, again.first_seen) == (1, 1, NOW + 3 * MINUTE)


async def test_only_done_and_ignored_are_marks(store: Store) -> None:
    async with store.open() as database:
        await log(database, (LogInteraction("thai san nghi may thang", FALLBACK, None), NOW, "chat-a"))
        async with database.transaction() as connection:
            [cluster] = clusters(await inbox.unanswered(connection, SINCE, NOW + MINUTE))
            with pytest.raises(UnknownStatus):
                await inbox.mark(connection, cluster, "deleted", "An", NOW)
