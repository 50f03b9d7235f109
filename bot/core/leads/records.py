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
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.core.leads.consent import Consent, ConsentChannel


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
    """What an agent can do with a lead: one button each. The values go into its data (bot.core.actions)."""

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


class TransitionError(ValueError):
    """The action is not allowed in the lead's status."""


def next_status(status: LeadStatus, action: LeadAction) -> LeadStatus:
    if action not in ALLOWED_ACTIONS.get(status, ()):
        raise TransitionError(f"không thể '{ACTION_LABELS[action]}' khi yêu cầu đang '{STATUS_LABELS[status]}'")
    return ACTION_TARGETS[action]


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
    call_time: str = ""  # "Sáng thứ Hai 07/12/2026", or "sau giờ tan ca" as the citizen said it
    calculator: Mapping[str, Any] | None = field(default=None)  # a calculator's result, as JSON data
    call_on: date | None = None  # the day named, and the part of it (bot.core.leads.call_times)
    call_part: str = ""
    place_typed: str = ""  # "Nơi khác": where the citizen said they live


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
    call_on: date | None = None
    call_part: str | None = None
    place_typed: str | None = None

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
CLI = Actor("cli", staff=True)


def may_handle(actor: Actor, lead: LeadRecord) -> bool:
    """Staff handle every lead; an agent only the leads assigned to them."""
    return actor.staff or (actor.agent_id is not None and lead.agent_id == actor.agent_id)
