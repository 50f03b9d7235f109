"""The dialog engine: decide(inbound, session, kb, today, matcher, now=, flow_idle=) -> Outcome.

Pure: it reads no clock, stores nothing and sends nothing. The shell passes `today` (the office's date,
for figures) and `now` (for flows left idle), persists the returned session and carries out the effects.

A button press is read with bot.core.actions (the menu, a subject, an entry, a flow's step, erase my data).
Anything else, or an id that no longer exists, is a stale button: a polite word and the menu.

A flow in progress takes the citizen's free input first. Input that is not an answer to its question but
that the matcher confidently answers is answered, with a button back to the flow; anything else gets a
friendly word and the question again. /start and /menu show the menu with a button back to the flow;
a flow idle longer than `flow_idle` is dropped.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.core.actions import ERASE, MENU, Action, EraseData, FlowStep, OpenEntry, OpenSubject, parse_action
from bot.core.flows import FLOWS, runner
from bot.core.flows.base import Context, Flow, Invalid
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.leads.offer import with_interest
from bot.core.matcher import Decision, Matcher, Scored
from bot.core.policy import PolicyError
from bot.core.render import Footnotes, day, render_source
from bot.core.text import normalise
from bot.core.types import (
    Alternative,
    Button,
    CreateLead,
    Effect,
    EraseMyData,
    FlowState,
    Inbound,
    InboundKind,
    LogInteraction,
    Outcome,
    Reply,
    Session,
)

MAX_TEXT_CHARS = 1000  # longer messages are matched on their beginning
ERASE_ENTRY = "lead.xoa-du-lieu"  # its answer carries the button that erases the chat's personal data
DEFAULT_FLOW_IDLE = timedelta(minutes=30)


def menu_buttons(kb: KnowledgeBase) -> tuple[Button, ...]:
    buttons = []
    for item in kb.menu:
        if item.subject and kb.subject(item.subject):
            buttons.append(Button(item.label, OpenSubject(item.subject).data()))
        elif item.entry and item.entry in kb.entries:
            buttons.append(Button(item.label, OpenEntry(item.entry).data()))
    return tuple(buttons)


def menu_reply(kb: KnowledgeBase, text: str) -> Reply:
    return Reply(text, menu_buttons(kb))


def answer_reply(entry: Entry, kb: KnowledgeBase, today: date, also: tuple[str, ...] = ()) -> Reply:
    """Short answer, details, legal basis and review date, caveats, then follow-up buttons (first those of
    `also`: a close second entry, or the answer to a second question in the same message)."""
    short, details = entry.render(kb.policy, today)
    footnotes = Footnotes.of(short, details)  # read as one text: their marks are numbered together
    parts = [footnotes.write(short)]
    if details_text := footnotes.write(details):
        parts.append(details_text)
    footer = []
    if entry.sources:
        sources = dict.fromkeys(render_source(s, kb.policy, today) for s in entry.sources)
        footer.append(f"{kb.message('sources')}: {'; '.join(sources)}.")
    if entry.reviewed and entry.kind != "smalltalk":
        footer.append(f"{kb.message('updated')}: {day(entry.reviewed)}")
    if footer:
        parts.append("\n".join(footer))
    if footnotes:
        parts.append("\n".join(footnotes.lines()))
    offered = _offered_flow(entry, kb)
    buttons = [Button(kb.message(offered.offer), FlowStep(offered.name).data())] if offered else []
    if entry.id == ERASE_ENTRY:
        buttons.append(Button(kb.message("lead_erase_button"), ERASE.data()))
    buttons += [
        Button(target.title, OpenEntry(target.id).data())
        for target in (kb.entries.get(i) for i in dict.fromkeys((*also, *entry.followups)))
        if target is not None
        and target.id != entry.id
        and target.answerable
        and not (offered and target.kind == "flow" and target.flow == offered.name)
    ]
    buttons.append(runner.menu_button(kb))
    return Reply("\n\n".join(parts), tuple(buttons))


def _safe_answer(entry: Entry, kb: KnowledgeBase, today: date, also: tuple[str, ...] = ()) -> Reply | None:
    """The answer, or None when a figure cannot be rendered for that date (a knowledge fault that
    `kb validate` reports): the bot then falls back rather than state a figure it cannot source."""
    try:
        return answer_reply(entry, kb, today, also)
    except PolicyError:
        return None


def subject_reply(code: str, kb: KnowledgeBase) -> Reply | None:
    subject = kb.subject(code)
    if subject is None:
        return None
    entries = [kb.entries[i] for i in subject.entry_ids if kb.entries[i].answerable]
    buttons = [Button(e.title, OpenEntry(e.id).data()) for e in entries]
    buttons.append(runner.menu_button(kb))
    return Reply(kb.message("subject").format(title=subject.title), tuple(buttons))


def suggest_reply(decision: Decision, kb: KnowledgeBase) -> Reply:
    buttons = [Button(kb.entries[s.id].title, OpenEntry(s.id).data()) for s in decision.ranked]
    buttons.append(Button(kb.message("suggest_none"), MENU.data()))
    return Reply(kb.message("suggest"), tuple(buttons))


def _log(
    decision: str, normalised: str = "", matched: str | None = None, top: tuple[Scored, ...] = ()
) -> LogInteraction:
    return LogInteraction(normalised, decision, matched, tuple(Alternative(s.id, s.score) for s in top))


def _available_flow(name: str, kb: KnowledgeBase) -> Flow | None:
    flow = FLOWS.get(name)
    return flow if flow is not None and flow.available(kb) else None


def _offered_flow(entry: Entry, kb: KnowledgeBase) -> Flow | None:
    """The flow an answer offers with a "Tính cho tôi" button (entries of kind "flow" start theirs instead)."""
    return _available_flow(entry.flow, kb) if entry.flow and entry.kind != "flow" else None


def _started_flow(entry: Entry, kb: KnowledgeBase) -> Flow | None:
    """The flow an entry of kind "flow" starts when it is answered."""
    return _available_flow(entry.flow, kb) if entry.flow and entry.kind == "flow" else None


def _flow_log(flow: Flow, event: str) -> LogInteraction:
    """Flow steps are logged without what was typed (a date of birth, an income are personal)."""
    return _log(f"flow-{event}", matched=flow.name)


def _flow_outcome(turn: runner.Turn, session: Session, flow: Flow, effects: tuple[Effect, ...] = ()) -> Outcome:
    """A flow's turn as the chat's outcome: a calculator's result is remembered in one line, and given to the
    agent with a call-back request that follows."""
    log_effects = effects or (_flow_log(flow, turn.event),)
    flow_effects = tuple(
        replace(effect, calculation=session.calculation) if isinstance(effect, CreateLead) else effect
        for effect in turn.effects
    )
    session = replace(session, flow=turn.flow, offered=(), calculation=turn.summary or session.calculation)
    return Outcome(turn.replies, (*log_effects, *flow_effects), session)


def _with_resume(reply: Reply, session: Session, kb: KnowledgeBase) -> Reply:
    """An answer given in the middle of a flow gets a button back to it, first."""
    flow = FLOWS.get(session.flow.name) if session.flow else None
    if flow is None or session.flow is None:
        return reply
    return replace(reply, buttons=(runner.resume_button(flow, session.flow, kb), *reply.buttons))


def _wanted_calculation(entry: Entry, kb: KnowledgeBase, today: date, text: str) -> Flow | None:
    """The calculator an answer offers, when the question already gives its main figure ("mức đóng bhyt hộ gia
    đình cho 4 người", "đóng tự nguyện mức 5 triệu"): the citizen wants their own result, not the general
    answer. Its first step's answer, or two of its answers, must be in the question."""
    offered = _offered_flow(entry, kb)
    if offered is None or offered.extract is None or not text:
        return None
    found = offered.extract(text, Context(kb, today))
    return offered if offered.steps[0].key in found or len(found) >= 2 else None


def _answer(
    entry: Entry,
    session: Session,
    kb: KnowledgeBase,
    today: date,
    now: datetime | None,
    text: str = "",
    also: tuple[str, ...] = (),
) -> tuple[runner.Turn | None, Reply | None]:
    """An entry's answer, or the start of its flow; None when a figure cannot be rendered (see _safe_answer)."""
    started = _started_flow(entry, kb) or _wanted_calculation(entry, kb, today, text)
    if started is not None:
        turn = runner.start(started, kb, today, now, text)
        return turn, None
    reply = _safe_answer(entry, kb, today, also)
    return None, (None if reply is None else _with_resume(reply, session, kb))


def _on_text(
    inbound: Inbound, session: Session, kb: KnowledgeBase, today: date, matcher: Matcher, now: datetime | None
) -> Outcome:
    text = inbound.text.strip()
    if not text:
        return Outcome((menu_reply(kb, kb.message("empty")),), (_log("empty"),), session)
    too_long = len(text) > MAX_TEXT_CHARS
    decision = matcher.match(text[:MAX_TEXT_CHARS])
    effect = replace(_log(decision.kind, decision.normalised, decision.entry_id, decision.ranked), topic=decision.topic)
    if decision.kind == "answer" and decision.entry_id:
        entry = kb.entries[decision.entry_id]
        if entry.variants:  # another wording for some questions ("cảm ơn" under the greeting)
            entry = entry.variant_for(normalise(text, kb.lexicon.lexicon))
        turn, reply = _answer(entry, session, kb, today, now, text[:MAX_TEXT_CHARS], decision.also)
        if turn is not None:
            return _flow_outcome(turn, replace(session, last_entry=entry.id), FLOWS[entry.flow], (effect,))
        if reply is not None:
            new_session = replace(session, last_entry=entry.id, offered=())
            return Outcome((reply,), (effect,), new_session)
        effect = replace(effect, decision="error")
    if decision.kind == "suggest" and not too_long:
        offered = tuple(s.id for s in decision.ranked)
        return Outcome((suggest_reply(decision, kb),), (effect,), replace(session, offered=offered))
    if decision.kind == "uncovered" and not too_long:
        message = kb.message("uncovered").format(topic=decision.topic or kb.message("uncovered_this"))
        return Outcome((menu_reply(kb, message),), (effect,), replace(session, offered=()))
    message = kb.message("too_long" if too_long else "fallback")
    return Outcome((menu_reply(kb, message),), (effect,), replace(session, offered=()))


def _on_action(
    action: Action | None, session: Session, kb: KnowledgeBase, today: date, now: datetime | None
) -> Outcome:
    if action == MENU:
        return Outcome((_with_resume(menu_reply(kb, kb.message("greeting")), session, kb),), (_log("menu"),), session)
    if isinstance(action, OpenEntry) and action.entry_id in kb.entries and kb.entries[action.entry_id].answerable:
        entry = kb.entries[action.entry_id]
        turn, reply = _answer(entry, session, kb, today, now)
        if turn is not None:
            effect = _log("action", matched=entry.id)
            return _flow_outcome(turn, replace(session, last_entry=entry.id), FLOWS[entry.flow], (effect,))
        if reply is None:
            return Outcome((menu_reply(kb, kb.message("fallback")),), (_log("error", matched=entry.id),), session)
        return Outcome((reply,), (_log("action", matched=entry.id),), replace(session, last_entry=entry.id, offered=()))
    if isinstance(action, OpenSubject):
        reply = subject_reply(action.code, kb)
        if reply is not None:
            return Outcome((reply,), (_log("subject"),), session)
    return Outcome((menu_reply(kb, kb.message("stale")),), (_log("stale"),), session)


def _on_flow_action(
    pressed: FlowStep,
    session: Session,
    kb: KnowledgeBase,
    today: date,
    now: datetime | None,
    expired: FlowState | None,
) -> Outcome:
    name, step = pressed.flow, pressed.step
    flow = FLOWS.get(name)
    if flow is None:
        return Outcome((menu_reply(kb, kb.message("stale")),), (_log("stale"),), session)
    if not flow.available(kb):
        return Outcome((menu_reply(kb, kb.message("lead_not_available")),), (_log("unavailable"),), session)
    if not step:
        return _flow_outcome(runner.start(flow, kb, today, now), session, flow)
    was_expired = expired is not None and expired.name == name
    turn = runner.press(flow, session.flow, step, pressed.code, kb, today, now, was_expired)
    return _flow_outcome(turn, session, flow)


def _on_flow_input(
    inbound: Inbound,
    session: Session,
    flow: Flow,
    state: FlowState,
    kb: KnowledgeBase,
    today: date,
    matcher: Matcher,
    now: datetime | None,
) -> Outcome:
    """Free input while a flow waits: its answer; or, if it is not one, a new question answered with a
    button back to the flow; or the question again after a friendly word."""
    try:
        return _flow_outcome(runner.take(flow, state, inbound, kb, today, now), session, flow)
    except Invalid as invalid:
        not_understood = invalid
    if inbound.kind is InboundKind.TEXT and inbound.text.strip():
        decision = matcher.match(inbound.text.strip()[:MAX_TEXT_CHARS])
        entry = kb.entries[decision.entry_id] if decision.kind == "answer" and decision.entry_id else None
        if entry is not None and entry.kind != "smalltalk" and entry.flow != flow.name:  # clearly a new question
            return _on_text(inbound, session, kb, today, matcher, now)
    replies = runner.ask_again(flow, state, kb, not_understood)
    return Outcome(replies, (_flow_log(flow, "invalid"),), replace(session, flow=replace(state, touched_at=now)))


def _expired(flow: FlowState | None, now: datetime | None, idle: timedelta) -> bool:
    return flow is not None and now is not None and flow.touched_at is not None and now - flow.touched_at > idle


def decide(
    inbound: Inbound,
    session: Session,
    kb: KnowledgeBase,
    today: date,
    matcher: Matcher,
    *,
    now: datetime | None = None,
    flow_idle: timedelta = DEFAULT_FLOW_IDLE,
) -> Outcome:
    """What the bot answers to one inbound message, and the chat's next state.

    `today` is the date figures and results are for; `now` the time, to drop a flow idle longer than
    `flow_idle` (None: flows never expire, as in `python -m bot ask`).
    """
    before = session
    outcome = _decide(inbound, session, kb, today, matcher, now, flow_idle)
    return with_interest(outcome, before, kb)


def _erase(session: Session, kb: KnowledgeBase) -> Outcome:
    """/xoadulieu: the shell erases the chat's leads and signals; the session starts afresh (a flow in
    progress, with what it collected, is dropped). The call-back is not offered again unasked."""
    fresh = Session(session.chat, turns=session.turns, callback_offered=True)
    return Outcome((menu_reply(kb, kb.message("lead_erased")),), (_log("erase"), EraseMyData()), fresh)


def _decide(
    inbound: Inbound,
    session: Session,
    kb: KnowledgeBase,
    today: date,
    matcher: Matcher,
    now: datetime | None,
    flow_idle: timedelta,
) -> Outcome:
    session = replace(session, turns=session.turns + 1)
    action = parse_action(inbound.action) if inbound.kind is InboundKind.ACTION else None
    if inbound.kind is InboundKind.ERASE or isinstance(action, EraseData):
        return _erase(session, kb)
    expired = session.flow if _expired(session.flow, now, flow_idle) else None
    if expired is not None:
        session = replace(session, flow=None)
    if inbound.kind in (InboundKind.START, InboundKind.MENU):
        return Outcome((_with_resume(menu_reply(kb, kb.message("greeting")), session, kb),), (_log("menu"),), session)
    if inbound.kind is InboundKind.HELP:
        return Outcome((menu_reply(kb, kb.message("help")),), (_log("help"),), session)
    if inbound.kind is InboundKind.ACTION:
        if isinstance(action, FlowStep):
            return _on_flow_action(action, session, kb, today, now, expired)
        return _on_action(action, session, kb, today, now)
    state = session.flow
    flow = FLOWS.get(state.name) if state is not None else None
    if state is not None and flow is None:  # a flow this version does not have
        session = replace(session, flow=None)
    if state is not None and flow is not None:
        return _on_flow_input(inbound, session, flow, state, kb, today, matcher, now)
    if inbound.kind is InboundKind.TEXT:
        return _on_text(inbound, session, kb, today, matcher, now)
    return Outcome((menu_reply(kb, kb.message("unsupported")),), (_log("unsupported"),), session)
