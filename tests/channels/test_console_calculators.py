"""A calculator in the console chat: numbered buttons pressed by typing their number, answers typed freely."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from bot.channels.console import chat_loop
from bot.core.calc.household import household_contribution
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.render import money
from bot.core.types import Inbound, Outcome, Session
from tests.factories import TODAY


def test_a_household_calculation_in_the_console(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    session = Session("console")

    def handle(inbound: Inbound) -> Outcome:
        nonlocal session
        outcome = decide(inbound, session, real_kb, TODAY, real_matcher, now=datetime(2026, 11, 23, tzinfo=UTC))
        session = outcome.session or session
        return outcome

    out = io.StringIO()
    typed = "tính tiền bhyt cho cả nhà\nkhông biết\n4 người\n4\n1\n/quit\n"  # 4: "« Quay lại", 1: "1 người"
    chat_loop(handle, io.StringIO(typed), out)
    screen = out.getvalue()
    assert screen.count(real_kb.message("calc_hgd_members_q")) == 3  # asked, after the bad input, after Back
    assert f"{real_kb.message('calc_hgd_invalid_members')}\n\n{real_kb.message('calc_hgd_members_q')}" in screen
    assert "  [4] « Quay lại" in screen
    assert session.flow is not None and session.flow.step == "months"
    assert session.flow.answer("members") == 1

    out = io.StringIO()
    chat_loop(handle, io.StringIO("1\n2\n/quit\n"), out)  # a restart: 1 "Quay lại phép tính", 2 "6 tháng"
    assert f"Tổng cộng: {money(household_contribution(real_kb.policy, TODAY, 1, 6).total)}" in out.getvalue()
