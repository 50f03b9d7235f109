"""The data the core speaks: inbound messages, replies, sessions, effects and outcomes."""

from __future__ import annotations

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
    action: str  # opaque, at most MAX_ACTION_BYTES bytes of UTF-8


MAX_ACTION_BYTES = 64
MENU_ACTION = "m"  # the action of the main menu button


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()


# A flow's answer: JSON-compatible (a list comes back from JSON as a tuple).
Answer = str | int | bool | tuple[str, ...]


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


@dataclass(frozen=True)
class Alternative:
    id: str
    score: float


@dataclass(frozen=True)
class LogInteraction:
    """Effect: record what the bot decided for one question (no personal data)."""

    normalised: str
    decision: str  # answer | suggest | fallback | action | menu | unsupported
    matched_id: str | None
    top: tuple[Alternative, ...] = ()


Effect = LogInteraction


@dataclass(frozen=True)
class Outcome:
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = field(default_factory=tuple)
    session: Session | None = None
