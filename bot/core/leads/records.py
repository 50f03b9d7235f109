"""Leads: a citizen's request for a call-back from the collection agent (đại lý thu) of their area.

A lead moves through statuses as the agent presses buttons under its notification:

    new --Nhận--> claimed --Đã gọi--> called --Đã đăng ký tham gia--> enrolled
      \\            \\                 \\---Hẹn lại--> callback --...
       \\----------- Không tham gia -> declined, Không liên lạc được -> unreachable (from any open status)
    Chuyển hands an open lead to another agent (or the office queue): it is `new` again.
    The citizen's /xoadulieu withdraws any lead: withdrawn, personal data erased.

A lead is only created with the consent it was given under (bot.core.leads.consent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.leads.consent import Consent, ConsentChannel
from bot.core.types import MAX_ACTION_BYTES, Button


class LeadStatus(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    CALLED = "called"
    CALLBACK = "callback"  # hẹn lại
    ENROLLED = "enrolled"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CLAIMED, LeadStatus.CALLED, LeadStatus.CALLBACK})
STATUS_LABELS = {
    LeadStatus.NEW: "Mới",
    LeadStatus.CLAIMED: "Đã nhận",
    LeadStatus.CALLED: "Đã gọi",
    LeadStatus.CALLBACK: "Hẹn gọi lại",
    LeadStatus.ENROLLED: "Đã đăng ký tham gia",
    LeadStatus.DECLINED: "Không tham gia",
    LeadStatus.UNREACHABLE: "Không liên lạc được",
    LeadStatus.WITHDRAWN: "Người dân rút lại đồng ý",
}


class LeadAction(StrEnum):
    """What an agent can do with a lead: one button each. The values go into callback data."""

    CLAIM = "claim"
    CALLED = "called"
    CALLBACK = "callback"
    ENROLLED = "enrolled"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
    TRANSFER = "transfer"


ACTION_LABELS = {
    LeadAction.CLAIM: "Nhận",
    LeadAction.CALLED: "Đã gọi",
    LeadAction.CALLBACK: "Hẹn lại",
    LeadAction.ENROLLED: "Đã đăng ký tham gia",
    LeadAction.DECLINED: "Không tham gia",
    LeadAction.UNREACHABLE: "Không liên lạc được",
    LeadAction.TRANSFER: "Chuyển",
}
ACTION_TARGETS = {
    LeadAction.CLAIM: LeadStatus.CLAIMED,
    LeadAction.CALLED: LeadStatus.CALLED,
    LeadAction.CALLBACK: LeadStatus.CALLBACK,
    LeadAction.ENROLLED: LeadStatus.ENROLLED,
    LeadAction.DECLINED: LeadStatus.DECLINED,
    LeadAction.UNREACHABLE: LeadStatus.UNREACHABLE,
    LeadAction.TRANSFER: LeadStatus.NEW,
}
_OUTCOMES = (LeadAction.ENROLLED, LeadAction.DECLINED, LeadAction.UNREACHABLE, LeadAction.TRANSFER)
ALLOWED_ACTIONS: Mapping[LeadStatus, tuple[LeadAction, ...]] = {
    LeadStatus.NEW: (LeadAction.CLAIM, LeadAction.CALLED, LeadAction.CALLBACK, *_OUTCOMES),
    LeadStatus.CLAIMED: (LeadAction.CALLED, LeadAction.CALLBACK, *_OUTCOMES),
    LeadStatus.CALLED: (LeadAction.CALLBACK, *_OUTCOMES),
    LeadStatus.CALLBACK: (LeadAction.CALLED, LeadAction.CALLBACK, *_OUTCOMES),
}
# An action that means the agent reached, or at least tried to reach, the citizen: it ends the wait
# for first contact (and the escalation clock).
CONTACT_ACTIONS = frozenset(
    {LeadAction.CALLED, LeadAction.CALLBACK, LeadAction.ENROLLED, LeadAction.DECLINED, LeadAction.UNREACHABLE}
)
ACTION_PREFIX = "lead"  # callback data: "lead:<id>:<action>"
MAX_ID = 2**63 - 1  # the largest id a database keeps (SQLite INTEGER, PostgreSQL BIGINT)


class TransitionError(ValueError):
    """The action is not allowed in the lead's status."""


