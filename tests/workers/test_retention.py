"""The retention sweeps on SQLite and PostgreSQL: leads past the retention period lose their personal data,
interactions, idle chat sessions and sent outbox rows older than it are deleted, a call-back request abandoned
half-way loses what it collected within minutes, and nothing younger is touched."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update

from bot.core.leads.notifications import Notification
from bot.core.leads.records import CITIZEN
from bot.core.types import Button, FlowState, LogInteraction, Session
from bot.storage import interactions, leads, outbox, sessions
from bot.storage.db import Database
from bot.storage.tables import chat_sessions
from bot.storage.tables import interactions as interactions_table
from bot.storage.tables import outbox as outbox_table
from bot.workers.background import background
from bot.workers.retention import ABANDONED_FLOWS_EVERY_SECONDS, Retention, drop_abandoned_once, sweep_once
from tests.databases import Store
from tests.lead_factories import CONTEXT, NOW, migrated, new_lead

RETENTION = Retention(lead_days=180, flow_idle=timedelta(minutes=30))
HALF_WAY = FlowState("lead", "phone", (("consent", True), ("name", "Nguyễn Văn Bình")), ("consent", "name"), NOW)
CALCULATING = FlowState("household", "months", (("members", 4),), ("members",), NOW)
NOTICE = Notification(111, "Yêu cầu tư vấn mới #1", (Button("Nhận", "lead:1:claim"),))


async def save_session(connection, session: Session, written_at) -> None:  # type: ignore[no-untyped-def]
    await sessions.lock(connection, session.chat, written_at)
    await sessions.save(connection, session, written_at)


async def test_old_leads_lose_their_personal_data_and_young_ones_keep_it(store: Store) -> None:
    async with migrated(store) as database:
        async with database.transaction() as connection:
            old = await leads.create(
                connection, new_lead("telegram:1"), CONTEXT, NOW - timedelta(days=181), None, CITIZEN
            )
            young = await leads.create(
                connection, new_lead("telegram:2"), CONTEXT, NOW - timedelta(days=10), None, CITIZEN
            )
        report = await sweep_once(database, RETENTION, lambda: NOW)
        async with database.transaction() as connection:
            old_lead = await leads.get(connection, old.lead.id)
            young_lead = await leads.get(connection, young.lead.id)
    assert report.leads == 1
    assert (old_lead.name, old_lead.phone_e164) == (None, None) and old_lead.anonymised_at is not None
    assert young_lead.name is not None


async def test_an_abandoned_request_loses_what_it_collected_but_a_calculation_and_a_recent_one_stay(
    store: Store,
) -> None:
    abandoned = Session("telegram:10", flow=HALF_WAY, turns=3)
    recent = Session("telegram:11", flow=replace(HALF_WAY, touched_at=NOW), turns=3)
    calculating = Session("telegram:12", flow=CALCULATING, turns=2)
    async with migrated(store) as database:
        async with database.transaction() as connection:
            await save_session(connection, abandoned, NOW - timedelta(hours=2))
            await save_session(connection, recent, NOW - timedelta(minutes=5))
            await save_session(connection, calculating, NOW - timedelta(hours=2))
        dropped = await drop_abandoned_once(database, RETENTION.flow_idle, lambda: NOW)
        async with database.transaction() as connection:
            stored = {
                chat: await sessions.load(connection, chat) for chat in ("telegram:10", "telegram:11", "telegram:12")
            }
    assert dropped == 1
    assert stored["telegram:10"] == replace(abandoned, flow=None)
    assert stored["telegram:11"] == recent
    assert stored["telegram:12"] == calculating


# -- issue 12: the interaction log, idle chat sessions and sent outbox rows are kept no longer than
# INTERACTION_RETENTION_DAYS; an abandoned call-back request is dropped within minutes -------------------------

QUESTION = LogInteraction("toi la nguyen van binh hoi bhxh tu nguyen", "answer", "tn.muc-dong")


async def logged_at(database: Database, *ages: timedelta) -> None:
    """One interaction per age, created that long before NOW."""
    async with database.transaction() as connection:
        for age in ages:
            await interactions.log(connection, "telegram", QUESTION, NOW - age)


async def interaction_ages(database: Database) -> list[timedelta]:
    async with database.transaction() as connection:
        created = await connection.scalars(select(interactions_table.c.created_at).order_by(interactions_table.c.id))
        return [NOW - moment for moment in created]


async def test_interactions_older_than_the_retention_period_are_deleted_and_younger_ones_kept(store: Store) -> None:
    async with migrated(store) as database:
        await logged_at(database, timedelta(days=400), timedelta(days=91), timedelta(days=89), timedelta(hours=1))
        report = await sweep_once(database, RETENTION, lambda: NOW)
        left = await interaction_ages(database)
    assert RETENTION.interaction_days == 90
    assert report.interactions == 2
    assert left == [timedelta(days=89), timedelta(hours=1)]


async def test_many_old_interactions_are_deleted_in_bounded_batches(store: Store) -> None:
    async with migrated(store) as database:
        await logged_at(database, *(timedelta(days=100 + age) for age in range(7)), timedelta(days=1))
        report = await sweep_once(database, RETENTION, lambda: NOW, chunk=3)
        left = await interaction_ages(database)
    assert report.interactions == 7
    assert left == [timedelta(days=1)]


async def test_the_retention_period_of_interactions_is_a_setting(store: Store) -> None:
    async with migrated(store) as database:
        await logged_at(database, timedelta(days=31), timedelta(days=29))
        report = await sweep_once(database, replace(RETENTION, interaction_days=30), lambda: NOW)
        left = await interaction_ages(database)
    assert (report.interactions, left) == (1, [timedelta(days=29)])


async def test_chat_sessions_idle_longer_than_the_retention_period_are_deleted(store: Store) -> None:
    async with migrated(store) as database:
        async with database.transaction() as connection:
            await save_session(connection, Session("telegram:20", turns=4), NOW - timedelta(days=91))
            await save_session(connection, Session("telegram:21", turns=9), NOW - timedelta(days=89))
            await save_session(connection, Session("telegram:22", flow=HALF_WAY), NOW - timedelta(days=200))
        report = await sweep_once(database, RETENTION, lambda: NOW)
        async with database.transaction() as connection:
            kept = list(await connection.scalars(select(chat_sessions.c.key).order_by(chat_sessions.c.key)))
    assert report.sessions == 2
    assert kept == ["telegram:21"]


async def test_outbox_rows_sent_longer_ago_than_the_retention_period_are_deleted_and_the_others_kept(
    store: Store,
) -> None:
    async with migrated(store) as database:
        async with database.transaction() as connection:
            for key in ("sent-long-ago", "sent-lately", "never-sent"):
                await outbox.enqueue(connection, NOTICE, kind="lead-new", dedupe_key=key, now=NOW - timedelta(days=300))
            await connection.execute(
                update(outbox_table)
                .where(outbox_table.c.dedupe_key == "sent-long-ago")
                .values(sent_at=NOW - timedelta(days=91))
            )
            await connection.execute(
                update(outbox_table)
                .where(outbox_table.c.dedupe_key == "sent-lately")
                .values(sent_at=NOW - timedelta(days=89))
            )
        report = await sweep_once(database, RETENTION, lambda: NOW)
        async with database.transaction() as connection:
            kept = [row.dedupe_key for row in await outbox.rows(connection)]
    assert report.outbox == 1
    assert kept == ["sent-lately", "never-sent"]


async def test_an_abandoned_request_is_dropped_within_the_idle_time_plus_the_sweep_period(store: Store) -> None:
    """The sweep runs every few minutes, not with the hourly retention sweep: a request left at the phone step
    loses the name it collected at most FLOW_IDLE_MINUTES + ABANDONED_FLOWS_EVERY_SECONDS after its last
    message."""
    assert ABANDONED_FLOWS_EVERY_SECONDS <= 5 * 60
    clock = [NOW]
    sweep_period = 0.02  # seconds here, for the test; minutes in the running bot
    abandoned = Session("telegram:30", flow=HALF_WAY, turns=3)
    async with migrated(store) as database:
        async with database.transaction() as connection:
            await save_session(connection, abandoned, NOW)
        async with background(
            database,
            nothing_to_send,
            CONTEXT,
            clock=lambda: clock[0],
            retention=RETENTION,
            abandoned_flows_every_seconds=sweep_period,
        ):
            await asyncio.sleep(sweep_period * 5)
            still_there = await stored_flow(database, abandoned.chat)
            clock[0] = NOW + RETENTION.flow_idle + timedelta(seconds=1)
            for _ in range(250):
                if await stored_flow(database, abandoned.chat) is None:
                    break
                await asyncio.sleep(sweep_period)
            dropped = await stored_flow(database, abandoned.chat) is None
    assert still_there == HALF_WAY
    assert dropped


async def nothing_to_send(chat_id: int, text: str, buttons: tuple[Button, ...]) -> None:
    raise AssertionError("no message is due")


async def stored_flow(database: Database, chat: str) -> FlowState | None:
    async with database.transaction() as connection:
        session = await sessions.load(connection, chat)
    assert session is not None
    return session.flow
