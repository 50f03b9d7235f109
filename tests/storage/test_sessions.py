"""Chat sessions: Session <-> JSON, one row per chat, kept across Database objects (a restart)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.core.types import FlowState, Session
from bot.storage import sessions
from bot.storage.migrations import migrate
from tests.databases import Store
from tests.factories import PHONE_KEYBOARD
from tests.lead_factories import NOW

ENTRY_ID = st.text(PHONE_KEYBOARD, max_size=40)


@given(
    chat=st.text(PHONE_KEYBOARD, min_size=1, max_size=40),
    last_entry=st.none() | ENTRY_ID,
    offered=st.lists(ENTRY_ID, max_size=3).map(tuple),
    turns=st.integers(0, 2**31 - 1),
)
def test_a_session_comes_back_from_json_unchanged(
    chat: str, last_entry: str | None, offered: tuple[str, ...], turns: int
) -> None:
    session = Session(chat, last_entry, offered, turns)
    assert sessions.from_json(chat, sessions.to_json(session)) == session


def test_the_json_holds_the_state_but_not_the_chat_key() -> None:
    state = json.loads(sessions.to_json(Session("telegram:123456", "bhyt.mat-the", ("a", "b"), 3)))
    assert {key: state[key] for key in ("last_entry", "offered", "turns")} == {
        "last_entry": "bhyt.mat-the",
        "offered": ["a", "b"],
        "turns": 3,
    }
    assert "telegram:123456" not in json.dumps(state)
    assert set(state) == {field.name for field in dataclasses.fields(Session)} - {"chat", "flow"}  # no flow: no key


def test_state_written_by_another_version_still_loads() -> None:
    newer = '{"turns": 4, "offered": ["a"], "flow": {"name": "calc"}}'  # a field this version does not know
    older = '{"turns": 2}'  # fields added since take their defaults
    assert sessions.from_json("c", newer) == Session("c", offered=("a",), turns=4)
    assert sessions.from_json("c", older) == Session("c", turns=2)


def test_the_form_of_address_the_greeting_and_the_time_last_seen_come_back_from_json() -> None:
    session = Session("c", turns=2, address="bác", greeted=True, seen_at=datetime(2026, 12, 5, 9, 30, tzinfo=UTC))
    assert json.loads(sessions.to_json(session))["seen_at"] == "2026-12-05T09:30:00+00:00"
    assert sessions.from_json("c", sessions.to_json(session)) == session


def test_a_row_written_before_the_conversation_fields_loads_with_their_defaults() -> None:
    loaded = sessions.from_json("c", '{"last_entry": null, "offered": [], "turns": 7}')
    assert (loaded.address, loaded.greeted, loaded.seen_at) == ("", False, None)
    assert sessions.from_json("c", '{"turns": 7, "seen_at": "yesterday"}') == Session("c", turns=7)


async def test_a_chat_seen_for_the_first_time_gets_a_new_session(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            before = await sessions.load(connection, "telegram:1")
            locked = await sessions.lock(connection, "telegram:1", NOW)
    assert (before, locked) == (None, Session("telegram:1"))


async def test_a_saved_session_is_there_for_the_next_process(store: Store) -> None:
    saved = Session("telegram:42", last_entry="tn.muc-dong", offered=("tn.dieu-kien",), turns=7)

    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            await sessions.lock(connection, saved.chat, NOW)
            await sessions.save(connection, saved, NOW)
    async with store.open() as restarted, restarted.transaction() as connection:
        result = await sessions.load(connection, saved.chat)
    assert result == saved


async def test_each_chat_has_its_own_session(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            await sessions.lock(connection, "telegram:1", NOW)
            await sessions.save(connection, Session("telegram:1", turns=3), NOW)
            await sessions.lock(connection, "telegram:2", NOW)
        async with database.transaction() as connection:
            result = await sessions.load(connection, "telegram:1"), await sessions.load(connection, "telegram:2")
    assert result == (Session("telegram:1", turns=3), Session("telegram:2"))


# -- a guided flow in progress ---------------------------------------------------------------------------

FLOW_IN_PROGRESS = FlowState(
    name="pension",
    step="income",
    answers=(("gender", "female"), ("total", 126), ("group", ("poor", "ethnic")), ("birth", "1986-03-12")),
    history=("gender", "total", "group", "birth"),
    touched_at=datetime(2026, 11, 23, 8, 30, tzinfo=UTC),
)


def test_a_session_with_a_flow_in_progress_comes_back_from_json_unchanged() -> None:
    session = Session("telegram:7", last_entry="calc.motlan-huu", turns=5, flow=FLOW_IN_PROGRESS)
    assert sessions.from_json("telegram:7", sessions.to_json(session)) == session


@given(
    answers=st.lists(
        st.tuples(
            st.text(PHONE_KEYBOARD, min_size=1, max_size=12),
            st.text(PHONE_KEYBOARD, max_size=20)
            | st.integers(-(2**40), 2**40)
            | st.booleans()
            | st.lists(st.text(PHONE_KEYBOARD, max_size=8), max_size=3).map(tuple),
        ),
        max_size=6,
        unique_by=lambda pair: pair[0],
    ).map(tuple)
)
def test_any_json_compatible_flow_answers_come_back_unchanged(answers: tuple) -> None:
    session = Session("c", flow=FlowState("voluntary", "income", answers, tuple(key for key, _ in answers)))
    assert sessions.from_json("c", sessions.to_json(session)) == session


def test_a_row_written_before_flows_existed_loads_without_a_flow() -> None:
    assert sessions.from_json("c", '{"last_entry": null, "offered": [], "turns": 2}') == Session("c", turns=2)


def test_a_flow_this_version_cannot_read_is_dropped_and_the_rest_of_the_session_kept() -> None:
    assert sessions.from_json("c", '{"turns": 3, "flow": {"step": "x"}}') == Session("c", turns=3)
    assert sessions.from_json("c", '{"turns": 3, "flow": "voluntary"}') == Session("c", turns=3)


async def test_a_flow_in_progress_is_there_for_the_next_process(store: Store) -> None:
    saved = Session("telegram:43", turns=2, flow=FLOW_IN_PROGRESS)

    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            await sessions.lock(connection, saved.chat, NOW)
            await sessions.save(connection, saved, NOW)
    async with store.open() as restarted, restarted.transaction() as connection:
        result = await sessions.load(connection, saved.chat)
    assert result == saved
