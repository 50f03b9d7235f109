"""What a guided flow is made of, declared as data: steps with a question, buttons and a parser of free
input, and a finish that turns the answers into the result (and effects) at the end.

A flow does not talk to the citizen itself: `bot.core.flows.runner` asks its steps in order, skips the
ones already answered (for instance taken from the question that started the flow), and handles Back,
Cancel, invalid input and stale buttons the same way for every flow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.knowledge import KnowledgeBase
from bot.core.types import Answer, Button, Effect, Inbound, InboundKind, PensionChart

# Reserved step codes in button actions (a choice may not use them).
BACK, CANCEL = "back", "cancel"


class Invalid(ValueError):
    """Input a step cannot take. The message is Vietnamese, fit to show the citizen before the question is
    asked again. A finish, or a step's check, may name the step to ask again (`step`, whose answer is then
    forgotten); by default it is the last one asked (for a check: its own step)."""

    def __init__(self, message: str, step: str | None = None, suggestions: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.step = step
        self.suggestions = suggestions  # (code, label): "did you mean" buttons, resolved by the step's `resolve`


@dataclass(frozen=True)
class Context:
    """What a parser, a check or a finish may look at: the knowledge base, the date the result is for and the
    answers given so far."""

    kb: KnowledgeBase
    today: date
    answers: Mapping[str, Answer] = field(default_factory=dict)
    now: datetime | None = None  # the time of the message, where the step needs it (a call-back time)

    def message(self, key: str, **params: object) -> str:
        """One of the bot's sentences from knowledge/bot.yaml, filled with `params`."""
        text = self.kb.message(key)
        return text.format(**params) if params else text


@dataclass(frozen=True)
class Choice:
    """A button of a step: pressing it gives `value` as the answer."""

    code: str  # in the button's action, short ASCII: "f:<flow>:<step>:<code>"
    value: Answer
    label: str  # message key in bot.yaml
    params: tuple[tuple[str, object], ...] = ()  # fills the label, e.g. (("n", 3),) for "{n} tháng"

    def text(self, kb: KnowledgeBase) -> str:
        label = kb.message(self.label)
        return label.format(**dict(self.params)) if self.params else label


def number(answer: Answer) -> int:
    """An answer that is a count or an amount: a parser's int, or a button's value."""
    if isinstance(answer, tuple):
        raise TypeError(f"expected a number, got {answer!r}")
    return int(answer)


def codes(answer: Answer) -> tuple[str, ...]:
    """An answer that is a set of codes, such as the support groups of bot.core.flows.parsing.groups."""
    if not isinstance(answer, tuple):
        raise TypeError(f"expected codes, got {answer!r}")
    return answer


Parser = Callable[[Inbound, Context], Answer]  # raises Invalid
Check = Callable[[Answer, Context], None]  # raises Invalid
Condition = Callable[[Mapping[str, Answer]], bool]


@dataclass(frozen=True)
class Step:
    """One question of a flow."""

    key: str  # the answer it fills; also its name in button actions
    question: str  # message key in bot.yaml
    choices: tuple[Choice, ...] = ()
    parse: Parser | None = None  # free input (None: only the buttons)
    check: Check | None = None  # a rule every answer must pass: typed, pressed or taken from the question
    accepts: frozenset[InboundKind] = frozenset({InboundKind.TEXT})  # what the parser reads, e.g. a contact share
    when: Condition | None = None  # asked only when this holds for the answers so far
    invalid: str = "flow_choose"  # message key: said before the question when text matches no button and no parser
    # Further hooks, for the steps that need them (lead capture):
    question_text: Callable[[KnowledgeBase], str] | None = None  # the question, when it is not in bot.yaml
    # Fills the question's {placeholders} from the answers so far ("Is {phone} your number?").
    question_params: Callable[[Mapping[str, Answer]], Mapping[str, object]] | None = None
    contact_button: str = ""  # message key: a button that shares the citizen's phone number (Telegram)
    resolve: Callable[[str, Context], Answer | None] | None = None  # a suggested button's code -> its answer
    # Buttons computed when the question is asked, from the time (dated call-back slots), before `choices`;
    # (code, label) pairs whose codes `resolve` reads.
    offers: Callable[[KnowledgeBase, datetime | None], tuple[tuple[str, str], ...]] | None = None
    stamp: bool = False  # keep the time of the answer too, as "<key>_at" (ISO): the proof of a consent
    # The answer is a person's own words (a name): a one-word cancel or back word typed without diacritics is read
    # as the answer ("Huy" is a name; "hủy" and "quay lai" are commands).
    own_words: bool = False

    def text(self, kb: KnowledgeBase, answers: Mapping[str, Answer] | None = None) -> str:
        if self.question_text is not None:
            return self.question_text(kb)
        text = kb.message(self.question)
        return text.format(**self.question_params(answers or {})) if self.question_params is not None else text

    def applies(self, answers: Mapping[str, Answer]) -> bool:
        return self.when is None or self.when(answers)

    def choice(self, code: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.code == code), None)


@dataclass(frozen=True)
class Finished:
    """The end of a flow: what the citizen reads, its buttons, and the effects the shell carries out."""

    text: str
    buttons: tuple[Button, ...] = ()
    effects: tuple[Effect, ...] = ()
    summary: str = ""  # one line on the result, kept in the session for an agent if the citizen asks for a call
    chart: PensionChart | None = None  # a picture sent with the text


Finish = Callable[[Context], Finished]  # may raise Invalid to ask a step again
Extract = Callable[[str, Context], dict[str, Answer]]  # answers a question already carries


@dataclass(frozen=True)
class Flow:
    name: str  # in button actions and the session: short, stable, lower-case ASCII
    intro: str  # message key: the first words when the flow starts
    steps: tuple[Step, ...]
    finish: Finish
    extract: Extract | None = None
    # A follow-up right after a result ("nếu 12 tháng thì sao"): the inputs it changes, read against the last
    # result's inputs (Context.answers). Empty: not a change of this flow; None: the flow takes no follow-ups.
    revise: Extract | None = None
    # The figures that show a question under an answer wants the citizen's own result (the answer then starts
    # the flow: bot.core.engine); None: `extract`. The household flow counts only a number of people here, not
    # a description of who they are ("bố có lương hưu thì có phải kê khai không" asks a rule).
    wants: Extract | None = None
    offer: str = "flow_offer"  # message key: the button that starts it under an answer ("Tính cho tôi")
    restart: str = "flow_restart"  # message key: the button that starts it again ("Tính lại")
    resume: str = "flow_resume"  # message key: the button back to it after another question
    cancelled: str = "flow_cancelled"  # message key: said when the citizen cancels it
    expired: str = "flow_expired"  # message key: said when a button of it is pressed after it was left idle
    messages: tuple[str, ...] = ()  # further message keys its checks and finish use (checked by kb validate)
    available: Callable[[KnowledgeBase], bool] = lambda kb: True  # False: its entries answer as plain FAQ

    def step(self, key: str) -> Step | None:
        return next((step for step in self.steps if step.key == key), None)

    def message_keys(self) -> set[str]:
        """Every bot.yaml message the flow speaks with, for `kb validate`."""
        keys = {self.intro, self.offer, self.restart, self.resume, self.cancelled, self.expired, *self.messages}
        for step in self.steps:
            keys |= {step.invalid, *(choice.label for choice in step.choices)}
            keys |= {key for key in (step.question, step.contact_button) if key}
        return keys
