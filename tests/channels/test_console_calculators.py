"""A calculator in the console chat: lettered buttons pressed by typing their letter, answers (numbers too)
typed freely."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.channels.console import chat_loop
from bot.core.calc.household import household_contribution
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.render import money
from bot.core.types import Inbound, Outcome, Session
from tests.factories import TODAY

Handle = Callable[[Inbound], Outcome]


class Console:
    """One console chat on the real knowledge base, its session kept between runs of the loop."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher) -> None:
        self.kb, self.matcher = kb, matcher
        self.session = Session("console")

    def handle(self, inbound: Inbound) -> Outcome:
        outcome = decide(inbound, self.session, self.kb, TODAY, self.matcher, now=datetime(2026, 11, 23, tzinfo=UTC))
        self.session = outcome.session or self.session
        return outcome

    def run(self, typed: str) -> str:
        out = io.StringIO()
        chat_loop(self.handle, io.StringIO(typed + "/quit\n"), out)
        return out.getvalue()


@pytest.fixture
def console(real_kb: KnowledgeBase, real_matcher: Matcher) -> Console:
    return Console(real_kb, real_matcher)


def total(kb: KnowledgeBase, members: int, months: int) -> str:
    return f"Tổng cộng: {money(household_contribution(kb.policy, TODAY, members, months).total)}"


def test_a_household_calculation_in_the_console(console: Console, real_kb: KnowledgeBase) -> None:
    screen = console.run("tính tiền bhyt cho cả nhà\nkhông biết\n4 người\nd\n1\n")  # d: "« Quay lại"; 1: one person
    assert screen.count(real_kb.message("calc_hgd_members_q")) == 3  # asked, after the bad input, after Back
    assert f"{real_kb.message('calc_hgd_invalid_members')}\n\n{real_kb.message('calc_hgd_members_q')}" in screen
    assert "  [d] « Quay lại" in screen
    assert console.session.flow is not None and console.session.flow.step == "months"
    assert console.session.flow.answer("members") == 1

    screen = console.run("1\n6\n")  # a restart: 1 "Quay lại phép tính" on the menu, then 6 months typed
    assert "  [1] Quay lại phép tính" in screen
    assert total(real_kb, 1, 6) in screen


def test_a_number_typed_at_the_members_question_is_that_many_people(console: Console, real_kb: KnowledgeBase) -> None:
    # Six buttons are on screen ("1 người" … "5 người", "Hủy"): "6" is still six people, and "3" three months
    # although the third button of the next question is "12 tháng".
    screen = console.run("tính tiền bhyt cho cả nhà\n6\n3\n")
    assert "  [f] Hủy" in screen
    assert total(real_kb, 6, 3) in screen
    assert console.session.flow is None


def test_letters_press_the_calculator_buttons(console: Console, real_kb: KnowledgeBase) -> None:
    screen = console.run("tính tiền bhyt cho cả nhà\nb\nC\n")  # "2 người", then "12 tháng"
    assert total(real_kb, 2, 12) in screen


def test_the_result_buttons_are_numbered_again(console: Console, real_kb: KnowledgeBase) -> None:
    screen = console.run("tính tiền bhyt cho cả nhà\n2\n6\n1\n")  # 1 under the result: "Tính lại"
    assert f"  [1] {real_kb.message('flow_restart')}" in screen
    assert screen.count(real_kb.message("calc_hgd_members_q")) == 2
    assert console.session.flow is not None and console.session.flow.step == "members"
