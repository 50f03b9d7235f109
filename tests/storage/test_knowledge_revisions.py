"""Knowledge as published revisions: numbered 1, 2, 3…, the highest live, each file's text stored once, and on
PostgreSQL a NOTIFY with the new number when the publishing transaction commits."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import func, select, text

from bot.storage import knowledge_revisions
from bot.storage.db import POSTGRESQL, SQLITE, Database
from bot.storage.knowledge_files import bundle_digest
from bot.storage.knowledge_revisions import CHANNEL, NewRevision, RevisionNotFound
from bot.storage.tables import knowledge_blobs
from tests.databases import POSTGRES_URL, Store, _asyncpg_dsn
from tests.lead_factories import NOW

FIRST = {
    "faq/tn.yaml": "subject: tn\nentries:\n  - id: tn.muc-dong\n    short: Bạn đóng 22% thu nhập.\n",
    "faq/bhyt.yaml": "subject: bhyt\nentries: []\n",
    "policy.yaml": "params:\n  luong_co_so: {values: [{from: 2024-07-01, value: 2340000}]}\n",
    "bot.yaml": "messages: {greeting: Xin chào!}\n",
}
SECOND = {**FIRST, "faq/tn.yaml": FIRST["faq/tn.yaml"].replace("22%", "22 phần trăm")}
THIRD = {**SECOND, "checks.jsonl": '{"q": "mức đóng tự nguyện", "expect": ["tn.muc-dong"]}\n'}
BY_LAN = NewRevision("Lan", "lương cơ sở 1/7")


async def publish(database: Database, bundle: dict[str, str], new: NewRevision = BY_LAN, minutes: int = 0) -> int:
    async with database.transaction() as connection:
        return await knowledge_revisions.publish(connection, bundle, new, NOW + timedelta(minutes=minutes))


async def blob_count(database: Database) -> int:
    async with database.transaction() as connection:
        return int(await connection.scalar(select(func.count()).select_from(knowledge_blobs)) or 0)


async def test_there_is_no_live_revision_before_the_first_is_published(store: Store) -> None:
    async with store.open() as database, database.transaction() as connection:
        assert await knowledge_revisions.live_number(connection) is None
        assert await knowledge_revisions.history(connection) == []


async def test_revisions_are_numbered_one_two_three_and_the_highest_is_live(store: Store) -> None:
    async with store.open() as database:
        numbers = [await publish(database, bundle, minutes=n) for n, bundle in enumerate((FIRST, SECOND, THIRD))]
        async with database.transaction() as connection:
            live = await knowledge_revisions.live_number(connection)
    assert numbers == [1, 2, 3]
    assert live == 3


async def test_a_revision_keeps_who_published_it_why_and_when(store: Store) -> None:
    new = NewRevision(
        "Hoa",
        "ép công bố: mục mới thay mục cũ",
        drafted_by="Lan",
        restored_from=1,
        forced=True,
        check_summary={"worse": 1, "changed": 4, "nhãn": "có"},
    )
    async with store.open() as database:
        await publish(database, FIRST)
        await publish(database, SECOND, new, minutes=5)
        async with database.transaction() as connection:
            revision = await knowledge_revisions.revision(connection, 2)
            first = await knowledge_revisions.revision(connection, 1)
    assert (revision.number, revision.published_by, revision.drafted_by, revision.note) == (
        2,
        "Hoa",
        "Lan",
        "ép công bố: mục mới thay mục cũ",
    )
    assert (revision.restored_from, revision.forced, revision.check_summary) == (1, True, new.check_summary)
    assert revision.published_at == NOW + timedelta(minutes=5)
    assert revision.digest == bundle_digest(SECOND)
    assert (first.forced, first.restored_from, first.drafted_by, first.check_summary) == (False, None, None, None)


async def test_history_lists_the_latest_revisions_newest_first(store: Store) -> None:
    async with store.open() as database:
        for n, bundle in enumerate((FIRST, SECOND, THIRD)):
            await publish(database, bundle, NewRevision(f"người {n + 1}"), minutes=n)
        async with database.transaction() as connection:
            every = await knowledge_revisions.history(connection)
            latest = await knowledge_revisions.history(connection, limit=2)
    assert [(r.number, r.published_by) for r in every] == [(3, "người 3"), (2, "người 2"), (1, "người 1")]
    assert [r.number for r in latest] == [3, 2]


async def test_the_files_of_a_revision_are_exactly_the_files_published(store: Store) -> None:
    bundle = {**THIRD, "lexicon.yaml": "", "leads.yaml": "consent:\n  text: |-\n    Đồng ý?\r\n    Có\n"}
    async with store.open() as database:
        await publish(database, FIRST)
        await publish(database, bundle)
        async with database.transaction() as connection:
            first = await knowledge_revisions.files_of(connection, 1)
            second = await knowledge_revisions.files_of(connection, 2)
    assert first == FIRST
    assert second == bundle


async def test_a_text_shared_by_two_revisions_is_stored_once(store: Store) -> None:
    async with store.open() as database:
        await publish(database, FIRST)
        assert await blob_count(database) == len(FIRST)
        await publish(database, SECOND)  # one file changed
        assert await blob_count(database) == len(FIRST) + 1
        await publish(database, FIRST)  # a rollback: no new text at all
        assert await blob_count(database) == len(FIRST) + 1
        async with database.transaction() as connection:
            assert await knowledge_revisions.files_of(connection, 3) == FIRST


async def test_two_files_with_the_same_text_in_one_revision_store_it_once(store: Store) -> None:
    bundle = {**FIRST, "faq/copy.yaml": FIRST["faq/tn.yaml"]}
    async with store.open() as database:
        await publish(database, bundle)
        assert await blob_count(database) == len(FIRST)
        async with database.transaction() as connection:
            assert await knowledge_revisions.files_of(connection, 1) == bundle


async def test_the_first_revision_is_published_only_on_a_database_without_one(store: Store) -> None:
    seed = NewRevision("knowledge/", "lần đầu")
    async with store.open() as database:
        async with database.transaction() as connection:
            first = await knowledge_revisions.publish_first(connection, FIRST, seed, NOW)
        async with database.transaction() as connection:
            again = await knowledge_revisions.publish_first(connection, SECOND, seed, NOW)
        await publish(database, SECOND)
        async with database.transaction() as connection:
            after_publish = await knowledge_revisions.publish_first(connection, THIRD, seed, NOW)
            live = await knowledge_revisions.live_number(connection)
            files = await knowledge_revisions.files_of(connection, 1)
    assert (first, again, after_publish) == (1, None, None)
    assert live == 2
    assert files == FIRST


async def test_two_processes_seeding_together_publish_the_first_revision_once(store: Store) -> None:
    seed = NewRevision("knowledge/", "lần đầu")

    async def seed_from(database: Database) -> int | None:
        async with database.transaction() as connection:
            return await knowledge_revisions.publish_first(connection, FIRST, seed, NOW)

    async with store.open() as one, store.open() as other:
        results = await asyncio.gather(seed_from(one), seed_from(other))
        async with one.transaction() as connection:
            every = await knowledge_revisions.history(connection)
    assert sorted(results, key=str) == [1, None]
    assert [r.number for r in every] == [1]


async def test_a_revision_that_was_never_published_is_not_found(store: Store) -> None:
    async with store.open() as database:
        await publish(database, FIRST)
        async with database.transaction() as connection:
            with pytest.raises(RevisionNotFound):
                await knowledge_revisions.revision(connection, 2)
            with pytest.raises(RevisionNotFound):
                await knowledge_revisions.files_of(connection, 7)


async def test_a_publish_rolled_back_leaves_no_revision(store: Store) -> None:
    async with store.open() as database:
        with pytest.raises(RuntimeError):
            async with database.transaction() as connection:
                await knowledge_revisions.publish(connection, FIRST, BY_LAN, NOW)
                raise RuntimeError("the caller's transaction failed")
        async with database.transaction() as connection:
            assert await knowledge_revisions.live_number(connection) is None


postgresql_only = pytest.mark.parametrize("database_kind", [POSTGRESQL], indirect=True)


@postgresql_only
async def test_on_postgresql_listeners_hear_the_new_number_when_the_publishing_transaction_commits(
    store: Store,
) -> None:
    heard: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    listener = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await listener.add_listener(CHANNEL, lambda _, pid, __, payload: heard.put_nowait((pid, payload)))
        async with store.open() as database:
            async with database.transaction() as connection:
                publisher = await connection.scalar(text("SELECT pg_backend_pid()"))
                await knowledge_revisions.publish(connection, FIRST, BY_LAN, NOW)
                await listener.fetchval("SELECT 1")  # a round trip: a notification sent now would have arrived
                assert heard.empty(), "nothing is heard before the transaction commits"
            async with database.transaction() as connection:
                second_publisher = await connection.scalar(text("SELECT pg_backend_pid()"))
                await knowledge_revisions.publish(connection, SECOND, BY_LAN, NOW)
        ours: list[str] = []
        while len(ours) < 2:  # other test runs on this server may publish too: only our sessions' count
            pid, payload = await asyncio.wait_for(heard.get(), timeout=30)
            if pid in (publisher, second_publisher):
                ours.append(payload)
    finally:
        await listener.close()
    assert ours == ["1", "2"]


@postgresql_only
async def test_on_postgresql_a_follower_is_told_of_every_publish(store: Store) -> None:
    told = asyncio.Event()
    async with store.open() as database, store.open() as publisher:
        async with knowledge_revisions.notifications(database, told.set) as listening:
            assert listening
            await publish(publisher, FIRST)
            await asyncio.wait_for(told.wait(), timeout=30)
        async with database.transaction() as connection:
            assert await knowledge_revisions.live_number(connection) == 1


@pytest.mark.parametrize("database_kind", [SQLITE], indirect=True)
async def test_on_sqlite_there_are_no_notifications_to_listen_to(store: Store) -> None:
    calls: list[None] = []
    async with (
        store.open() as database,
        knowledge_revisions.notifications(database, lambda: calls.append(None)) as listening,
    ):
        assert not listening
        await publish(database, FIRST)
    assert calls == []
