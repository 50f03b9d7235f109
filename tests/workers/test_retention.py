"""The retention sweep on SQLite and PostgreSQL: leads past the retention period lose their personal data, a
call-back request abandoned half-way loses what it collected, and nothing younger is touched."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.core.leads import CITIZEN
from bot.core.types import FlowState, Session
from bot.storage import leads, sessions
from bot.storage.tables import chat_sessions
from bot.storage.times import utc
from bot.workers.retention import Retention, sweep_once
from tests.databases import Store
from tests.lead_factories import CONTEXT, NOW, migrated, new_lead

pytestmark = pytest.mark.anyio

RETENTION = Retention(lead_days=180, flow_idle=timedelta(minutes=30))
HALF_WAY = FlowState("lead", "phone", (("consent", True), ("name", "Nguyễn Văn Bình")), ("consent", "name"), NOW)
CALCULATING = FlowState("household", "months", (("members", 4),), ("members",), NOW)


async def save_session(connection, session: Session, written_at) -> None:  # type: ignore[no-untyped-def]
    await sessions.lock(connection, session.chat)
    await sessions.save(connection, session)
    await connection.execute(
        update(chat_sessions).where(chat_sessions.c.key == session.chat).values(updated_at=utc(written_at))
    )


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
        report = await sweep_once(database, RETENTION, lambda: NOW)
        async with database.transaction() as connection:
            stored = {
                chat: await sessions.load(connection, chat) for chat in ("telegram:10", "telegram:11", "telegram:12")
            }
    assert report.flows == 1
    assert stored["telegram:10"] == replace(abandoned, flow=None)
    assert stored["telegram:11"] == recent
    assert stored["telegram:12"] == calculating
