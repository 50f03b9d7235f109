"""Leads on SQLite and PostgreSQL: routing, the outbox row written with the lead, transitions with history,
who may act, withdrawal, retention purge, escalation, export and statistics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.leads.interest import SignalKind
from bot.core.leads.records import CLI, Actor, LeadAction, LeadStatus, TransitionError
from bot.storage import agents, leads, outbox, signals
from bot.storage.agents import AgentExists
from bot.storage.leads import NotAllowed
from tests.databases import Store
from tests.lead_factories import CONTEXT, NAME, NOW, OFFICE_CHAT, PHONE, migrated, new_lead
from tests.storage_queries import pending_outbox_rows, signals_of

T = TypeVar("T")
DUE = NOW + timedelta(days=2)


async def run(store: Store, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """`work` in one transaction on a migrated database."""
    async with migrated(store) as database, database.transaction() as connection:
        return await work(connection)


async def two_agents(connection: AsyncConnection) -> tuple[agents.Agent, agents.Agent]:
    first = await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
    second = await agents.add(connection, 222, "Đại lý B", "qn-tien-yen", NOW)
    return first, second


def as_agent(agent: agents.Agent) -> Actor:
    return Actor(f"agent:{agent.chat_id}", agent_id=agent.id)


async def test_a_new_lead_goes_to_the_agent_of_its_area_with_its_notification_in_the_outbox(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        agent = await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
        created = await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, Actor("citizen"))
        return agent, created, await outbox.rows(connection), await leads.history(connection, created.lead.id)

    agent, created, rows, history = await run(store, work)
    assert created.agent == agent and created.notified_chat_id == 111
    assert created.lead.status == LeadStatus.NEW
    assert created.lead.phone_e164 == PHONE and created.lead.due_at == DUE
    [row] = rows
    assert row.chat_id == 111 and row.lead_id == created.lead.id and row.sent_at is None
    assert NAME in row.payload["text"] and "0912 345 678" in row.payload["text"]
    assert row.payload["buttons"][0][0] == "Nhận"
    assert [(h.from_status, h.to_status, h.actor) for h in history] == [(None, LeadStatus.NEW, "citizen")]


async def test_leads_are_shared_fewest_open_first(store: Store) -> None:
    async def work(connection: AsyncConnection) -> list[int | None]:
        first, second = await two_agents(connection)
        owners = []
        for _ in range(4):
            created = await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, Actor("citizen"))
            owners.append(created.lead.agent_id)
        return [owners.count(first.id), owners.count(second.id)]

    assert await run(store, work) == [2, 2]


async def test_a_lead_from_an_area_without_agent_goes_to_the_office_queue(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        created = await leads.create(connection, new_lead(area_code="qn-van-don"), CONTEXT, NOW, DUE, CLI)
        return created, await outbox.rows(connection)

    created, [row] = await run(store, work)
    assert created.agent is None and created.lead.agent_id is None
    assert row.chat_id == OFFICE_CHAT
    assert "Chưa có đại lý" in row.payload["text"]


async def test_a_lead_that_fails_to_store_leaves_no_notification(store: Store) -> None:
    async with migrated(store) as database:
        with pytest.raises(RuntimeError):
            async with database.transaction() as connection:
                await leads.create(connection, new_lead(area_code="qn-van-don"), CONTEXT, NOW, DUE, CLI)
                raise RuntimeError("crash before commit")
        async with database.transaction() as connection:
            result = await pending_outbox_rows(connection)
    assert result == 0


async def test_each_status_change_is_kept_and_the_first_contact_is_stamped(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        agent = await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
        lead = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, Actor("citizen"))).lead
        claimed = await leads.act(connection, lead.id, LeadAction.CLAIM, as_agent(agent), NOW + timedelta(hours=1))
        called = await leads.act(
            connection, lead.id, LeadAction.CALLBACK, as_agent(agent), NOW + timedelta(hours=2), "gọi lại thứ 6"
        )
        return claimed, called, await leads.history(connection, lead.id)

    claimed, called, history = await run(store, work)
    assert claimed.status == LeadStatus.CLAIMED and claimed.first_contact_at is None
    assert called.status == LeadStatus.CALLBACK and called.first_contact_at == NOW + timedelta(hours=2)
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, LeadStatus.NEW),
        (LeadStatus.NEW, LeadStatus.CLAIMED),
        (LeadStatus.CLAIMED, LeadStatus.CALLBACK),
    ]
    assert history[-1].note == "gọi lại thứ 6" and history[-1].actor == "agent:111"


async def test_an_agent_cannot_act_on_another_agents_lead_but_staff_can(store: Store) -> None:
    async def work(connection: AsyncConnection) -> LeadStatus:
        first, second = await two_agents(connection)
        lead = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, Actor("citizen"))).lead
        other = second if lead.agent_id == first.id else first
        with pytest.raises(NotAllowed):
            await leads.act(connection, lead.id, LeadAction.CLAIM, as_agent(other), NOW)
        assert await leads.open_leads(connection, as_agent(other)) == []
        staff = Actor("staff:9", staff=True)
        return (await leads.act(connection, lead.id, LeadAction.ENROLLED, staff, NOW)).status

    assert await run(store, work) == LeadStatus.ENROLLED


async def test_an_action_not_allowed_in_the_status_changes_nothing(store: Store) -> None:
    async def work(connection: AsyncConnection) -> int:
        lead = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)).lead
        await leads.act(connection, lead.id, LeadAction.DECLINED, CLI, NOW)
        with pytest.raises(TransitionError):
            await leads.act(connection, lead.id, LeadAction.CALLED, CLI, NOW)
        return len(await leads.history(connection, lead.id))

    assert await run(store, work) == 2


async def test_a_transferred_lead_is_new_for_its_new_agent_who_is_notified(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        first = await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
        lead = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)).lead
        await leads.act(connection, lead.id, LeadAction.CLAIM, as_agent(first), NOW)
        second = await agents.add(connection, 333, "Đại lý C", "qn-hong-gai", NOW)
        moved = await leads.transfer(connection, lead.id, as_agent(first), CONTEXT, NOW, second)
        return second, moved, await outbox.rows(connection)

    second, moved, rows = await run(store, work)
    assert moved.agent_id == second.id and moved.status == LeadStatus.NEW
    assert [row.chat_id for row in rows] == [111, 333]


async def test_open_leads_are_the_agents_own_or_all_for_staff(store: Store) -> None:
    async def work(connection: AsyncConnection) -> tuple[int, int, int]:
        first, _ = await two_agents(connection)
        for _ in range(3):
            await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)
        closed = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)).lead
        await leads.act(connection, closed.id, LeadAction.DECLINED, CLI, NOW)
        mine = await leads.open_leads(connection, as_agent(first))
        return (
            len(mine),
            len(await leads.open_leads(connection, CLI)),
            len(await leads.open_leads(connection, Actor("x"))),
        )

    mine, everyone, nobody = await run(store, work)
    assert mine in (1, 2) and everyone == 3 and nobody == 0


async def test_withdrawal_erases_personal_data_keeps_the_count_and_tells_the_agent(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
        lead = (await leads.create(connection, new_lead("telegram:777"), CONTEXT, NOW, DUE, CLI)).lead
        await leads.act(connection, lead.id, LeadAction.CALLBACK, CLI, NOW, f"gọi {NAME} lúc 9h")
        await signals.record(connection, "telegram:777", SignalKind.FINISHED_CALCULATOR, "calc.tn", NOW)
        withdrawn = await leads.withdraw(connection, "telegram:777", CONTEXT, NOW + timedelta(hours=1))
        return (
            withdrawn,
            await leads.get(connection, lead.id),
            await leads.history(connection, lead.id),
            await outbox.rows(connection),
            await signals_of(connection, "telegram:777"),
            await leads.stats(connection),
        )

    withdrawn, lead, history, rows, left, stats = await run(store, work)
    assert withdrawn == [lead.id]
    assert lead.status == LeadStatus.WITHDRAWN and lead.anonymised_at is not None
    assert (lead.name, lead.phone_e164, lead.session_key, lead.call_time, lead.calculator) == (None,) * 5
    assert all(entry.note is None for entry in history)
    assert history[-1].to_status == LeadStatus.WITHDRAWN and history[-1].actor == "citizen"
    everything = repr(rows)
    assert NAME not in everything and PHONE not in everything and "0912 345 678" not in everything
    assert "rút lại đồng ý" in rows[-1].payload["text"] and rows[-1].chat_id == 111
    assert left == []
    assert stats.total == 1


async def test_purge_erases_leads_older_than_the_retention_period_only(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        old = (await leads.create(connection, new_lead(), CONTEXT, NOW - timedelta(days=200), DUE, CLI)).lead
        recent = (await leads.create(connection, new_lead(), CONTEXT, NOW - timedelta(days=10), DUE, CLI)).lead
        await signals.record(connection, "telegram:1", SignalKind.ASKED_CONTRIBUTION, None, NOW - timedelta(days=200))
        report = await leads.purge(connection, NOW - timedelta(days=180), NOW)
        again = await leads.purge(connection, NOW - timedelta(days=180), NOW)
        return report, again, await leads.get(connection, old.id), await leads.get(connection, recent.id)

    report, again, old, recent = await run(store, work)
    assert (report.leads, report.signals) == (1, 1)
    assert again.leads == 0
    assert old.phone_e164 is None and old.name is None and old.status == LeadStatus.NEW
    assert recent.phone_e164 == PHONE


async def test_an_overdue_lead_reminds_the_agent_and_tells_the_office_once(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
        late = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)).lead
        contacted = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)).lead
        await leads.act(connection, contacted.id, LeadAction.CALLED, CLI, NOW)
        before = await leads.escalate_overdue(connection, CONTEXT, DUE - timedelta(minutes=1))
        at_due = await leads.escalate_overdue(connection, CONTEXT, DUE)
        later = await leads.escalate_overdue(connection, CONTEXT, DUE + timedelta(hours=5))
        return late, before, at_due, later, await outbox.rows(connection)

    late, before, at_due, later, rows = await run(store, work)
    assert (before, at_due, later) == ([], [late.id], [])
    assert [(row.kind, row.chat_id) for row in rows if row.lead_id == late.id] == [
        ("lead-new", 111),
        ("lead-reminder", 111),
        ("lead-escalation", OFFICE_CHAT),
    ]


async def test_export_lists_leads_since_a_day_with_their_agent_and_stats_give_the_median_first_contact(
    store: Store,
) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
        for hours in (1, 3, 8):
            lead = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)).lead
            await leads.act(connection, lead.id, LeadAction.CALLED, CLI, NOW + timedelta(hours=hours))
        await leads.create(connection, new_lead(area_code="qn-hong-gai"), CONTEXT, NOW, DUE, CLI)
        await leads.create(connection, new_lead(), CONTEXT, NOW - timedelta(days=30), DUE, CLI)
        return (
            await leads.export(connection, NOW - timedelta(days=1)),
            await leads.export(connection, NOW - timedelta(days=1), "qn-hong-gai"),
            await leads.stats(connection),
        )

    rows, in_area, stats = await run(store, work)
    assert len(rows) == 4 and rows[0].agent_name == "Đại lý A"
    assert [row.lead.area_code for row in in_area] == ["qn-hong-gai"] and in_area[0].agent_name is None
    assert stats.by_area_status == {
        ("qn-tien-yen", LeadStatus.CALLED): 3,
        ("qn-tien-yen", LeadStatus.NEW): 1,
        ("qn-hong-gai", LeadStatus.NEW): 1,
    }
    assert stats.median_first_contact == timedelta(hours=3) and stats.contacted == 3


async def test_an_agent_is_added_once_removed_and_their_open_leads_go_to_the_office_queue(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        agent = await agents.add(connection, 111, "Đại lý A", "qn-tien-yen", NOW)
        with pytest.raises(AgentExists):
            await agents.add(connection, 111, "Đại lý A", "qn-hong-gai", NOW)
        lead = (await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CLI)).lead
        removed = await agents.deactivate(connection, 111)
        moved = await leads.release_agent(connection, agent.id, CONTEXT, NOW)
        after = await leads.get(connection, lead.id)
        back = await agents.add(connection, 111, "Đại lý A", "qn-hong-gai", NOW)
        return removed, moved, after, back, await agents.loads(connection, include_removed=True)

    removed, moved, after, back, loads = await run(store, work)
    assert removed is not None and moved == [after.id] and after.agent_id is None
    assert back.active and back.area_code == "qn-hong-gai"
    assert [(load.agent.chat_id, load.open_leads) for load in loads] == [(111, 0)]


async def test_signals_are_kept_per_chat_without_personal_data(store: Store) -> None:
    async def work(connection: AsyncConnection):  # type: ignore[no-untyped-def]
        await signals.record(connection, "telegram:1", SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong", NOW)
        await signals.record(connection, "telegram:1", SignalKind.OFFERED, None, NOW + timedelta(minutes=1))
        await signals.record(connection, "telegram:2", SignalKind.FINISHED_CALCULATOR, "calc.tn", NOW)
        return await signals_of(connection, "telegram:1")

    found = await run(store, work)
    assert [(s.kind, s.topic) for s in found] == [
        (SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong"),
        (SignalKind.OFFERED, None),
    ]
    assert found[0].at == NOW
