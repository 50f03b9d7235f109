"""The service shell on a real database (SQLite file and PostgreSQL): sessions persist across restarts,
an update is answered once, two processes never interleave a chat's state, and a database that is away
becomes StorageUnavailable after a few attempts rather than a driver error."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.knowledge import KnowledgeBase
from bot.core.leads.consent import ConsentChannel
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind, Outcome, Session
from bot.shell.live_knowledge import Knowledge
from bot.shell.service import Service as ServiceShell
from bot.shell.service import consent_channel
from bot.shell.transactions import Retry, StorageUnavailable
from bot.storage import interactions, sessions
from bot.storage.db import Database
from bot.storage.migrations import migrate
from bot.storage.tables import chat_sessions, processed_updates
from bot.storage.tables import interactions as interactions_table
from tests.databases import FAST_TIMEOUT_MS, Store, write_lock
from tests.factories import TODAY, build_kb, entry, faq_file
from tests.lead_factories import NOW

CHAT = "telegram:987654321"
QUESTION = "mất thẻ bảo hiểm y tế"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return build_kb(
        faq_file(
            "bhyt",
            [
                entry("bhyt.mat-the", ["làm mất thẻ bảo hiểm y tế thì làm sao", "mất thẻ bhyt"]),
                entry("bhyt.muc-dong", ["mức đóng bảo hiểm y tế hộ gia đình", "bhyt hộ gia đình bao nhiêu tiền"]),
            ],
        ),
        menu=[{"label": "BHYT", "subject": "bhyt"}],
    )


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


class Pauses:
    """Stands in for asyncio.sleep: records each pause and can run something during it."""

    def __init__(self, during_first_pause: object = None) -> None:
        self.taken: list[float] = []
        self._during_first_pause = during_first_pause

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)
        if len(self.taken) == 1 and self._during_first_pause is not None:
            await self._during_first_pause()  # type: ignore[operator]


def text(chat: str = CHAT, message: str = QUESTION) -> Inbound:
    return Inbound(chat, InboundKind.TEXT, text=message)


def make_service(
    database: Database, kb: KnowledgeBase, matcher: Matcher, *, channel: str = "telegram", **options: object
) -> ServiceShell:
    return ServiceShell(database, Knowledge(kb, matcher), lambda: TODAY, channel, now=lambda: NOW, **options)  # type: ignore[arg-type]


async def stored_session(store: Store, chat: str = CHAT) -> Session | None:
    async with store.open() as database, database.transaction() as connection:
        return await sessions.load(connection, chat)


async def row_counts(store: Store) -> dict[str, int]:
    async with store.open() as database, database.transaction() as connection:
        return {
            table.name: await connection.scalar(select(func.count()).select_from(table))
            for table in (chat_sessions, processed_updates, interactions_table)
        }


async def migrated(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)


# -- sessions ----------------------------------------------------------------------------------


async def test_a_conversation_continues_after_a_restart(store: Store, kb: KnowledgeBase, matcher: Matcher) -> None:
    await migrated(store)
    async with store.open() as database:
        await make_service(database, kb, matcher).handle(text(), update_id=1)
    async with store.open() as restarted:  # a new process: nothing kept in memory
        outcome = await make_service(restarted, kb, matcher).handle(Inbound(CHAT, InboundKind.MENU), update_id=2)
    assert outcome is not None
    assert outcome.session == Session(
        CHAT, last_entry="bhyt.mat-the", turns=2, last_entry_turn=1, greeted=True, seen_at=NOW
    )


async def test_the_outcome_is_the_engines_answer_and_its_session_is_stored(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as database:
        outcome = await make_service(database, kb, matcher).handle(text(), update_id=1)
    stored = await stored_session(store)
    assert outcome is not None
    assert outcome.replies[0].text.startswith("Câu trả lời ngắn của bhyt.mat-the.")
    assert (
        stored == outcome.session == Session(CHAT, last_entry="bhyt.mat-the", turns=1, last_entry_turn=1, seen_at=NOW)
    )


# -- exactly once --------------------------------------------------------------------------------


async def test_a_duplicate_update_gets_no_outcome_and_writes_nothing(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as database:
        service = make_service(database, kb, matcher)
        first = await service.handle(text(), update_id=555)
        counts_after_first = await row_counts(store)
        second = await service.handle(text(), update_id=555)
    counts_after_second, stored = await row_counts(store), await stored_session(store)
    assert first is not None
    assert second is None
    assert counts_after_second == counts_after_first == {"chat_sessions": 1, "processed_updates": 1, "interactions": 1}
    assert stored is not None and stored.turns == 1


async def test_what_a_channel_keeps_with_a_message_commits_or_rolls_back_with_it(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    kept: list[Outcome] = []

    async def failing(connection: AsyncConnection, outcome: Outcome) -> None:
        raise RuntimeError("the channel's own write failed")

    async def keeping(connection: AsyncConnection, outcome: Outcome) -> None:
        kept.append(outcome)

    async with store.open() as database:
        service = make_service(database, kb, matcher)
        with pytest.raises(RuntimeError):
            await service.handle(text(), update_id=777, keep=failing)
        counts_after_failure = await row_counts(store)
        answered = await service.handle(text(), update_id=777, keep=keeping)
    assert counts_after_failure == {"chat_sessions": 0, "processed_updates": 0, "interactions": 0}
    assert answered is not None and kept == [answered]  # the update was not recorded: handled again, kept once


async def test_the_same_update_delivered_to_two_processes_at_once_is_answered_once(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as one, store.open() as two:
        outcomes = list(
            await asyncio.gather(
                make_service(one, kb, matcher).handle(text(), update_id=77),
                make_service(two, kb, matcher).handle(text(), update_id=77),
            )
        )
    assert sum(outcome is not None for outcome in outcomes) == 1
    assert (await row_counts(store))["interactions"] == 1


async def test_update_ids_are_counted_per_channel(store: Store, kb: KnowledgeBase, matcher: Matcher) -> None:
    await migrated(store)
    async with store.open() as database:
        telegram = make_service(database, kb, matcher, channel="telegram")
        zalo = make_service(database, kb, matcher, channel="zalo")
        outcomes = [await telegram.handle(text(), 9), await zalo.handle(text("zalo:1"), 9)]
    assert all(outcome is not None for outcome in outcomes)


async def test_messages_without_an_update_id_are_each_handled(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as database:
        console = make_service(database, kb, matcher, channel="console")
        outcomes = [await console.handle(text("console")) for _ in range(3)]
    stored = await stored_session(store, "console")
    assert all(outcome is not None for outcome in outcomes)
    assert stored is not None and stored.turns == 3
    assert (await row_counts(store))["processed_updates"] == 0


# -- the interaction log ---------------------------------------------------------------------------


async def test_the_interaction_log_holds_the_channel_and_never_the_chat(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as database:
        await make_service(database, kb, matcher).handle(text(message="mất thẻ bhyt, sđt 0912345678"), 1)
        async with database.transaction() as connection:
            [row] = [tuple(row) for row in await connection.execute(select(interactions_table))]
    values = " ".join(str(value) for value in row)
    assert "987654321" not in values  # the chat id
    assert "0912345678" not in values  # a phone number typed in the question
    assert "telegram" in values


async def test_each_decision_is_logged_with_its_scores(store: Store, kb: KnowledgeBase, matcher: Matcher) -> None:
    await migrated(store)
    async with store.open() as database:
        service = make_service(database, kb, matcher)
        await service.handle(Inbound(CHAT, InboundKind.START), 1)
        await service.handle(text(), 2)
        async with database.transaction() as connection:
            answered, menu = await interactions.recent(connection)
    assert (menu.decision, menu.matched_id, menu.top) == ("menu", None, ())
    assert (answered.decision, answered.matched_id) == ("answer", "bhyt.mat-the")
    assert answered.normalised == matcher.match(QUESTION).normalised == "mat the bao hiem y te"
    assert answered.top[0].id == "bhyt.mat-the"


# -- two processes, one chat --------------------------------------------------------------------


async def test_two_processes_handling_one_chat_at_once_lose_no_update(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as one, store.open() as two:
        first, second = make_service(one, kb, matcher), make_service(two, kb, matcher)
        await first.handle(Inbound(CHAT, InboundKind.START), update_id=1)  # the chat's row exists
        await second.handle(Inbound("telegram:1", InboundKind.START), update_id=2)  # both are connected
        await asyncio.gather(first.handle(text(), update_id=3), second.handle(text(), update_id=4))
    stored = await stored_session(store)
    assert stored is not None and stored.turns == 3  # /start and both questions


async def test_two_processes_starting_a_new_chat_at_once_lose_no_update(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as one, store.open() as two:
        first, second = make_service(one, kb, matcher), make_service(two, kb, matcher)
        await asyncio.gather(first.handle(text(), update_id=1), second.handle(text(), update_id=2))
    stored = await stored_session(store)
    assert stored is not None and stored.turns == 2


async def test_many_messages_of_one_chat_across_two_processes_are_all_counted(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with store.open() as one, store.open() as two:
        services = [make_service(one, kb, matcher), make_service(two, kb, matcher)]
        await asyncio.gather(*(services[n % 2].handle(text(), update_id=n) for n in range(12)))
    stored, counts = await stored_session(store), await row_counts(store)
    assert stored is not None and stored.turns == 12
    assert counts == {"chat_sessions": 1, "processed_updates": 12, "interactions": 12}


# -- the database away ------------------------------------------------------------------------------


async def test_an_unreachable_database_raises_storage_unavailable_after_retries(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    pauses = Pauses()
    with pytest.raises(StorageUnavailable, match="after 4 attempts"):
        async with store.unreachable() as database:
            await make_service(database, kb, matcher, retry=Retry(attempts=4, sleep=pauses)).handle(text(), 1)
    assert pauses.taken == [0.05, 0.1, 0.2]


async def test_a_database_locked_by_another_process_raises_storage_unavailable_after_retries(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    pauses = Pauses()
    await migrated(store)
    with pytest.raises(StorageUnavailable, match="after 3 attempts"):
        async with write_lock(store), store.open(busy_timeout_ms=FAST_TIMEOUT_MS) as database:
            await make_service(database, kb, matcher, retry=Retry(attempts=3, sleep=pauses)).handle(text(), 1)
    assert len(pauses.taken) == 2
    assert await row_counts(store) == {"chat_sessions": 0, "processed_updates": 0, "interactions": 0}


async def test_a_lock_released_between_attempts_lets_the_message_through(
    store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    await migrated(store)
    async with write_lock(store) as lock, store.open(busy_timeout_ms=FAST_TIMEOUT_MS) as database:
        pauses = Pauses(during_first_pause=lock.release)
        outcome = await make_service(database, kb, matcher, retry=Retry(sleep=pauses)).handle(text(), 1)
    assert outcome is not None
    assert pauses.taken == [0.05]
    assert await stored_session(store) == Session(
        CHAT, last_entry="bhyt.mat-the", turns=1, last_entry_turn=1, seen_at=NOW
    )


async def test_a_database_without_its_tables_fails_at_once_without_retrying(
    empty_store: Store, kb: KnowledgeBase, matcher: Matcher
) -> None:
    pauses = Pauses()
    with pytest.raises(StorageUnavailable):
        async with empty_store.open() as database:  # never migrated
            await make_service(database, kb, matcher, retry=Retry(sleep=pauses)).handle(text(), 1)
    assert pauses.taken == []


def test_a_consent_given_on_either_zalo_channel_is_recorded_as_given_on_zalo() -> None:
    assert [consent_channel(name) for name in ("zalo_bot", "zalo_oa", "telegram", "web", "console")] == [
        ConsentChannel.ZALO,
        ConsentChannel.ZALO,
        ConsentChannel.TELEGRAM,
        ConsentChannel.WEB,
        ConsentChannel.CONSOLE,
    ]
