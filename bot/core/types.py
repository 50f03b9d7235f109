"""The data the core speaks: inbound messages, replies, sessions, effects and outcomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


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
    MY_DATA = "my-data"  # /dulieu: what the bot keeps about me


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
class PensionChart:
    """The picture under a lump-sum-versus-pension result, as data (channels draw it; bot/shell/charts.py): the
    lump sum as a level line and, at each whole age, the pension received by then less what the missing years
    cost, all in đồng; the first age at which that passes the lump sum; the labels, in Vietnamese."""

    lump_sum: int
    ages: tuple[int, ...]
    pension_totals: tuple[int, ...]  # one per age
    crossover_age: int | None  # None: not within the ages shown
    title: str
    lump_label: str
    pension_label: str
    crossover_label: str  # the crossover said in a sentence (or that there is none within the ages shown)
    age_label: str
    money_label: str

    def as_json(self) -> dict[str, object]:
        """As stored with a reply in the outbox (JSON): plain values only."""
        return {
            "lump_sum": self.lump_sum,
            "ages": list(self.ages),
            "pension_totals": list(self.pension_totals),
            "crossover_age": self.crossover_age,
            "labels": [
                self.title,
                self.lump_label,
                self.pension_label,
                self.crossover_label,
                self.age_label,
                self.money_label,
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PensionChart:
        crossover = data.get("crossover_age")
        title, lump, pension, crossing, ages, money = (str(label) for label in data["labels"])
        return cls(
            int(data["lump_sum"]),
            tuple(int(age) for age in data["ages"]),
            tuple(int(total) for total in data["pension_totals"]),
            int(crossover) if crossover is not None else None,
            title,
            lump,
            pension,
            crossing,
            ages,
            money,
        )


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    # A button under the text field that shares the citizen's own phone number (Telegram's contact request);
    # channels without one show the text only. A reply that asks for the contact has no inline buttons.
    contact_request: str = ""
    clear_keyboard: bool = False  # take away a contact-request keyboard shown earlier
    chart: PensionChart | None = None  # a picture sent with the text (a photo in Telegram, a file in the console)

    @property
    def about_contact_keyboard(self) -> bool:
        """Only words about Telegram's "share my number" keyboard (asking for it, or taking it away): channels
        without that keyboard (Zalo, the web chat) leave such a reply out; the citizen types the number."""
        return bool(self.contact_request) or (self.clear_keyboard and not self.buttons and not self.chart)


# A flow's answer: JSON-compatible (a list comes back from JSON as a tuple).
Answer = str | int | bool | tuple[str, ...]

FlowFigure = tuple[str, str, Answer]  # (flow name, step key, answer)

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
    # The last calculator result's flow, inputs and turn: a follow-up soon after it ("nếu 12 tháng thì sao")
    # computes it again with the changes (bot.core.engine).
    last_flow: str = ""
    last_inputs: tuple[tuple[str, Answer], ...] = ()
    last_result_turn: int = 0
    last_entry_turn: int = 0  # the turn `last_entry` was answered: a short follow-up soon after is read against it
    # The figures a question answered with suggestions gave for their calculators (flow, step key, answer):
    # picking one of them starts it without asking for them again.
    offered_figures: tuple[FlowFigure, ...] = ()
    address: str = ""  # how the citizen names themself ("bác"): the bot then calls them so instead of "bạn"
    greeted: bool = False  # the greeting was given in this conversation: a later "chào" gets a short word
    seen_at: datetime | None = None  # the citizen's last message: a longer quiet spell starts a new conversation


@dataclass(frozen=True)
class Alternative:
    id: str
    score: float


@dataclass(frozen=True)
class LogInteraction:
    """Effect: record what the bot decided for one question (no personal data)."""

    normalised: str
    decision: str  # answer | suggest | uncovered | fallback | out-of-scope | action | menu | unsupported
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
    call_on: str = ""  # ISO date of the time to call, when the citizen named a day ("" otherwise)
    call_part: str = ""  # am | pm | eve | any | h17 (from 17:00) | "" (bot.core.leads.call_times)
    place_typed: str = ""  # the place a citizen outside the areas served typed ("Nơi khác")


@dataclass(frozen=True)
class EraseMyData:
    """Effect: /xoadulieu. Erase the chat's personal data: its leads are anonymised, its signals deleted."""


@dataclass(frozen=True)
class ShowMyData:
    """Effect: /dulieu. The shell reads the chat's stored call-back requests and adds the reply that lists them
    (bot.core.leads.my_data)."""


Effect = LogInteraction | RecordInterest | CreateLead | EraseMyData | ShowMyData


@dataclass(frozen=True)
class Outcome:
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = field(default_factory=tuple)
    session: Session | None = None
