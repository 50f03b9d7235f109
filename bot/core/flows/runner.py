"""Runs any flow declared with bot.core.flows.base: asks its steps in order, takes answers from buttons,
free input or the question that started it, and handles Back, Cancel, resume and stale buttons.

Its buttons carry a bot.core.actions.FlowStep: the flow's start, a step asked again (back to the flow after
another question), or a choice of a step (the codes "back" and "cancel" move back or stop). A step button
pressed when its flow is no longer running, or when another step is waiting, is stale: the citizen gets a
polite word (and the question that is waiting, if any). Typed words work like the buttons: a choice's label,
and, alone in a message, the cancel and back words of lexicon.yaml `flow_words` (`typed_command`).

Pure like the engine: the time (`now`) and the date (`today`) come from the shell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.core.actions import MENU, FlowStep
from bot.core.citations import with_basis_button
from bot.core.flows.base import BACK, CANCEL, Context, Flow, Invalid, Step
from bot.core.knowledge import KnowledgeBase
from bot.core.text import fold, tokens
from bot.core.types import Answer, Button, Effect, FlowState, Inbound, InboundKind, Reply

# The messages every flow uses, in knowledge/bot.yaml.
MESSAGES = frozenset(
    {
        "flow_back", "flow_cancel", "flow_invalid", "flow_choose", "flow_unsupported", "flow_first_step",
        "flow_cancelled", "flow_stale", "flow_stale_step", "flow_expired", "menu_button", "flow_contact_hint",
        "flow_contact_closed", "flow_contact_taken", "flow_too_long",
    }
)  # fmt: skip
# Longer input is never an answer, and is not read as one: a step's parsers scan their text several times
# (4,096 characters, Telegram's longest message, would cost tens of milliseconds). The engine matches no more
# of a question either.
MAX_ANSWER_CHARS = 1000


@dataclass(frozen=True)
class Turn:
    """What one message did to a flow."""

    replies: tuple[Reply, ...]
    flow: FlowState | None  # the flow afterwards; None once it ended (result, cancel)
    event: str  # for the log: start | answer | back | resume | result | cancel | invalid | stale | expired
    effects: tuple[Effect, ...] = ()
    summary: str = ""  # a result's one-line summary (Finished.summary)
    answers: tuple[tuple[str, Answer], ...] = ()  # a result's inputs, for a follow-up that changes some of them


def menu_button(kb: KnowledgeBase) -> Button:
    """The button back to the main menu, under answers and a flow's ends."""
    return Button(kb.message("menu_button"), MENU.data())


def resume_button(flow: Flow, state: FlowState, kb: KnowledgeBase) -> Button:
    """The button back to a flow after the citizen asked something else."""
    return Button(kb.message(flow.resume), FlowStep(flow.name, state.step).data())


def restart_button(flow: Flow, kb: KnowledgeBase) -> Button:
    return Button(kb.message(flow.restart), FlowStep(flow.name).data())


def question_reply(
    flow: Flow,
    state: FlowState,
    kb: KnowledgeBase,
    notes: tuple[str, ...] = (),
    suggestions: tuple[tuple[str, str], ...] = (),
) -> tuple[Reply, ...]:
    """The waiting step's question, after any notes, with its "did you mean" suggestions and choices, Back
    (once there is something to go back to) and Cancel; then, for a step that takes a shared contact, the
    button that shares it (a keyboard of its own)."""
    step = _current(flow, state)
    offered = step.offers(kb, state.touched_at) if step.offers is not None else ()
    buttons = [Button(label, FlowStep(flow.name, step.key, code).data()) for code, label in (*suggestions, *offered)]
    buttons += [Button(choice.text(kb), FlowStep(flow.name, step.key, choice.code).data()) for choice in step.choices]
    if state.history:
        buttons.append(Button(kb.message("flow_back"), FlowStep(flow.name, step.key, BACK).data()))
    buttons.append(Button(kb.message("flow_cancel"), FlowStep(flow.name, step.key, CANCEL).data()))
    text = "\n\n".join([*[note for note in notes if note], step.text(kb, state.answered())])
    replies = [Reply(text, tuple(buttons))]
    if step.contact_button:
        replies.append(Reply(kb.message("flow_contact_hint"), contact_request=kb.message(step.contact_button)))
    return tuple(replies)


