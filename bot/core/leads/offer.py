"""Interest signals and the one offer of a free call-back, read off what the engine decided in a turn.

A turn that answered an entry listed under `signals:` in leads.yaml, finished a calculator or started a
call-back request records a signal (RecordInterest: the kind and topic, nothing personal) once per kind and
topic; the chat's session keeps them as "kind|topic". Once they weigh the configured threshold the bot adds
an offer of a call-back under its answer, once per chat: never during a flow, never under a calculator's
result (it has its own "Hỏi cán bộ tư vấn"), never after the citizen asked for one or left one.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.actions import MENU, FlowStep
from bot.core.flows import CALCULATORS, LEAD
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.interest import SignalKind, offer_due, parse_signal_key, signal_key
from bot.core.leads.setup import LeadSetup
from bot.core.types import Button, CreateLead, LogInteraction, Outcome, RecordInterest, Reply, Session


def _in_lead(session: Session) -> bool:
    return session.flow is not None and session.flow.name == LEAD


def _signals_of(outcome: Outcome, before: Session, setup: LeadSetup) -> list[tuple[SignalKind, str | None]]:
    """What this turn showed of the chat's interest, read off what the engine decided."""
    found: list[tuple[SignalKind, str | None]] = []
    after = outcome.session
    if after is not None and _in_lead(after) and not _in_lead(before):
        found.append((SignalKind.ASKED_FOR_ADVICE, after.last_entry))  # where it was asked from
    for effect in outcome.effects:
        if not isinstance(effect, LogInteraction) or effect.matched_id is None:
            continue
        if effect.decision in ("answer", "action") and effect.matched_id in setup.signal_topics:
            found.append((setup.signal_topics[effect.matched_id], effect.matched_id))
        elif effect.decision == "flow-result" and effect.matched_id in CALCULATORS:
            found.append((SignalKind.FINISHED_CALCULATOR, effect.matched_id))
    return found


def _is_result(outcome: Outcome) -> bool:
    """A calculator's result: it has its own "Hỏi cán bộ tư vấn" button, so no offer is added under it."""
    return any(isinstance(e, LogInteraction) and e.decision == "flow-result" for e in outcome.effects)


def with_interest(outcome: Outcome, before: Session, kb: KnowledgeBase) -> Outcome:
    """Record the interest the turn showed (once per kind and topic) and, once the chat's signals weigh
    enough, offer the free call-back: once per chat, never during a flow, never after it was asked for."""
    setup = kb.leads
    session = outcome.session
    if setup is None or session is None:
        return outcome
    known = set(session.interest)
    new = [pair for pair in dict.fromkeys(_signals_of(outcome, before, setup)) if signal_key(*pair) not in known]
    effects = [*outcome.effects, *(RecordInterest(kind.value, topic) for kind, topic in new)]
    session = replace(session, interest=(*session.interest, *(signal_key(*pair) for pair in new)))
    explicit = any(kind is SignalKind.ASKED_FOR_ADVICE for kind, _ in new)
    lead_made = any(isinstance(effect, CreateLead) for effect in outcome.effects)
    replies = outcome.replies
    if explicit or lead_made:
        session = replace(session, callback_offered=True)
    elif not session.callback_offered and session.flow is None and new and not _is_result(outcome):
        pairs = [pair for pair in map(parse_signal_key, session.interest) if pair is not None]
        if offer_due(pairs, setup.rule):
            offer = Reply(
                kb.message("lead_offer"),
                (
                    Button(kb.message("lead_offer_yes"), FlowStep(LEAD).data()),
                    Button(kb.message("lead_offer_no"), MENU.data()),
                ),
            )
            replies = (*replies, offer)
            effects.append(RecordInterest(SignalKind.OFFERED.value))
            session = replace(session, callback_offered=True)
    return Outcome(replies, tuple(effects), session)
