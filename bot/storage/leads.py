"""Leads: created with their routing and the agent's notification in one transaction, moved through their
statuses with a history row per change, anonymised on request or after the retention period.

Every function runs inside the caller's transaction (`async with database.transaction() as connection`),
so a lead, its history and its outbox row are stored together or not at all. Times are stored in UTC
and come back time-zone aware (bot.storage.tables.UTCDateTime).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.leads.consent import ConsentChannel
from bot.core.leads.messages import (
    erased_notification,
    escalation_notification,
    new_lead_notification,
    reminder_notification,
    withdrawn_notification,
)
from bot.core.leads.notifications import Notification
from bot.core.leads.records import (
    CITIZEN,
    CLI,
    CONTACT_ACTIONS,
    OPEN_STATUSES,
    Actor,
    Interest,
    LeadAction,
    LeadRecord,
    LeadStatus,
    NewLead,
    may_handle,
    next_status,
)
from bot.core.leads.routing import LeadContext
from bot.storage import agents as agent_store
from bot.storage import outbox, signals
from bot.storage.agents import Agent
from bot.storage.tables import agents, lead_history, leads

OPEN = [status.value for status in OPEN_STATUSES]
PERSONAL_FIELDS = (
    "session_key", "name", "phone_e164", "call_time", "call_on", "call_part", "place_typed", "calculator",
)  # fmt: skip


class LeadNotFound(LookupError):
    pass


class NotAllowed(PermissionError):
    """The actor may not see or change this lead."""


class LeadErased(ValueError):
    """The lead's personal data was erased (withdrawn or past retention): nothing personal is added to it."""


@dataclass(frozen=True)
class Created:
    lead: LeadRecord
    agent: Agent | None  # None: the lead went to the office queue
    notified_chat_id: int | None  # None: no agent and no office chat configured


@dataclass(frozen=True)
class HistoryEntry:
    lead_id: int
    actor: str
    at: datetime
    from_status: LeadStatus | None
    to_status: LeadStatus
    note: str | None


@dataclass(frozen=True)
class ExportRow:
    lead: LeadRecord
    agent_name: str | None


@dataclass(frozen=True)
class LeadStats:
    by_area_status: dict[tuple[str, LeadStatus], int]
    median_first_contact: timedelta | None
    contacted: int  # leads with a first contact, the median's sample

    @property
    def total(self) -> int:
        return sum(self.by_area_status.values())


@dataclass(frozen=True)
class PurgeReport:
    leads: int
    signals: int


def _record(row: Row) -> LeadRecord:
    return LeadRecord(
        id=row.id,
        session_key=row.session_key,
        area_code=row.area_code,
        agent_id=row.agent_id,
        status=LeadStatus(row.status),
        name=row.name,
        phone_e164=row.phone_e164,
        interest=Interest(row.interest) if row.interest else None,
        call_time=row.call_time,
        call_on=row.call_on,
        call_part=row.call_part,
        place_typed=row.place_typed,
        calculator=json.loads(row.calculator) if row.calculator else None,
        consent_version=row.consent_version,
        consent_at=row.consent_at,
        consent_channel=ConsentChannel(row.consent_channel),
        consent_oral=row.consent_oral,
        created_at=row.created_at,
        updated_at=row.updated_at,
        first_contact_at=row.first_contact_at,
        due_at=row.due_at,
        escalated_at=row.escalated_at,
        anonymised_at=row.anonymised_at,
    )


async def get(connection: AsyncConnection, lead_id: int, lock: bool = False) -> LeadRecord:
    query = select(leads).where(leads.c.id == lead_id)
    if lock:
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    if row is None:
        raise LeadNotFound(f"không có yêu cầu #{lead_id}")
    return _record(row)


async def _history(
    connection: AsyncConnection,
    lead_id: int,
    actor: Actor,
    at: datetime,
    before: LeadStatus | None,
    after: LeadStatus,
    note: str | None = None,
) -> int:
    inserted = await connection.execute(
        insert(lead_history)
        .values(
            lead_id=lead_id,
            actor=actor.label,
            at=at,
            from_status=before.value if before else None,
            to_status=after.value,
            note=note,
        )
        .returning(lead_history.c.id)
    )
    return int(inserted.scalar_one())