def _leaving(flow: Flow, state: FlowState, kb: KnowledgeBase) -> tuple[Reply, ...]:
    """A word that takes away the contact button when the step that showed it is left without an answer."""
    closed = Reply(kb.message("flow_contact_closed"), clear_keyboard=True)
    return (closed,) if _current(flow, state).contact_button else ()


def start(
    flow: Flow,
    kb: KnowledgeBase,
    today: date,
    now: datetime | None,
    text: str = "",
    answers: Mapping[str, Answer] | None = None,
    intro: bool = True,
) -> Turn:
    """Start a flow; answers the question `text` already carries are taken and only the rest is asked.
    `answers` are taken too (a question's figures kept while the citizen picked a suggestion, or the last
    result's inputs with a follow-up's changes); `intro` False starts without the flow's first words."""
    state = FlowState(flow.name, flow.steps[0].key, touched_at=now)
    notes = [kb.message(flow.intro)] if intro else []
    found = dict(answers or {})
    if text and flow.extract is not None:
        found |= flow.extract(text, Context(kb, today))
    if found:
        state, invalid = _absorb(flow, state, found, kb, today)
        notes.extend(list(invalid.values())[:1])
    return _advance(flow, state, kb, today, now, tuple(notes), "start")


def take(flow: Flow, state: FlowState, inbound: Inbound, kb: KnowledgeBase, today: date, now: datetime | None) -> Turn:
    """Free input (text, or another kind the step accepts) as the answer of the waiting step.

    Raises Invalid when it is not one; the caller decides between asking again and answering it as a new
    question. A sentence may carry this answer among others ("4 người, đóng 6 tháng"): all are taken.
    """
    if len(inbound.text) > MAX_ANSWER_CHARS:
        raise Invalid(kb.message("flow_too_long"))
    step = _current(flow, state)
    context = Context(kb, today, state.answered(), now)
    value = _chosen_by_text(step, inbound, kb)
    if value is not None:
        return _accept(flow, state, step, value, kb, today, now)
    command = typed_command(inbound, kb)
    if command is not None and step.own_words and _one_plain_word(inbound.text):
        command = None  # "Huy" at the name step is a name; "hủy", "quay lai" still work there
    if command is not None:  # "hủy", "quay lại": as if its button was pressed
        return press(flow, state, state.step, command, kb, today, now)
    if inbound.kind not in step.accepts and inbound.kind is not InboundKind.TEXT:
        raise Invalid(kb.message("flow_unsupported"))
    not_understood = Invalid(kb.message(step.invalid))
    if step.parse is not None and inbound.kind in step.accepts:
        try:
            return _accept(flow, state, step, step.parse(inbound, context), kb, today, now)
        except Invalid as invalid:
            not_understood = invalid
    found = flow.extract(inbound.text, context) if flow.extract and inbound.kind is InboundKind.TEXT else {}
    if step.key not in found:
        raise not_understood
    state, refused = _absorb(flow, state, found, kb, today)
    if step.key not in state.answered():
        raise Invalid(refused[step.key]) if step.key in refused else not_understood
    return _advance(flow, state, kb, today, now, (), "answer")


