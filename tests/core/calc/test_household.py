"""Household BHYT: the ladder of the fact sheet, exact to the đồng, and the note on who is not counted."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.calc import CalcError
from bot.core.calc.household import PERIODS, Cover, cover_of, household_contribution, near_poor_contribution
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


# -- who buys at the household rate, and what the others pay ---------------------------------------------------


def test_the_five_person_example_pays_for_the_three_who_buy_at_the_household_rate(policy: Policy) -> None:
    # "5 người: 2 vợ chồng, mẹ chồng 70 tuổi, con 8 tuổi đi học và con 3 tuổi": the child of 3 has a free card,
    # the pupil of 8 buys at school; the wife, the husband and the mother-in-law of 70 (under the social-pension
    # age of 75, so nothing pays her card) buy together. At lương cơ sở 2.530.000 đồng, 12 months:
    # 1st 2.530.000 × 4,5% = 113.850/month × 12 = 1.366.200; 2nd 70% = 79.695 × 12 = 956.340;
    # 3rd 60% = 68.310 × 12 = 819.720; total 3.142.260 đồng.
    covers = [
        cover_of(policy, TODAY, age, status)
        for age, status in [(None, ""), (None, ""), (70, ""), (8, "student"), (3, "")]
    ]
    assert covers == [Cover.HOUSEHOLD, Cover.HOUSEHOLD, Cover.HOUSEHOLD, Cover.STUDENT, Cover.CHILD]
    result = household_contribution(policy, TODAY, covers.count(Cover.HOUSEHOLD), 12)
    assert [member.amount for member in result.members] == [1_366_200, 956_340, 819_720]
    assert result.total == 3_142_260


@pytest.mark.parametrize(
    ("on", "months", "amounts", "total"),
    [
        # 2.530.000 × 4,5% = 113.850 a month; × 6 = 683.100; 70% of it 478.170; 60% 409.860.
        (TODAY, 6, [683_100, 478_170, 409_860], 1_571_130),
        # × 3 = 341.550; 70% 239.085; 60% 204.930.
        (TODAY, 3, [341_550, 239_085, 204_930], 785_565),
        # Before 01/07/2026, lương cơ sở 2.340.000: 105.300 a month; × 12 = 1.263.600; 70% 884.520; 60% 758.160.
        (BEFORE_RAISE, 12, [1_263_600, 884_520, 758_160], 2_906_280),
    ],
)
def test_three_paying_members_of_a_larger_household_by_hand(
    policy: Policy, on: date, months: int, amounts: list[int], total: int
) -> None:
    result = household_contribution(policy, on, 3, months)
    assert [member.amount for member in result.members] == amounts
    assert result.total == total


@pytest.mark.parametrize(
    ("age", "status", "cover"),
    [
        (0, "", Cover.CHILD),  # a newborn
        (5, "", Cover.CHILD),  # under 6: the State pays the card
        (5, "student", Cover.CHILD),  # a child of 5 at kindergarten still has the free card
        (6, "", Cover.HOUSEHOLD),  # from 6 the card is bought
        (8, "student", Cover.STUDENT),  # pupils buy at school
        (45, "employee", Cover.EMPLOYEE),
        (62, "pension", Cover.PENSION),
        (70, "", Cover.HOUSEHOLD),  # under 75 the social pension needs a poor or near-poor household
        (74, "", Cover.HOUSEHOLD),
        (75, "", Cover.ELDER),  # from 75 the card depends on a pension or allowance: the flow asks
        (80, "social", Cover.SOCIAL),
        (None, "", Cover.HOUSEHOLD),
        (None, "near-poor", Cover.NEAR_POOR),
    ],
)
def test_who_buys_at_the_household_rate(policy: Policy, age: int | None, status: str, cover: Cover) -> None:
    assert cover_of(policy, TODAY, age, status) is cover


@pytest.mark.parametrize(
    ("on", "months", "monthly", "amount"),
    [
        # 2.530.000 × 4,5% = 113.850; the State pays at least 70%, the member at most 30%: 34.155 a month.
        (TODAY, 12, 34_155, 409_860),
        (TODAY, 6, 34_155, 204_930),
        (TODAY, 3, 34_155, 102_465),
        # 2.340.000 × 4,5% = 105.300; 30% = 31.590 a month; × 12 = 379.080.
        (BEFORE_RAISE, 12, 31_590, 379_080),
    ],
)
def test_a_member_of_a_near_poor_household_pays_at_most_30_percent(
    policy: Policy, on: date, months: int, monthly: int, amount: int
) -> None:
    result = near_poor_contribution(policy, on, months)
    assert (result.monthly, result.amount, result.support_percent) == (monthly, amount, 70)
