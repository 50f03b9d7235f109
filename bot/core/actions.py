"""Every button's data in one place, and the one parser that reads it back.

A button carries its action as a short string (Telegram's callback data). Buttons already sent stay on
citizens' and agents' phones for months, so these strings never change:

    "m"                               OpenMenu      the main menu
    "s:<subject code>"                OpenSubject   the questions of one subject
    "a:<entry id>"                    OpenEntry     the answer of one entry (an entry of kind "flow" starts it)
    "f:<flow>"                        FlowStep      start the flow (again)
    "f:<flow>:<step>"                 FlowStep      ask that step again (back to the flow after another question)
    "f:<flow>:<step>:<code>"          FlowStep      a choice of that step; the codes "back" and "cancel" too
    "x:erase"                         EraseData     erase my personal data (as /xoadulieu)
    "x:keep"                          KeepData      "Không": keep it after all (typed "xóa dữ liệu của tôi")
    "b:<entry id>"                    ShowBasis     the full legal basis of one entry's answer
    "lead:<id>:<operation>"           LeadOperation an agent's button under a lead: a LeadAction value
                                                    ("claim", …), "open" (the lead as a new message, from
                                                    /leads) or "back" (the lead again, in place)
    "lead:<id>:to:<agent id>|office"  LeadTransfer  Chuyển, second step: to that agent or the office queue

Ids of leads and agents are ASCII digits from 1 to 2**63 - 1 (what a database keeps). Anything else parses to
None: an unknown kind, a forged id, data longer than MAX_ACTION_BYTES; the caller answers it as a stale button.
Data starting with "lead:" is the agents' desk's, forged or not (`for_agents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.core.leads.records import LeadAction

# Telegram's limit on callback data (telegram.constants.InlineKeyboardButtonLimit.MAX_CALLBACK_DATA; the
# core does not import telegram, so the number is kept here).
MAX_ACTION_BYTES = 64
MAX_ID = 2**63 - 1  # the largest id a database keeps (SQLite INTEGER, PostgreSQL BIGINT)
LEAD = "lead"  # the first field of the agents' buttons
OFFICE = "office"  # the transfer target meaning the office queue


class LeadView(StrEnum):
    """The agents' buttons that show a lead without changing it."""

    OPEN = "open"  # as a new message, from the /leads list
    BACK = "back"  # again, in place of the Chuyển menu


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_ACTION_BYTES:
        raise ValueError(f"button action longer than {MAX_ACTION_BYTES} bytes: {data!r}")
    return data


@dataclass(frozen=True)
class OpenMenu:
    def data(self) -> str:
        return "m"


@dataclass(frozen=True)
class OpenSubject:
    code: str

    def data(self) -> str:
        return _checked(f"s:{self.code}")


@dataclass(frozen=True)
class OpenEntry:
    entry_id: str

    def data(self) -> str:
        return _checked(f"a:{self.entry_id}")


@dataclass(frozen=True)
class FlowStep:
    """A flow's button: its start (no step), a step asked again (no code), or a choice of a step."""

    flow: str
    step: str = ""
    code: str = ""

    def data(self) -> str:
        fields = (
            [self.flow, self.step, self.code] if self.code else [self.flow, self.step] if self.step else [self.flow]
        )
        return _checked(":".join(["f", *fields]))


@dataclass(frozen=True)
class EraseData:
    def data(self) -> str:
        return "x:erase"


@dataclass(frozen=True)
class KeepData:
    def data(self) -> str:
        return "x:keep"


@dataclass(frozen=True)
class ShowBasis:
    entry_id: str

    def data(self) -> str:
        return _checked(f"b:{self.entry_id}")


@dataclass(frozen=True)
class LeadOperation:
    lead_id: int
    operation: LeadAction | LeadView

    def data(self) -> str:
        return _checked(f"{LEAD}:{self.lead_id}:{self.operation.value}")


@dataclass(frozen=True)
class LeadTransfer:
    lead_id: int
    agent_id: int | None  # None: the office queue
    operation: ClassVar[str] = "to"

    def data(self) -> str:
        target = OFFICE if self.agent_id is None else str(self.agent_id)
        return _checked(f"{LEAD}:{self.lead_id}:{self.operation}:{target}")


Action = OpenMenu | OpenSubject | OpenEntry | FlowStep | EraseData | KeepData | ShowBasis | LeadOperation | LeadTransfer
MENU = OpenMenu()
ERASE = EraseData()
KEEP = KeepData()
_LEAD_OPERATIONS: dict[str, LeadAction | LeadView] = {
    operation.value: operation for operation in (*LeadAction, *LeadView)
}


def parse_id(text: str) -> int | None:
    """A lead's or an agent's id as a button carries it (ASCII digits); None for anything a database cannot
    hold as one: a forged button with a huge number, a superscript digit, a sign."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_action(data: str) -> Action | None:
    """What a button's data stands for; None for anything no button of this bot carries."""
    if len(data) > MAX_ACTION_BYTES or len(data.encode(errors="surrogatepass")) > MAX_ACTION_BYTES:
        return None
    if data == MENU.data():
        return MENU
    if data == ERASE.data():
        return ERASE
    if data == KEEP.data():
        return KEEP
    kind, _, rest = data.partition(":")
    if kind == "s" and rest:
        return OpenSubject(rest)
    if kind == "a" and rest:
        return OpenEntry(rest)
    if kind == "b" and rest:
        return ShowBasis(rest)
    if kind == "f":
        flow, _, rest = rest.partition(":")
        step, _, code = rest.partition(":")
        return FlowStep(flow, step, code) if flow else None
    if kind == LEAD:
        return _parse_lead(rest)
    return None


def _parse_lead(rest: str) -> LeadOperation | LeadTransfer | None:
    """`<id>:<operation>` or `<id>:to:<agent id>|office`."""
    lead, _, rest = rest.partition(":")
    operation, _, target = rest.partition(":")
    lead_id = parse_id(lead)
    if lead_id is None:
        return None
    if operation == LeadTransfer.operation:
        agent_id = parse_id(target)
        if target == OFFICE or agent_id is not None:
            return LeadTransfer(lead_id, agent_id)
        return None
    found = _LEAD_OPERATIONS.get(operation)
    return LeadOperation(lead_id, found) if found is not None and ":" not in rest else None


def for_agents(data: str) -> bool:
    """Whether a button's data is the agents' desk's ("lead:…"), forged or stale ones included: the desk
    answers those with its own polite word."""
    return data.startswith(f"{LEAD}:")