async def _notify(
    connection: AsyncConnection, notification: Notification, kind: str, key: str, lead_id: int, now: datetime
) -> None:
    await outbox.enqueue(connection, notification, kind=kind, dedupe_key=key, now=now, lead_id=lead_id)


async def create(
    connection: AsyncConnection,
    new: NewLead,
    context: LeadContext,
    now: datetime,
    due_at: datetime | None,
    actor: Actor,
    *,
    assign_to: Agent | None = None,
    notify: bool = True,
) -> Created:
    """Store the lead, give it to the area's agent with the fewest open leads (or the office queue), write
    its first history row and the notification to send, all in the caller's transaction.

    `assign_to` gives it to that agent instead (an agent registering a lead met offline, /themlead); with
    `notify` False no notification is written (that agent sees the lead in the answer to their command)."""
    agent = assign_to or await agent_store.pick_for_area(connection, new.area_code)
    inserted = await connection.execute(
        insert(leads)
        .values(
            session_key=new.session_key,
            area_code=new.area_code,
            agent_id=agent.id if agent else None,
            status=LeadStatus.NEW.value,
            name=new.name,
            phone_e164=new.phone_e164,
            interest=new.interest.value,
            call_time=new.call_time or None,
            call_on=new.call_on,
            call_part=new.call_part or None,
            place_typed=new.place_typed or None,
            calculator=json.dumps(new.calculator, ensure_ascii=False) if new.calculator is not None else None,
            consent_version=new.consent.version,
            consent_at=new.consent.at,
            consent_channel=new.consent.channel.value,
            consent_oral=new.consent.oral,
            created_at=now,
            updated_at=now,
            due_at=due_at,
        )
        .returning(leads.c.id)
    )
    lead_id = int(inserted.scalar_one())
    await _history(connection, lead_id, actor, now, None, LeadStatus.NEW, "tạo yêu cầu")
    lead = await get(connection, lead_id)
    chat_id = agent.chat_id if agent else context.office_chat_id
    if chat_id is not None and notify:
        notification = new_lead_notification(
            chat_id, lead, context.area_name(lead.area_code), context.timezone, office_queue=agent is None
        )
        await _notify(connection, notification, "lead-new", f"lead:{lead_id}:new", lead_id, now)
    return Created(lead, agent, chat_id)


