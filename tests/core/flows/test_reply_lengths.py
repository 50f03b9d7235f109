"""The longest reply any flow can produce (issue 14): every flow is walked through every choice of every step,
with typical, extreme and wrong typed answers at the steps that take typed input, on the real knowledge base
(with leads.yaml and areas.yaml). No reply may be longer than one phone screen allows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.core.actions import FlowStep, OpenEntry, parse_action
from bot.core.engine import decide
from bot.core.flows import FLOWS
from bot.core.flows.base import BACK, CANCEL
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind, Outcome, Session
from tests.factories import TODAY

HARD_LIMIT = 1500  # characters: the most any reply may take (aim: 900)
CHAT = "test:lengths"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 09:00 in Hà Nội: office slots today and tomorrow
MAX_DECISIONS = 6000  # a bound on the walk, far above what the flows need today
# Typed answers tried at each step that takes typed input: typical, extreme, and one that is not an answer.
TYPED = {
    "income": ("5 triệu", "1 tỷ", "50 nghìn"),
    "birth": ("15/03/1975", "1960", "01/01/2008"),
    "total": ("12 năm", "35 năm", "2 tháng"),
    "before": ("0", "2 năm", "20 năm"),
    "stopped": ("06/2026", "01/2010"),
    "members": ("4", "9", "5 người: 2 vợ chồng, mẹ chồng 80 tuổi, con 8 tuổi đi học và con 3 tuổi"),
    "months": ("12", "3"),
    "name": ("Nguyễn Văn An", "Tôn Nữ Thị Phương Thảo"),
    "phone": ("0912345678", "1900 9068"),
    "place": ("Xã Đông Ngũ, huyện Tiên Yên",),
    "area": ("Tiên Yên", "không biết"),
    "call_time": ("chiều mai", "sau giờ tan ca"),
}
WRONG = "xyz"
STARTS = {flow: FlowStep(flow).data() for flow in FLOWS if flow != "lead"} | {"lead": OpenEntry("lead.tu-van").data()}


def inputs(outcome: Outcome, step: str) -> Iterator[Inbound]:
    """What a citizen may send at this step: each of its choices, and typed answers."""
    for button in outcome.replies[-1].buttons:
        action = parse_action(button.action)
        if isinstance(action, FlowStep) and action.step == step and action.code not in ("", BACK, CANCEL):
            yield Inbound(CHAT, InboundKind.ACTION, action=button.action)
    for text in (*TYPED.get(step, ()), WRONG):
        yield Inbound(CHAT, InboundKind.TEXT, text=text)


def walk(kb: KnowledgeBase, matcher: Matcher, flow: str) -> tuple[int, int, str]:
    """(decisions made, the longest reply's length, its first line) over every path through the flow."""
    start = decide(Inbound(CHAT, InboundKind.ACTION, action=STARTS[flow]), Session(CHAT), kb, TODAY, matcher, now=NOW)
    pending = [start]
    seen: set[str] = set()  # flow states already walked from (the session's turn count aside)
    decisions, longest, head = 1, 0, ""
    while pending and decisions < MAX_DECISIONS:
        outcome = pending.pop()
        for reply in outcome.replies:
            if len(reply.text) > longest:
                longest, head = len(reply.text), reply.text.splitlines()[0]
        session = outcome.session
        if session is None or session.flow is None or session.flow.name != flow or repr(session.flow) in seen:
            continue
        seen.add(repr(session.flow))
        for inbound in inputs(outcome, session.flow.step):
            pending.append(decide(inbound, session, kb, TODAY, matcher, now=NOW))
            decisions += 1
    assert decisions < MAX_DECISIONS, f"{flow}: the walk was cut short"
    return decisions, longest, head


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_no_reply_of_any_flow_is_longer_than_a_phone_screen_allows(
    kb: KnowledgeBase, matcher: Matcher, flow: str
) -> None:
    decisions, longest, head = walk(kb, matcher, flow)
    assert decisions > len(FLOWS[flow].steps)  # the walk went through the flow's steps
    assert longest <= HARD_LIMIT, (flow, longest, head)