def press(
    flow: Flow,
    state: FlowState | None,
    step_key: str,
    code: str,
    kb: KnowledgeBase,
    today: date,
    now: datetime | None,
    expired: bool = False,
) -> Turn:
    """A step button of `flow` (start buttons go to `start`). `state` is the flow running in the chat, if any;
    `expired` says the chat's flow of this name was dropped for being idle too long."""
    if state is None or state.name != flow.name:
        event = "expired" if expired else "stale"
        text = kb.message(flow.expired if expired else "flow_stale")
        reply = Reply(text, (restart_button(flow, kb), menu_button(kb)))
        return Turn((reply,), state, event)
    if step_key != state.step:
        replies = question_reply(flow, state, kb, (kb.message("flow_stale_step"),))
        return Turn(replies, replace(state, touched_at=now), "stale")
    step = _current(flow, state)
    if code == "":
        return Turn(question_reply(flow, state, kb), replace(state, touched_at=now), "resume")
    if code == CANCEL:
        cancelled = Reply(kb.message(flow.cancelled), (restart_button(flow, kb), menu_button(kb)))
        return Turn((*_leaving(flow, state, kb), cancelled), None, "cancel")
    if code == BACK:
        return back(flow, state, kb, now)
    choice = step.choice(code)
    value = choice.value if choice is not None else None
    if value is None and step.resolve is not None:
        value = step.resolve(code, Context(kb, today, state.answered(), now))
    if value is None:
        replies = question_reply(flow, state, kb, (kb.message("flow_stale_step"),))
        return Turn(replies, replace(state, touched_at=now), "stale")
    try:
        return _accept(flow, state, step, value, kb, today, now)
    except Invalid as invalid:
        replies = question_reply(flow, state, kb, (invalid.message,), invalid.suggestions)
        return Turn(replies, replace(state, touched_at=now), "invalid")


def back(flow: Flow, state: FlowState, kb: KnowledgeBase, now: datetime | None) -> Turn:
    """Undo the last answer and ask its question again; at the first question, ask it again."""
    if not state.history:
        replies = question_reply(flow, state, kb, (kb.message("flow_first_step"),))
        return Turn(replies, replace(state, touched_at=now), "back")
    leaving = _leaving(flow, state, kb)
    state = replace(_forget(state, state.history[-1]), touched_at=now)
    return Turn((*leaving, *question_reply(flow, state, kb)), state, "back")


def ask_again(flow: Flow, state: FlowState, kb: KnowledgeBase, invalid: Invalid) -> tuple[Reply, ...]:
    """The waiting question again after a friendly word on what was wrong (and any suggestions)."""
    return question_reply(flow, state, kb, (invalid.message,), invalid.suggestions)


def typed_command(inbound: Inbound, kb: KnowledgeBase) -> str | None:
    """CANCEL or BACK when the whole message is one of the words that work like those buttons (lexicon.yaml
    `flow_words`, or the button's own label), polite words around it allowed ("thôi ạ", "dạ quay lại nhé");
    None for anything else, such as "thôi" inside an answer."""
    if inbound.kind is not InboundKind.TEXT:
        return None
    words = kb.lexicon.flow_words
    expand = kb.lexicon.lexicon.expand
    typed = tuple(expand(tokens(inbound.text)))
    start, end = 0, len(typed)
    while start < end and typed[start] in words.polite:
        start += 1
    while end > start and typed[end - 1] in words.polite:
        end -= 1
    for code, phrases, label in ((CANCEL, words.cancel, "flow_cancel"), (BACK, words.back, "flow_back")):
        own_label = tuple(expand(tokens(kb.message(label))))
        if any(said in phrases or said == own_label for said in (typed, typed[start:end]) if said):
            return code
    return None


# -- internals -----------------------------------------------------------------------------------------


def _current(flow: Flow, state: FlowState) -> Step:
    step = flow.step(state.step)
    if step is None:  # a flow saved by a version with other steps: start from its first step
        return flow.steps[0]
    return step


def _one_plain_word(text: str) -> bool:
    """One word without diacritics: at a step that takes a person's own words, a name rather than a command."""
    return len(text.split()) == 1 and fold(text) == text.strip().lower()