async def act(
    connection: AsyncConnection,
    lead_id: int,
    action: LeadAction,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> LeadRecord:
    """Apply an agent's button (not Chuyển: see `transfer`); the lead as it is now.

    LeadNotFound, NotAllowed (not the actor's lead) or bot.core.leads.records.TransitionError (not in this status).
    """
    if action == LeadAction.TRANSFER:
        raise ValueError("use transfer() to hand a lead over")
    lead = await get(connection, lead_id, lock=True)
    if not may_handle(actor, lead):
        raise NotAllowed(f"yêu cầu #{lead_id} không phải của bạn")
    after = next_status(lead.status, action)
    values: dict[str, Any] = {"status": after.value, "updated_at": now}
    if action in CONTACT_ACTIONS and lead.first_contact_at is None:
        values["first_contact_at"] = now
    await connection.execute(update(leads).where(leads.c.id == lead_id).values(**values))
    await _history(connection, lead_id, actor, now, lead.status, after, note)
    return await get(connection, lead_id)


async def add_note(connection: AsyncConnection, lead_id: int, actor: Actor, now: datetime, note: str) -> LeadRecord:
    """A note in the lead's history, its status unchanged (/ghichu). LeadNotFound, NotAllowed, or LeadErased
    (a note may hold personal data)."""
    lead = await get(connection, lead_id, lock=True)
    if not may_handle(actor, lead):
        raise NotAllowed(f"yêu cầu #{lead_id} không phải của bạn")
    if lead.anonymised_at is not None:
        raise LeadErased(f"yêu cầu #{lead_id} đã xóa dữ liệu cá nhân")
    await connection.execute(update(leads).where(leads.c.id == lead_id).values(updated_at=now))
    await _history(connection, lead_id, actor, now, lead.status, lead.status, note)
    return await get(connection, lead_id)


async def transfer(
    connection: AsyncConnection,
    lead_id: int,
    actor: Actor,
    context: LeadContext,
    now: datetime,
    to_agent: Agent | None,
    note: str | None = None,
) -> LeadRecord:
    """Hand an open lead to another agent (None: the office queue); it is new again for them, and they are
    notified through the outbox."""
    lead = await get(connection, lead_id, lock=True)
    if not may_handle(actor, lead):
        raise NotAllowed(f"yêu cầu #{lead_id} không phải của bạn")
    after = next_status(lead.status, LeadAction.TRANSFER)
    new_agent_id = to_agent.id if to_agent else None
    await connection.execute(
        update(leads)
        .where(leads.c.id == lead_id)
        .values(status=after.value, agent_id=new_agent_id, updated_at=now, escalated_at=None)
    )
    target = f"đại lý #{to_agent.id}" if to_agent else "hàng chờ văn phòng"
    history_id = await _history(connection, lead_id, actor, now, lead.status, after, note or f"chuyển cho {target}")
    moved = await get(connection, lead_id)
    chat_id = to_agent.chat_id if to_agent else context.office_chat_id
    if chat_id is not None:
        notification = new_lead_notification(
            chat_id, moved, context.area_name(moved.area_code), context.timezone, office_queue=to_agent is None
        )
        await _notify(connection, notification, "lead-new", f"lead:{lead_id}:transfer:{history_id}", lead_id, now)
    return moved


async def release_agent(connection: AsyncConnection, agent_id: int, context: LeadContext, now: datetime) -> list[int]:
    """Hand a removed agent's open leads to the office queue; their ids."""
    query = select(leads.c.id).where(leads.c.agent_id == agent_id, leads.c.status.in_(OPEN)).order_by(leads.c.id)
    lead_ids = [row.id for row in await connection.execute(query)]
    for lead_id in lead_ids:
        await transfer(connection, lead_id, CLI, context, now, None, "đại lý ngừng nhận")
    return lead_ids


async def open_leads(connection: AsyncConnection, actor: Actor) -> list[LeadRecord]:
    """The open leads the actor may see (/leads): an agent's own, or every one for staff; oldest first."""
    query = select(leads).where(leads.c.status.in_(OPEN)).order_by(leads.c.created_at, leads.c.id)
    if not actor.staff:
        if actor.agent_id is None:
            return []
        query = query.where(leads.c.agent_id == actor.agent_id)
    return [_record(row) for row in await connection.execute(query)]


async def of_session(connection: AsyncConnection, session_key: str) -> list[LeadRecord]:
    """The leads a chat gave that still hold personal data (/dulieu), oldest first."""
    query = (
        select(leads)
        .where(leads.c.session_key == session_key, leads.c.anonymised_at.is_(None))
        .order_by(leads.c.created_at, leads.c.id)
    )
    return [_record(row) for row in await connection.execute(query)]


async def history(connection: AsyncConnection, lead_id: int) -> list[HistoryEntry]:
    query = select(lead_history).where(lead_history.c.lead_id == lead_id).order_by(lead_history.c.id)
    return [
        HistoryEntry(
            row.lead_id,
            row.actor,
            row.at,
            LeadStatus(row.from_status) if row.from_status else None,
            LeadStatus(row.to_status),
            row.note,
        )
        for row in await connection.execute(query)
    ]


async def _anonymise(connection: AsyncConnection, lead_id: int, now: datetime) -> None:
    await connection.execute(
        update(leads)
        .where(leads.c.id == lead_id)
        .values(**dict.fromkeys(PERSONAL_FIELDS), anonymised_at=now, updated_at=now)
    )
    await connection.execute(update(lead_history).where(lead_history.c.lead_id == lead_id).values(note=None))
    await outbox.scrub_lead(connection, lead_id)


async def withdraw(connection: AsyncConnection, session_key: str, context: LeadContext, now: datetime) -> list[int]:
    """/xoadulieu: erase the chat's personal data. Its leads stay, anonymised, for the counts (an open one
    becomes withdrawn); the agent (or the office chat) is told; the chat's interest signals are deleted."""
    query = select(leads).where(leads.c.session_key == session_key).order_by(leads.c.id).with_for_update()
    found = [_record(row) for row in await connection.execute(query)]
    for lead in found:
        if lead.open:
            await connection.execute(
                update(leads).where(leads.c.id == lead.id).values(status=LeadStatus.WITHDRAWN.value)
            )
            await _history(connection, lead.id, CITIZEN, now, lead.status, LeadStatus.WITHDRAWN)
        await _anonymise(connection, lead.id, now)
        agent = await agent_store.by_id(connection, lead.agent_id) if lead.agent_id else None
        chat_id = agent.chat_id if agent and agent.active else context.office_chat_id
        if chat_id is not None:
            notification = withdrawn_notification(chat_id, lead.id, context.area_name(lead.area_code))
            await _notify(connection, notification, "lead-withdrawn", f"lead:{lead.id}:withdrawn", lead.id, now)
    await signals.forget_session(connection, session_key)
    return [lead.id for lead in found]


async def oral_leads_registered_since(connection: AsyncConnection, actor: Actor, since: datetime) -> list[datetime]:
    """When the leads this actor registered with oral consent (/themlead) after `since` were created, oldest
    first. An agent's row is locked first (PostgreSQL; SQLite runs one writer at a time anyway), so two
    processes counting the same agent's leads at once take turns."""
    if actor.agent_id is not None:
        await connection.execute(select(agents.c.id).where(agents.c.id == actor.agent_id).with_for_update())
    query = (
        select(leads.c.created_at)
        .join(lead_history, lead_history.c.lead_id == leads.c.id)
        .where(
            leads.c.created_at > since,
            leads.c.consent_oral.is_(True),
            lead_history.c.from_status.is_(None),  # the row that created the lead
            lead_history.c.actor == actor.label,
        )
        .order_by(leads.c.created_at)
    )
    return [row.created_at for row in await connection.execute(query)]


async def oral_leads_taken_in(connection: AsyncConnection, chat_id: int) -> list[int]:
    """The leads registered with oral consent from this chat (/themlead, by the agent or staff using it)
    whose personal data is still kept; oldest first."""
    labels = (f"agent:{chat_id}", f"staff:{chat_id}")
    query = (
        select(leads.c.id)
        .join(lead_history, lead_history.c.lead_id == leads.c.id)
        .where(
            leads.c.consent_oral.is_(True),
            leads.c.anonymised_at.is_(None),
            lead_history.c.from_status.is_(None),  # the row that created the lead
            lead_history.c.actor.in_(labels),
        )
        .order_by(leads.c.id)
    )
    return [row.id for row in await connection.execute(query)]


async def erase(
    connection: AsyncConnection, lead_ids: list[int], actor: Actor, context: LeadContext, now: datetime
) -> list[int]:
    """Staff erase these leads' personal data (`python -m bot leads erase`), as /xoadulieu does: an open one
    is withdrawn, the history keeps who erased it, the agent (or the office chat) is told not to call.
    LeadNotFound for an id that is no lead; the ids erased now (one erased before is left as it is)."""
    erased = []
    for lead_id in lead_ids:
        lead = await get(connection, lead_id, lock=True)
        if lead.anonymised_at is not None:
            continue
        after = LeadStatus.WITHDRAWN if lead.open else lead.status
        await _anonymise(connection, lead.id, now)
        await connection.execute(update(leads).where(leads.c.id == lead.id).values(status=after.value))
        await _history(connection, lead.id, actor, now, lead.status, after, "văn phòng xóa dữ liệu cá nhân")
        agent = await agent_store.by_id(connection, lead.agent_id) if lead.agent_id else None
        chat_id = agent.chat_id if agent and agent.active else context.office_chat_id
        if chat_id is not None:
            notification = erased_notification(chat_id, lead.id, context.area_name(lead.area_code))
            await _notify(connection, notification, "lead-erased", f"lead:{lead.id}:erased", lead.id, now)
        erased.append(lead.id)
    return erased


async def purge(connection: AsyncConnection, cutoff: datetime, now: datetime) -> PurgeReport:
    """Erase the personal data of leads created before `cutoff` (the retention period) and older signals."""
    query = select(leads.c.id).where(leads.c.created_at < cutoff, leads.c.anonymised_at.is_(None)).order_by(leads.c.id)
    lead_ids = [row.id for row in await connection.execute(query)]
    for lead_id in lead_ids:
        await _anonymise(connection, lead_id, now)
    return PurgeReport(len(lead_ids), await signals.forget_before(connection, cutoff))


async def escalate_overdue(connection: AsyncConnection, context: LeadContext, now: datetime) -> list[int]:
    """Leads past their first-contact time with no contact: the agent is reminded and the office chat told,
    once per lead (until it is transferred). Their ids."""
    query = (
        select(leads)
        .where(
            leads.c.status.in_(OPEN),
            leads.c.first_contact_at.is_(None),
            leads.c.escalated_at.is_(None),
            leads.c.due_at <= now,
        )
        .order_by(leads.c.due_at, leads.c.id)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    overdue = [_record(row) for row in await connection.execute(query)]
    for lead in overdue:
        area = context.area_name(lead.area_code)
        agent = await agent_store.by_id(connection, lead.agent_id) if lead.agent_id else None
        stamp = f"{now.astimezone(UTC):%Y%m%d%H%M}"
        if agent is not None and agent.active:
            reminder = reminder_notification(agent.chat_id, lead, area, context.timezone)
            await _notify(connection, reminder, "lead-reminder", f"lead:{lead.id}:reminder:{stamp}", lead.id, now)
        if context.office_chat_id is not None:
            name = agent.name if agent else None
            escalation = escalation_notification(context.office_chat_id, lead, area, name, context.timezone)
            await _notify(connection, escalation, "lead-escalation", f"lead:{lead.id}:escalation:{stamp}", lead.id, now)
        await connection.execute(update(leads).where(leads.c.id == lead.id).values(escalated_at=now))
    return [lead.id for lead in overdue]


async def export(
    connection: AsyncConnection, since: datetime, area_code: str | None = None, until: datetime | None = None
) -> list[ExportRow]:
    """Leads created from `since` (and before `until`, when given), oldest first, with their agent's name."""
    query = (
        select(leads, agents.c.name.label("agent_name"))
        .outerjoin(agents, agents.c.id == leads.c.agent_id)
        .where(leads.c.created_at >= since)
        .order_by(leads.c.created_at, leads.c.id)
    )
    if until is not None:
        query = query.where(leads.c.created_at < until)
    if area_code is not None:
        query = query.where(leads.c.area_code == area_code)
    return [ExportRow(_record(row), row.agent_name) for row in await connection.execute(query)]


async def stats(connection: AsyncConnection) -> LeadStats:
    """Leads by area and status, and the median time from a lead's creation to its first contact."""
    counts = await connection.execute(
        select(leads.c.area_code, leads.c.status, func.count(leads.c.id)).group_by(leads.c.area_code, leads.c.status)
    )
    by_area_status = {(row[0], LeadStatus(row[1])): int(row[2]) for row in counts}
    contacted = await connection.execute(
        select(leads.c.created_at, leads.c.first_contact_at).where(leads.c.first_contact_at.is_not(None))
    )
    waits = [(row.first_contact_at - row.created_at).total_seconds() for row in contacted]
    median = timedelta(seconds=statistics.median(waits)) if waits else None
    return LeadStats(by_area_status, median, len(waits))
