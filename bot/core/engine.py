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

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.core.actions import (
    ERASE,
    MENU,
    Action,
    EraseData,
    FlowStep,
    KeepData,
    OpenEntry,
    OpenSubject,
    ShowBasis,
    parse_action,
)
from bot.core.address import addressed
from bot.core.citations import Citation, distinct, figure_citations, short_line, source_citations
from bot.core.conversation import carried_on, greeting
from bot.core.flows import CALCULATORS, FLOWS, runner
from bot.core.flows.base import Context, Flow, Invalid
from bot.core.flows.questions import looks_like_question
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.leads.my_data import DataRequest, erase_confirmation, typed_request
from bot.core.leads.offer import with_interest
from bot.core.matcher import Decision, Matcher, Scored
from bot.core.policy import PolicyError
from bot.core.render import Footnotes, day
from bot.core.text import normalise, tokens
from bot.core.types import (
    Alternative,
    Answer,
    Button,
    CreateLead,
    Effect,
    EraseMyData,
    FlowFigure,
    FlowState,
    Inbound,
    InboundKind,
    LogInteraction,
    Outcome,
    Reply,
    Session,
    ShowMyData,
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
    citations = answer_citations(entry, kb, today)
    if citations:  # the one or two most relevant; the whole list is behind the basis button
        footer.append(f"{kb.message('sources')}: {short_line(citations)}.")
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
    if citations and entry.kind != "smalltalk":
        buttons.append(Button(kb.message("basis_button"), ShowBasis(entry.id).data()))
    buttons.append(runner.menu_button(kb))
    return Reply("\n\n".join(parts), tuple(buttons))


def answer_citations(entry: Entry, kb: KnowledgeBase, today: date) -> tuple[Citation, ...]:
    """Every citation an answer rests on, each once: the entry's sources, then the bases of its figures."""
    sources = source_citations(entry.sources, kb.policy, today, entry.effective)
    return distinct((*sources, *figure_citations((entry.short, entry.details), kb.policy, today)))


def basis_reply(entry: Entry, kb: KnowledgeBase, today: date) -> Reply:
    """The "Xem căn cứ pháp lý" button: every citation of the answer with the date it applies from, a button
    back to the answer (not for a calculator's entry: opening it starts the calculator again)."""
    listed = [
        f"• {c.text} ({kb.message('basis_since').format(date=day(c.since))})" if c.since else f"• {c.text}"
        for c in answer_citations(entry, kb, today)
    ]
    parts = [kb.message("basis_title").format(title=entry.title), *listed]
    if entry.reviewed:
        parts.append(f"{kb.message('updated')}: {day(entry.reviewed)}")
    back = [] if entry.kind == "flow" else [Button(kb.message("basis_back"), OpenEntry(entry.id).data())]
    return Reply("\n".join(parts), (*back, runner.menu_button(kb)))


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


OUT_OF_SCOPE_REASON = "out of scope"  # the matcher's reason for a fallback outside the field
OUT_OF_SCOPE_LOG = "out-of-scope"  # the interaction log's decision for it


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
    if turn.event == "result" and flow.name in CALCULATORS:
        session = replace(session, last_flow=flow.name, last_inputs=turn.answers, last_result_turn=session.turns)
    return Outcome(turn.replies, (*log_effects, *flow_effects), session)


FOLLOW_UP_TURNS = 2  # a message changes the last result only this many messages after it, at most
# Words that mark a message as a follow-up to what was just said ("còn hộ cận nghèo thì sao", "nếu 12 tháng",
# "vậy tính lại 3 người thôi"), folded: such a message changes the last result even if it reads like a question.
FOLLOW_UP_OPENINGS = ("con", "neu", "the con", "the neu", "tinh lai", "vay con", "vay neu", "vay tinh lai", "vay thi")
FOLLOW_UP_ENDINGS = ("thi sao", "thi sao a", "thi sao nhi", "thi the nao", "thi bao nhieu")


FOLLOW_UP_WORDS = 12  # a longer message is a question of its own, not a follow-up
FOLLOW_UP_BARE_WORDS = 5  # without a follow-up word, only a few words ("6 tháng", "3 người thôi") change a result


def _is_follow_up(text: str, kb: KnowledgeBase) -> bool:
    """A short message that opens or ends like a follow-up: "còn hộ cận nghèo thì sao", "nếu 12 tháng",
    "vậy tính lại 3 người thôi", "mẹ chồng chị 70 tuổi thì sao"."""
    words = normalise(text, kb.lexicon.lexicon)
    said = " ".join(words)
    return len(words) <= FOLLOW_UP_WORDS and (
        any(said.startswith(f"{cue} ") for cue in FOLLOW_UP_OPENINGS) or said.endswith(FOLLOW_UP_ENDINGS)
    )


def _in_context(decision: Decision, text: str, session: Session, kb: KnowledgeBase, matcher: Matcher) -> Decision:
    """A short follow-up to the answer just given ("còn hộ cận nghèo thì sao" after the voluntary contribution
    levels, "mẹ chồng chị 70 tuổi thì sao" after household BHYT) is read against it: matched again after the
    title of that answer's subject (then of the answer itself), and taken when that answers an entry of the same
    subject (or the calculator it offers) and the message alone does not."""
    last = kb.entries.get(session.last_entry) if session.last_entry else None
    if last is None or session.turns - session.last_entry_turn > FOLLOW_UP_TURNS or not _is_follow_up(text, kb):
        return decision
    if decision.kind == "answer" and decision.entry_id and kb.entries[decision.entry_id].subject == last.subject:
        return decision
    subject = kb.subject(last.subject)
    for topic in dict.fromkeys((subject.title if subject else last.title, last.title)):
        again = matcher.match(f"{topic} {text}")
        entry = kb.entries.get(again.entry_id) if again.kind == "answer" and again.entry_id else None
        if entry is not None and (entry.subject == last.subject or (entry.flow and entry.flow == last.flow)):
            return again
    return decision


def _follow_up(
    inbound: Inbound, session: Session, kb: KnowledgeBase, today: date, matcher: Matcher, now: datetime | None
) -> Outcome | None:
    """A message soon after a calculator's result that changes some of its inputs ("nếu 12 tháng thì sao",
    "còn hộ cận nghèo thì sao", "vậy tính lại 3 người thôi", "6 tháng"): the same calculator again with the
    changes, without asking again for what the citizen already gave. None (the matcher decides as usual) unless
    the message reads as a follow-up (or is only a few words the matcher does not answer otherwise) and every
    change is one its step accepts."""
    flow = FLOWS.get(session.last_flow)
    if flow is None or not session.last_inputs or session.turns - session.last_result_turn > FOLLOW_UP_TURNS:
        return None
    read = flow.revise  # only calculators that say how a follow-up changes them ("thêm 5 năm" is no total)
    text = inbound.text.strip()[:MAX_TEXT_CHARS]
    if read is None or not text:
        return None
    follow_up = _is_follow_up(text, kb)
    if not follow_up:
        if len(normalise(text, kb.lexicon.lexicon)) > FOLLOW_UP_BARE_WORDS:
            return None
        decision = matcher.match(text)
        entry = kb.entries.get(decision.entry_id) if decision.kind == "answer" and decision.entry_id else None
        if entry is not None and entry.kind != "smalltalk" and entry.flow != flow.name:  # clearly a new question
            return None
    previous = dict(session.last_inputs)
    context = Context(kb, today, previous)
    changes = {key: value for key, value in read(text, context).items() if previous.get(key) != value}
    # A change its step refuses ("nếu 1 tháng thì sao") is asked again with the reason, the rest kept; without a
    # follow-up word such a message is not taken as a change at all.
    if not changes or not (follow_up or all(_accepted(flow, key, value, context) for key, value in changes.items())):
        return None
    turn = runner.start(flow, kb, today, now, answers=previous | changes, intro=False)
    return _flow_outcome(turn, session, flow)


def _accepted(flow: Flow, key: str, value: Answer, context: Context) -> bool:
    """A follow-up's change is taken only when its step would take it ("1 tháng" is no household period)."""
    step = flow.step(key)
    if step is None or step.check is None:
        return step is not None
    try:
        step.check(value, context)
    except Invalid:
        return False
    return True


def _with_resume(reply: Reply, session: Session, kb: KnowledgeBase) -> Reply:
    """An answer given in the middle of a flow gets a button back to it, first."""
    flow = FLOWS.get(session.flow.name) if session.flow else None
    if flow is None or session.flow is None:
        return reply
    return replace(reply, buttons=(runner.resume_button(flow, session.flow, kb), *reply.buttons))


def _resumable(outcome: Outcome, session: Session, kb: KnowledgeBase) -> Outcome:
    """An outcome that leaves the flow of `session` waiting gets the button back to it (on its last reply),
    unless a reply has it already (an answer: see _with_resume)."""
    state = session.flow
    flow = FLOWS.get(state.name) if state is not None else None
    if flow is None or state is None or outcome.session is None or outcome.session.flow != state:
        return outcome
    button = runner.resume_button(flow, state, kb)
    if not outcome.replies or any(button in reply.buttons for reply in outcome.replies):
        return outcome
    last = outcome.replies[-1]
    return replace(outcome, replies=(*outcome.replies[:-1], replace(last, buttons=(button, *last.buttons))))


def _wanted_calculation(
    entry: Entry, kb: KnowledgeBase, today: date, text: str, figures: Mapping[str, Answer] | None = None
) -> Flow | None:
    """The calculator an answer offers, when the question already gives its main figure ("mức đóng bhyt hộ gia
    đình cho 4 người", "đóng tự nguyện mức 5 triệu"): the citizen wants their own result, not the general
    answer. Its first step's answer, or two of its answers, must be in the question (or in `figures`, those
    of a question answered with suggestions)."""
    offered = _offered_flow(entry, kb)
    read = offered.wants or offered.extract if offered is not None else None
    if offered is None or read is None or not (text or figures):
        return None
    found = {**(figures or {}), **(read(text, Context(kb, today)) if text else {})}
    return offered if offered.steps[0].key in found or len(found) >= 2 else None


def _question_figures(ids: tuple[str, ...], kb: KnowledgeBase, today: date, text: str) -> tuple[FlowFigure, ...]:
    """The figures a question gives for the calculators of the entries offered as suggestions ("hộ cận nghèo 3
    triệu 3 tháng"): kept, so that picking one of them does not ask for them again."""
    found: list[FlowFigure] = []
    names = dict.fromkeys(kb.entries[i].flow for i in ids if i in kb.entries and kb.entries[i].flow)
    for name in names:
        flow = _available_flow(name, kb)
        if flow is not None and flow.extract is not None:
            found += [(flow.name, key, value) for key, value in flow.extract(text, Context(kb, today)).items()]
    return tuple(found)


def _extracted(entry: Entry, kb: KnowledgeBase, today: date, text: str) -> dict[str, Answer]:
    """What a message gives for the calculator an entry offers."""
    flow = _offered_flow(entry, kb)
    return flow.extract(text, Context(kb, today)) if flow is not None and flow.extract is not None else {}


def _figures_for(entry: Entry, session: Session) -> dict[str, Answer]:
    """The figures kept from the question that offered this entry as a suggestion, for its calculator."""
    if entry.id not in session.offered or not entry.flow:
        return {}
    return {key: value for name, key, value in session.offered_figures if name == entry.flow}


def _answer(
    entry: Entry,
    session: Session,
    kb: KnowledgeBase,
    today: date,
    now: datetime | None,
    text: str = "",
    also: tuple[str, ...] = (),
    figures: Mapping[str, Answer] | None = None,
) -> tuple[runner.Turn | None, Reply | None]:
    """An entry's answer, or the start of its flow (with `figures` already given); None when a figure cannot be
    rendered (see _safe_answer)."""
    started = _started_flow(entry, kb) or _wanted_calculation(entry, kb, today, text, figures)
    if started is not None:
        turn = runner.start(started, kb, today, now, text, answers=figures)
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
    alone = matcher.match(text[:MAX_TEXT_CHARS])
    decision = _in_context(alone, text[:MAX_TEXT_CHARS], session, kb, matcher)
    # Out of scope (gold prices, loans) is logged apart from "not understood": staff's inbox is for the latter.
    logged = OUT_OF_SCOPE_LOG if decision.reason.startswith(OUT_OF_SCOPE_REASON) else decision.kind
    effect = replace(_log(logged, decision.normalised, decision.entry_id, decision.ranked), topic=decision.topic)
    if decision.kind == "answer" and decision.entry_id:
        entry = kb.entries[decision.entry_id]
        chosen = entry
        if entry.variants:  # another wording for some questions ("cảm ơn" under the greeting)
            chosen = entry.variant_for(tokens(text), normalise(text, kb.lexicon.lexicon))
        entry, session = greeting(entry, chosen, session, kb)  # greeted in full once per conversation
        # read against the answer before ("mẹ chồng chị 70 tuổi thì sao"): what it gives is the citizen's figure
        given = _extracted(entry, kb, today, text[:MAX_TEXT_CHARS]) if decision is not alone else None
        turn, reply = _answer(entry, session, kb, today, now, text[:MAX_TEXT_CHARS], decision.also, given)
        if turn is not None:
            return _flow_outcome(turn, replace(session, last_entry=entry.id), FLOWS[entry.flow], (effect,))
        if reply is not None:
            new_session = replace(session, last_entry=entry.id, offered=(), last_entry_turn=session.turns)
            return Outcome((reply,), (effect,), new_session)
        effect = replace(effect, decision="error")
    if decision.kind == "suggest" and not too_long:
        offered = tuple(s.id for s in decision.ranked)
        figures = _question_figures(offered, kb, today, text[:MAX_TEXT_CHARS])
        return Outcome(
            (suggest_reply(decision, kb),), (effect,), replace(session, offered=offered, offered_figures=figures)
        )
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
        turn, reply = _answer(entry, session, kb, today, now, figures=_figures_for(entry, session))
        if turn is not None:
            effect = _log("action", matched=entry.id)
            return _flow_outcome(turn, replace(session, last_entry=entry.id), FLOWS[entry.flow], (effect,))
        if reply is None:
            return Outcome((menu_reply(kb, kb.message("fallback")),), (_log("error", matched=entry.id),), session)
        answered = replace(session, last_entry=entry.id, offered=(), last_entry_turn=session.turns)
        return Outcome((reply,), (_log("action", matched=entry.id),), answered)
    if isinstance(action, KeepData):  # "Không" under the typed erase's question
        return Outcome(
            (_with_resume(menu_reply(kb, kb.message("lead_erase_kept")), session, kb),), (_log("keep"),), session
        )
    if isinstance(action, ShowBasis) and action.entry_id in kb.entries:
        entry = kb.entries[action.entry_id]
        try:
            reply = _with_resume(basis_reply(entry, kb, today), session, kb)
        except PolicyError:
            return Outcome((menu_reply(kb, kb.message("fallback")),), (_log("error", matched=entry.id),), session)
        return Outcome((reply,), (_log("basis", matched=entry.id),), session)
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
        if looks_like_question(inbound.text) and (entry is None or entry.flow != flow.name or entry.kind != "flow"):
            # "có mất phí không?" where a phone number is expected, "rút một lần có thiệt không" where the pension
            # calculator asks nam/nữ: answered (or choices offered), with the way back; only the calculator's own
            # entry ("tính giúp tôi") asks the step again
            return _resumable(_on_text(inbound, session, kb, today, matcher, now), session, kb)
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
    session = carried_on(session, inbound, kb, now, flow_idle)
    outcome = _decide(inbound, session, kb, today, matcher, now, flow_idle)
    return addressed(with_interest(outcome, before, kb))  # "bác" instead of "bạn" for who said so


def _erase(session: Session, kb: KnowledgeBase) -> Outcome:
    """/xoadulieu: the shell erases the chat's leads and signals; the session starts afresh (a flow in
    progress, with what it collected, is dropped). The call-back is not offered again unasked."""
    fresh = Session(session.chat, turns=session.turns, callback_offered=True)
    return Outcome((menu_reply(kb, kb.message("lead_erased")),), (_log("erase"), EraseMyData()), fresh)


def _data_request(request: DataRequest, session: Session, kb: KnowledgeBase) -> Outcome:
    """/dulieu or its typed words: the shell lists what it keeps (ShowMyData). A typed "xóa dữ liệu của tôi":
    asked once, "Xóa" then erases as /xoadulieu. A flow in progress stays."""
    if request is DataRequest.SHOW:
        return Outcome((), (_log("my-data"), ShowMyData()), session)
    return Outcome((_with_resume(erase_confirmation(kb), session, kb),), (_log("erase-asked"),), session)


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
        session = replace(session, greeted=True)
        return Outcome((_with_resume(menu_reply(kb, kb.message("greeting")), session, kb),), (_log("menu"),), session)
    if inbound.kind is InboundKind.HELP:
        return Outcome((menu_reply(kb, kb.message("help")),), (_log("help"),), session)
    request = DataRequest.SHOW if inbound.kind is InboundKind.MY_DATA else typed_request(inbound, kb)
    if request is not None:
        return _data_request(request, session, kb)
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
        followed = _follow_up(inbound, session, kb, today, matcher, now)
        return followed or _on_text(inbound, session, kb, today, matcher, now)
    return Outcome((menu_reply(kb, kb.message("unsupported")),), (_log("unsupported"),), session)