def next_status(status: LeadStatus, action: LeadAction) -> LeadStatus:
    if action not in ALLOWED_ACTIONS.get(status, ()):
        raise TransitionError(f"không thể '{ACTION_LABELS[action]}' khi yêu cầu đang '{STATUS_LABELS[status]}'")
    return ACTION_TARGETS[action]


def lead_action_data(lead_id: int, action: LeadAction) -> str:
    data = f"{ACTION_PREFIX}:{lead_id}:{action.value}"
    assert len(data.encode()) <= MAX_ACTION_BYTES
    return data


def parse_id(text: str) -> int | None:
    """A lead's or an agent's id as a button carries it (ASCII digits); None for anything a database cannot
    hold as one: a forged button with a huge number, a superscript digit, a sign."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_lead_action(data: str) -> tuple[int, LeadAction] | None:
    """(lead id, action) from callback data made by `lead_action_data`; None for anything else."""
    prefix, _, rest = data.partition(":")
    lead_id, _, action = rest.partition(":")
    number = parse_id(lead_id)
    if prefix != ACTION_PREFIX or number is None:
        return None
    try:
        return number, LeadAction(action)
    except ValueError:
        return None


def lead_buttons(lead_id: int, status: LeadStatus) -> tuple[Button, ...]:
    """The buttons an agent sees under a lead in this status (none once it is closed)."""
    return tuple(Button(ACTION_LABELS[a], lead_action_data(lead_id, a)) for a in ALLOWED_ACTIONS.get(status, ()))


class Interest(StrEnum):
    VOLUNTARY_BHXH = "bhxh-tu-nguyen"
    HOUSEHOLD_BHYT = "bhyt-ho-gia-dinh"
    BOTH = "ca-hai"


INTEREST_LABELS = {
    Interest.VOLUNTARY_BHXH: "BHXH tự nguyện",
    Interest.HOUSEHOLD_BHYT: "BHYT hộ gia đình",
    Interest.BOTH: "BHXH tự nguyện và BHYT hộ gia đình",
}


@dataclass(frozen=True)
class NewLead:
    """Everything a lead is created from; the personal fields are the ones anonymisation erases."""

    session_key: str | None  # the citizen's chat, None for a lead an agent entered (/themlead)
    area_code: str
    name: str
    phone_e164: str
    interest: Interest
    consent: Consent
    call_time: str = ""  # "sáng", "sau 17h", ... as the citizen said it
    calculator: Mapping[str, Any] | None = field(default=None)  # a calculator's result, as JSON data


@dataclass(frozen=True)
class LeadRecord:
    """A stored lead. The personal fields are None once the lead is anonymised."""

    id: int
    session_key: str | None
    area_code: str
    agent_id: int | None
    status: LeadStatus
    name: str | None
    phone_e164: str | None
    interest: Interest | None
    call_time: str | None
    calculator: Mapping[str, Any] | None
    consent_version: str
    consent_at: datetime
    consent_channel: ConsentChannel
    consent_oral: bool
    created_at: datetime
    updated_at: datetime
    first_contact_at: datetime | None
    due_at: datetime | None
    escalated_at: datetime | None
    anonymised_at: datetime | None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Actor:
    """Who acts on a lead: an agent (sees and acts on their own leads), staff (all leads), or the system."""

    label: str  # kept in the lead history: "agent:<chat id>", "staff:<chat id>", "citizen", "system", "cli"
    agent_id: int | None = None
    staff: bool = False


CITIZEN = Actor("citizen")
SYSTEM = Actor("system", staff=True)
CLI = Actor("cli", staff=True)


def may_handle(actor: Actor, lead: LeadRecord) -> bool:
    """Staff handle every lead; an agent only the leads assigned to them."""
    return actor.staff or (actor.agent_id is not None and lead.agent_id == actor.agent_id)