def _chosen_by_text(step: Step, inbound: Inbound, kb: KnowledgeBase) -> Answer | None:
    """A choice typed instead of pressed: its label, without diacritics or case ("nu" for "Nữ")."""
    if inbound.kind is not InboundKind.TEXT or not step.choices:
        return None
    typed = " ".join(fold(inbound.text).split())
    for choice in step.choices:
        if typed == " ".join(fold(choice.text(kb)).split()):
            return choice.value
    return None


def _next_step(flow: Flow, answers: dict[str, Answer]) -> Step | None:
    return next((step for step in flow.steps if step.key not in answers and step.applies(answers)), None)


def _forget(state: FlowState, key: str) -> FlowState:
    answers = {k: v for k, v in state.answers if k != key}
    history = tuple(k for k in state.history if k != key)
    return replace(state.with_answers(answers), step=key, history=history)


def _absorb(
    flow: Flow, state: FlowState, found: dict[str, Answer], kb: KnowledgeBase, today: date
) -> tuple[FlowState, dict[str, str]]:
    """Take the answers found in a message for the steps still open, in the flow's order; a value a step's
    check refuses is left to be asked, and its message returned by step key."""
    answers = state.answered()
    history = list(state.history)
    refused: dict[str, str] = {}
    for step in flow.steps:
        if step.key not in found or step.key in answers or not step.applies(answers):
            continue
        try:
            if step.check is not None:
                step.check(found[step.key], Context(kb, today, answers))
        except Invalid as invalid:
            refused[step.key] = invalid.message
            continue
        answers[step.key] = found[step.key]
        history.append(step.key)
    return replace(state.with_answers(answers), history=tuple(history)), refused


def _accept(
    flow: Flow, state: FlowState, step: Step, value: Answer, kb: KnowledgeBase, today: date, now: datetime | None
) -> Turn:
    if step.check is not None:
        try:
            step.check(value, Context(kb, today, state.answered()))
        except Invalid as invalid:
            if invalid.step is None or invalid.step == step.key:
                raise
            # The answer sends the citizen back to an earlier step ("no, that is not my number"): ask it again.
            state = replace(_forget(state, invalid.step), touched_at=now)
            return Turn(question_reply(flow, state, kb, (invalid.message,)), state, "back")
    answers = state.answered() | {step.key: value}
    if step.stamp and now is not None:
        answers[f"{step.key}_at"] = now.isoformat()
    history = (*(k for k in state.history if k != step.key), step.key)
    taken = (Reply(kb.message("flow_contact_taken"), clear_keyboard=True),) if step.contact_button else ()
    state = replace(state.with_answers(answers), history=history)
    return _advance(flow, state, kb, today, now, (), "answer", taken)


def _advance(
    flow: Flow,
    state: FlowState,
    kb: KnowledgeBase,
    today: date,
    now: datetime | None,
    notes: tuple[str, ...],
    event: str,
    notes_before: tuple[Reply, ...] = (),
) -> Turn:
    """Ask the next open step, or finish when every step that applies is answered; `notes_before` are
    replies sent first (whatever comes next)."""
    answers = state.answered()
    step = _next_step(flow, answers)
    if step is None:
        try:
            finished = flow.finish(Context(kb, today, answers))
        except Invalid as invalid:
            key = invalid.step or (state.history[-1] if state.history else flow.steps[0].key)
            state = replace(_forget(state, key), touched_at=now)
            replies = question_reply(flow, state, kb, (invalid.message,), invalid.suggestions)
            return Turn((*notes_before, *replies), state, "invalid")
        result = Reply(finished.text, with_basis_button(finished.buttons, flow.name, kb), chart=finished.chart)
        inputs = tuple(answers.items())
        return Turn((*notes_before, result), None, "result", finished.effects, finished.summary, inputs)
    state = replace(state, step=step.key, touched_at=now)
    return Turn((*notes_before, *question_reply(flow, state, kb, notes)), state, event)
