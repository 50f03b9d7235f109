"""Household BHYT: the ladder of the fact sheet, exact to the đồng, and the note on who is not counted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.calc import CalcError
from bot.core.calc.household import PERIODS, household_contribution
from bot.core.knowledge import KnowledgeBase
from bot.core.policy import Policy
from tests.factories import BEFORE_RAISE, RAISE_DAY, TODAY

LADDER_2_530_000 = [1_366_200, 956_340, 819_720, 683_100, 546_480, 546_480]
LADDER_2_340_000 = [1_263_600, 884_520, 758_160, 631_800, 505_440, 505_440]


@pytest.mark.parametrize("members", range(1, 7))
def test_household_ladder_for_12_months_at_base_salary_2_530_000(policy: Policy, members: int) -> None:
    result = household_contribution(policy, TODAY, members, 12)
    assert [member.amount for member in result.members] == LADDER_2_530_000[:members]
    assert result.total == sum(LADDER_2_530_000[:members])


@pytest.mark.parametrize("members", range(1, 7))
def test_household_ladder_for_12_months_at_base_salary_2_340_000(policy: Policy, members: int) -> None:
    result = household_contribution(policy, BEFORE_RAISE, members, 12)
    assert [member.amount for member in result.members] == LADDER_2_340_000[:members]
    assert result.total == sum(LADDER_2_340_000[:members])


def test_second_household_member_pays_70_percent_of_the_first(policy: Policy) -> None:
    first, second = household_contribution(policy, TODAY, 2, 12).members
    assert (first.share_percent, second.share_percent) == (100, 70)
    assert (first.monthly, second.monthly) == (113_850, 79_695)


def test_fifth_and_later_members_pay_40_percent(policy: Policy) -> None:
    members = household_contribution(policy, TODAY, 8, 12).members
    assert [m.share_percent for m in members] == [100, 70, 60, 50, 40, 40, 40, 40]
    assert [m.position for m in members] == list(range(1, 9))


def test_a_household_of_four_pays_3_825_360_for_a_year(policy: Policy) -> None:
    assert household_contribution(policy, TODAY, 4, 12).total == 3_825_360


@pytest.mark.parametrize(("months", "first", "second"), [(3, 341_550, 239_085), (6, 683_100, 478_170)])
def test_shorter_periods_pay_their_months(policy: Policy, months: int, first: int, second: int) -> None:
    result = household_contribution(policy, TODAY, 2, months)
    assert [m.amount for m in result.members] == [first, second]


@pytest.mark.parametrize("months", [1, 2, 9, 24])
def test_a_period_other_than_3_6_or_12_months_is_refused(policy: Policy, months: int) -> None:
    with pytest.raises(CalcError, match="3, 6 hoặc 12"):
        household_contribution(policy, TODAY, 2, months)


@pytest.mark.parametrize("members", [0, -1, 100])
def test_the_number_of_members_must_be_at_least_one(policy: Policy, members: int) -> None:
    with pytest.raises(CalcError, match="Số người"):
        household_contribution(policy, TODAY, members, 12)


def test_the_first_member_pays_more_from_1_july_2026(policy: Policy) -> None:
    before = household_contribution(policy, BEFORE_RAISE, 1, 12)
    after = household_contribution(policy, RAISE_DAY, 1, 12)
    assert (before.on, before.base_salary, before.total) == (BEFORE_RAISE, 2_340_000, 1_263_600)
    assert (after.on, after.base_salary, after.total) == (RAISE_DAY, 2_530_000, 1_366_200)
    assert "Nghị định 73/2024/NĐ-CP" in before.bases
    assert "Nghị định 161/2026/NĐ-CP, Điều 3 khoản 2" in after.bases


def test_result_cites_the_decree_on_the_ladder(policy: Policy) -> None:
    assert "Nghị định 188/2025/NĐ-CP, Điều 6 khoản 5" in household_contribution(policy, TODAY, 3, 12).bases


def test_the_note_on_who_is_not_counted_is_kept_in_the_knowledge_base(real_kb: KnowledgeBase) -> None:
    note = real_kb.message("calc_household_note")
    for who in ("lương hưu", "trẻ em dưới 6 tuổi", "học sinh, sinh viên", "hộ nghèo"):
        assert who in note


@given(st.integers(min_value=1, max_value=30), st.sampled_from(PERIODS))
def test_no_member_pays_more_than_the_one_before_and_the_total_is_their_sum(
    policy: Policy, members: int, months: int
) -> None:
    result = household_contribution(policy, TODAY, members, months)
    amounts = [m.amount for m in result.members]
    assert len(amounts) == members
    assert amounts == sorted(amounts, reverse=True)
    assert result.total == sum(amounts)
