"""The data the core speaks: inbound messages, replies, sessions, effects and outcomes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"  # free text typed by the citizen
    ACTION = "action"  # a button press carrying an opaque action
    START = "start"  # /start
    MENU = "menu"  # /menu
    HELP = "help"  # /help
    UNSUPPORTED = "unsupported"  # sticker, photo, voice, location, ...
    CONTACT = "contact"  # the citizen's own contact card ("share my number"): `text` holds their phone number
    # Someone else's contact card, or one its channel does not tie to the sender: `text` holds its number,
    # which is only the citizen's once they confirm it (as a typed number would be).
    OTHER_CONTACT = "other-contact"
    ERASE = "erase"  # /xoadulieu: erase my personal data


@dataclass(frozen=True)
class Inbound:
    """One message from a citizen, already translated from its channel."""

    chat: str  # the session key, e.g. "telegram:12345" or "console"
    kind: InboundKind
    text: str = ""
    action: str = ""


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # made and read by bot.core.actions: at most its MAX_ACTION_BYTES bytes of UTF-8


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    # A button under the text field that shares the citizen's own phone number (Telegram's contact request);
    # channels without one show the text only. A reply that asks for the contact has no inline buttons.
    contact_request: str = ""
    clear_keyboard: bool = False  # take away a contact-request keyboard shown earlier


# A flow's answer: JSON-compatible (a list comes back from JSON as a tuple).
Answer = str | int | bool | tuple[str, ...]

# The time now, time-zone aware in UTC. The core never calls one (it is given `now` and `today`); the shell and
# the workers are given one, bot.app.system_clock in the running bot and a fixed or moving one in tests.
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class FlowState:
    """A guided flow in progress (a calculator, lead capture): kept in the session between messages."""

    name: str  # the flow, e.g. "voluntary"
    step: str  # the key of the step whose question is waiting for an answer
    answers: tuple[tuple[str, Answer], ...] = ()  # (step key, answer), in the order given
    history: tuple[str, ...] = ()  # the steps answered (asked or taken from the question), for Back
    touched_at: datetime | None = None  # when the citizen last moved it on; None: never expires

    def answer(self, key: str) -> Answer | None:
        return dict(self.answers).get(key)

    def answered(self) -> dict[str, Answer]:
        return dict(self.answers)

    def with_answers(self, answers: dict[str, Answer]) -> FlowState:
        return replace(self, answers=tuple(answers.items()))


@dataclass(frozen=True)
class Session:
    """A chat's dialog state. Stored by the shell between messages."""

    chat: str
    last_entry: str | None = None  # the entry last answered
    offered: tuple[str, ...] = ()  # entry ids offered as "did you mean" choices
    turns: int = 0
    flow: FlowState | None = None  # the guided flow in progress, if any
    interest: tuple[str, ...] = ()  # interest signals of this chat, "kind|topic" (bot.core.leads.interest)
    callback_offered: bool = False  # the free call-back was offered once: never again unasked
    calculation: str = ""  # a one-line summary of the last calculator result, for the agent if a lead follows


@dataclass(frozen=True)
class Alternative:
    id: str
    score: float


@dataclass(frozen=True)
class LogInteraction:
    """Effect: record what the bot decided for one question (no personal data)."""

    normalised: str
    decision: str  # answer | suggest | uncovered | fallback | action | menu | unsupported
    matched_id: str | None
    top: tuple[Alternative, ...] = ()
    topic: str = ""  # with "uncovered": the subject the knowledge base does not cover, when known


@dataclass(frozen=True)
class RecordInterest:
    """Effect: a chat showed interest in enrolling (bot.core.leads.interest.SignalKind). Nothing personal."""

    kind: str
    topic: str | None = None


@dataclass(frozen=True)
class CreateLead:
    """Effect: store a call-back request given with consent, route it to the area's agent and notify them.

    The shell knows the channel and the time of the agreement's proof (`consent_at`, an ISO time the flow
    kept), stores the lead, and adds the reply saying who will call and when."""

    name: str
    phone_e164: str
    area_code: str
    interest: str  # bot.core.leads.records.Interest value
    call_time: str
    consent_at: str
    calculation: str = ""


@dataclass(frozen=True)
class EraseMyData:
    """Effect: /xoadulieu. Erase the chat's personal data: its leads are anonymised, its signals deleted."""


Effect = LogInteraction | RecordInterest | CreateLead | EraseMyData


@dataclass(frozen=True)
class Outcome:
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = field(default_factory=tuple)
    session: Session | None = None
