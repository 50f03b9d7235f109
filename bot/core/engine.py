"""The dialog engine: decide(inbound, session, kb, today, matcher) -> Outcome.

Pure: it reads no clock, stores nothing and sends nothing. The shell passes `today`, persists the
returned session and carries out the effects.

Button actions are opaque strings of at most 64 bytes:
  "m"            the main menu
  "s:<subject>"  the questions of one subject
  "a:<entry id>" the answer of one entry
Anything else, or an id that no longer exists, is a stale button: a polite word and the menu.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.matcher import Decision, Matcher
from bot.core.policy import PolicyError
from bot.core.render import UNCERTAIN_MARK, day, render_source
from bot.core.types import (
    MAX_ACTION_BYTES,
    Alternative,
    Button,
    Inbound,
    InboundKind,
    LogInteraction,
    Outcome,
    Reply,
    Session,
)

MENU_ACTION = "m"
MAX_TEXT_CHARS = 1000  # longer messages are matched on their beginning


def action_for_entry(entry_id: str) -> str:
    return f"a:{entry_id}"


def action_for_subject(code: str) -> str:
    return f"s:{code}"


def _checked(button: Button) -> Button:
    if len(button.action.encode()) > MAX_ACTION_BYTES:
        raise ValueError(f"button action longer than {MAX_ACTION_BYTES} bytes: {button.action!r}")
    return button


def menu_buttons(kb: KnowledgeBase) -> tuple[Button, ...]:
    buttons = []
    for item in kb.menu:
        if item.subject and kb.subject(item.subject):
            buttons.append(Button(item.label, action_for_subject(item.subject)))
        elif item.entry and item.entry in kb.entries:
            buttons.append(Button(item.label, action_for_entry(item.entry)))
    return tuple(_checked(b) for b in buttons)


def menu_button(kb: KnowledgeBase) -> Button:
    return Button(kb.message("menu_button"), MENU_ACTION)


def menu_reply(kb: KnowledgeBase, text: str) -> Reply:
    return Reply(text, menu_buttons(kb))


def answer_reply(entry: Entry, kb: KnowledgeBase, today: date) -> Reply:
    """Short answer, details, legal basis and review date, caveats, then follow-up buttons."""
    short, details = entry.render(kb.policy, today)
    parts = [short.text]
    if details.text:
        parts.append(details.text)
    footer = []
    if entry.sources:
        sources = dict.fromkeys(render_source(s, kb.policy, today) for s in entry.sources)
        footer.append(f"{kb.message('sources')}: {'; '.join(sources)}.")
    if entry.reviewed and entry.kind != "smalltalk":
        footer.append(f"{kb.message('updated')}: {day(entry.reviewed)}")
    if footer:
        parts.append("\n".join(footer))
    caveats = tuple(dict.fromkeys(short.caveats + details.caveats))
    if caveats:
        caveat_text = "; ".join(caveats)
        parts.append(f"{UNCERTAIN_MARK} {caveat_text[:1].upper()}{caveat_text[1:]}.")
    buttons = [
        Button(target.title, action_for_entry(target.id))
        for target in (kb.entries.get(i) for i in entry.followups)
        if target is not None and target.answerable
    ]
    buttons.append(menu_button(kb))
    return Reply("\n\n".join(parts), tuple(_checked(b) for b in buttons))


def _safe_answer(entry: Entry, kb: KnowledgeBase, today: date) -> Reply | None:
    """The answer, or None when a figure cannot be rendered for that date (a knowledge fault that
    `kb validate` reports): the bot then falls back rather than state a figure it cannot source."""
    try:
        return answer_reply(entry, kb, today)
    except PolicyError:
        return None


def subject_reply(code: str, kb: KnowledgeBase) -> Reply | None:
    subject = kb.subject(code)
    if subject is None:
        return None
    entries = [kb.entries[i] for i in subject.entry_ids if kb.entries[i].answerable]
    buttons = [Button(e.title, action_for_entry(e.id)) for e in entries]
    buttons.append(menu_button(kb))
    return Reply(kb.message("subject").format(title=subject.title), tuple(_checked(b) for b in buttons))


def suggest_reply(decision: Decision, kb: KnowledgeBase) -> Reply:
    buttons = [Button(kb.entries[s.id].title, action_for_entry(s.id)) for s in decision.ranked]
    buttons.append(Button(kb.message("suggest_none"), MENU_ACTION))
    return Reply(kb.message("suggest"), tuple(_checked(b) for b in buttons))


def _log(decision: str, normalised: str = "", matched: str | None = None, top: tuple = ()) -> LogInteraction:
    return LogInteraction(normalised, decision, matched, tuple(Alternative(s.id, s.score) for s in top))


def _on_text(inbound: Inbound, session: Session, kb: KnowledgeBase, today: date, matcher: Matcher) -> Outcome:
    text = inbound.text.strip()
    if not text:
        return Outcome((menu_reply(kb, kb.message("empty")),), (_log("empty"),), session)
    too_long = len(text) > MAX_TEXT_CHARS
    decision = matcher.match(text[:MAX_TEXT_CHARS])
    effect = _log(decision.kind, decision.normalised, decision.entry_id, decision.ranked)
    if decision.kind == "answer" and decision.entry_id:
        entry = kb.entries[decision.entry_id]
        reply = _safe_answer(entry, kb, today)
        if reply is not None:
            new_session = replace(session, last_entry=entry.id, offered=())
            return Outcome((reply,), (effect,), new_session)
        effect = replace(effect, decision="error")
    if decision.kind == "suggest" and not too_long:
        offered = tuple(s.id for s in decision.ranked)
        return Outcome((suggest_reply(decision, kb),), (effect,), replace(session, offered=offered))
    message = kb.message("too_long" if too_long else "fallback")
    return Outcome((menu_reply(kb, message),), (effect,), replace(session, offered=()))


def _on_action(inbound: Inbound, session: Session, kb: KnowledgeBase, today: date) -> Outcome:
    action = inbound.action
    kind, _, target = action.partition(":")
    if action == MENU_ACTION:
        return Outcome((menu_reply(kb, kb.message("greeting")),), (_log("menu"),), session)
    if kind == "a" and target in kb.entries and kb.entries[target].answerable:
        entry = kb.entries[target]
        reply = _safe_answer(entry, kb, today)
        if reply is None:
            return Outcome((menu_reply(kb, kb.message("fallback")),), (_log("error", matched=entry.id),), session)
        return Outcome((reply,), (_log("action", matched=entry.id),), replace(session, last_entry=entry.id, offered=()))
    if kind == "s":
        reply = subject_reply(target, kb)
        if reply is not None:
            return Outcome((reply,), (_log("subject"),), session)
    return Outcome((menu_reply(kb, kb.message("stale")),), (_log("stale"),), session)


def decide(inbound: Inbound, session: Session, kb: KnowledgeBase, today: date, matcher: Matcher) -> Outcome:
    """What the bot answers to one inbound message, and the chat's next state."""
    session = replace(session, turns=session.turns + 1)
    if inbound.kind in (InboundKind.START, InboundKind.MENU):
        return Outcome((menu_reply(kb, kb.message("greeting")),), (_log("menu"),), session)
    if inbound.kind is InboundKind.HELP:
        return Outcome((menu_reply(kb, kb.message("help")),), (_log("help"),), session)
    if inbound.kind is InboundKind.ACTION:
        return _on_action(inbound, session, kb, today)
    if inbound.kind is InboundKind.TEXT:
        return _on_text(inbound, session, kb, today, matcher)
    return Outcome((menu_reply(kb, kb.message("unsupported")),), (_log("unsupported"),), session)
