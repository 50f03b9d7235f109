"""Voluntary BHXH contribution: the worked examples of the fact sheet, exact to the đồng."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.calc import CalcError
from bot.core.calc.support import SupportGroup
from bot.core.calc.voluntary import PERIODS, UncertainMinimum, voluntary_contribution
from bot.core.policy import Policy
from bot.core.render import to_dong
from tests.factories import BEFORE_RAISE, RAISE_DAY, TODAY

NEW_POVERTY_LINE = date(2027, 1, 1)  # the rural poverty line, hence the minimum income, becomes 2.200.000


@pytest.mark.parametrize(
    ("group", "citizen_pays"),
    [("poor", 165_000), ("island", 165_000), ("near-poor", 198_000), ("ethnic", 231_000), ("other", 264_000)],
)
def test_minimum_monthly_payment_per_support_group_on_23_november_2026(
    policy: Policy, group: str, citizen_pays: int
) -> None:
    result = voluntary_contribution(policy, TODAY, 1_500_000, [group], 1)
    assert result.total == 330_000
    assert result.citizen_pays == citizen_pays
    assert result.minimum_citizen_pays_per_month == citizen_pays


def test_others_at_5_million_for_12_months_pay_12_408_000(policy: Policy) -> None:
    result = voluntary_contribution(policy, TODAY, 5_000_000, ["other"], 12)
    assert (result.monthly_contribution, result.monthly_support) == (1_100_000, 66_000)
    assert (result.total, result.state_support, result.citizen_pays) == (13_200_000, 792_000, 12_408_000)
    assert result.minimum_citizen_pays_per_month == 264_000


def test_support_is_computed_on_the_minimum_income_not_on_the_chosen_one(policy: Policy) -> None:
    low = voluntary_contribution(policy, TODAY, 1_500_000, ["poor"], 6)
    high = voluntary_contribution(policy, TODAY, 20_000_000, ["poor"], 6)
    assert low.state_support == high.state_support == 6 * 165_000


def test_a_person_in_several_groups_gets_the_highest_rate(policy: Policy) -> None:
    result = voluntary_contribution(policy, TODAY, 1_500_000, ["ethnic", "near-poor"], 1)
    assert result.group is SupportGroup.NEAR_POOR
    assert result.support_rate_percent == 40
    assert result.citizen_pays == 198_000


def test_no_group_given_means_other_participants(policy: Policy) -> None:
    result = voluntary_contribution(policy, TODAY, 1_500_000)
    assert result.group is SupportGroup.OTHER
    assert (result.months, result.citizen_pays) == (1, 264_000)


def test_an_unknown_group_is_refused_listing_the_groups(policy: Policy) -> None:
    with pytest.raises(CalcError, match="near-poor"):
        voluntary_contribution(policy, TODAY, 1_500_000, ["rich"], 1)


@pytest.mark.parametrize("income", [1_499_999, 50_600_001, 0])
def test_an_income_outside_the_legal_range_is_an_error_that_states_the_range(policy: Policy, income: int) -> None:
    with pytest.raises(CalcError) as error:
        voluntary_contribution(policy, TODAY, income, ["other"], 1)
    assert "từ 1.500.000 đồng đến 50.600.000 đồng" in str(error.value)


@pytest.mark.parametrize("months", [24, 60])
def test_paying_several_years_ahead_is_not_computed_and_says_so(policy: Policy, months: int) -> None:
    with pytest.raises(CalcError, match="nhiều năm về sau"):
        voluntary_contribution(policy, TODAY, 3_000_000, ["other"], months)


@pytest.mark.parametrize("months", [0, 2, 5, 11])
def test_a_period_other_than_1_3_6_or_12_months_is_refused(policy: Policy, months: int) -> None:
    with pytest.raises(CalcError, match="1, 3, 6 hoặc 12"):
        voluntary_contribution(policy, TODAY, 3_000_000, ["other"], months)


def test_result_states_its_date_legal_bases_and_no_caveat_when_figures_are_confirmed(policy: Policy) -> None:
    result = voluntary_contribution(policy, TODAY, 3_000_000, ["poor"], 12)
    assert result.on == TODAY
    assert "Nghị định 159/2025/NĐ-CP, Điều 5" in result.bases
    assert any("Điều 32 khoản 2" in basis for basis in result.bases)
    assert result.caveats == ()


# -- date-aware ------------------------------------------------------------------------------


def test_the_maximum_income_follows_the_base_salary_on_1_july_2026(policy: Policy) -> None:
    assert voluntary_contribution(policy, BEFORE_RAISE, 3_000_000).maximum_income == 46_800_000
    assert voluntary_contribution(policy, RAISE_DAY, 3_000_000).maximum_income == 50_600_000
    with pytest.raises(CalcError, match=re.escape("46.800.000 đồng")):
        voluntary_contribution(policy, BEFORE_RAISE, 50_000_000)
    assert voluntary_contribution(policy, RAISE_DAY, 50_000_000).total == 11_000_000


@pytest.mark.parametrize(
    ("group", "before", "after"),
    [
        ("poor", 165_000, 242_000),
        ("near-poor", 198_000, 290_400),
        ("ethnic", 231_000, 338_800),
        ("other", 264_000, 387_200),
    ],
)
def test_the_minimum_payment_rises_with_the_new_poverty_line_on_1_january_2027(
    policy: Policy, group: str, before: int, after: int
) -> None:
    assert (
        voluntary_contribution(policy, date(2026, 12, 31), 2_200_000, [group]).minimum_citizen_pays_per_month == before
    )
    later = voluntary_contribution(policy, NEW_POVERTY_LINE, 2_200_000, [group])
    assert later.minimum_citizen_pays_per_month == after
    assert later.minimum_income == 2_200_000


def test_the_2027_poverty_line_is_uncertain_and_the_result_says_so(policy: Policy) -> None:
    assert voluntary_contribution(policy, date(2026, 12, 31), 2_200_000).caveats == ()
    caveats = voluntary_contribution(policy, NEW_POVERTY_LINE, 2_200_000).caveats
    assert caveats == policy.figure("tn_thu_nhap_toi_thieu", NEW_POVERTY_LINE).caveats != ()


# -- a minimum income announced but not confirmed ----------------------------------------------
# The 2027 poverty line is marked uncertain in policy.yaml: it is not applied as law. An income under it but
# not under the confirmed line is accepted, and the result carries its caveat.

LATE_2026 = date(2026, 11, 23)


def test_a_12_month_period_from_late_2026_that_runs_into_2027_accepts_an_income_under_the_announced_line(
    policy: Policy,
) -> None:
    result = voluntary_contribution(policy, LATE_2026, 1_800_000, ["other"], 12)
    assert (result.first_month, result.last_month) == (date(2026, 11, 1), date(2027, 10, 1))
    announced = policy.figure("tn_thu_nhap_toi_thieu", NEW_POVERTY_LINE)
    assert result.uncertain_minimums == (UncertainMinimum(NEW_POVERTY_LINE, 2_200_000, announced.caveats),)
    assert result.caveats == announced.caveats
    assert set(announced.bases) <= set(result.bases)
    assert result.total == to_dong(Decimal("0.22") * 1_800_000 * 12)  # figures of the day it is paid


def test_a_period_that_ends_before_the_announced_line_has_no_caveat(policy: Policy) -> None:
    result = voluntary_contribution(policy, LATE_2026, 1_800_000, ["other"], 1)
    assert result.uncertain_minimums == result.caveats == ()


def test_an_income_at_or_above_the_announced_line_needs_no_caveat(policy: Policy) -> None:
    result = voluntary_contribution(policy, LATE_2026, 2_200_000, ["other"], 12)
    assert result.uncertain_minimums == result.caveats == ()


def test_an_income_under_the_confirmed_line_is_still_refused(policy: Policy) -> None:
    with pytest.raises(CalcError, match=re.escape("từ 1.500.000 đồng")):
        voluntary_contribution(policy, LATE_2026, 1_499_999, ["other"], 12)


def test_once_the_announced_line_is_in_force_the_confirmed_one_still_holds_until_it_is_confirmed(
    policy: Policy,
) -> None:
    result = voluntary_contribution(policy, NEW_POVERTY_LINE, 1_500_000)
    assert result.minimum_income == 2_200_000  # the line in force, shown with its caveat
    assert [minimum.start for minimum in result.uncertain_minimums] == [NEW_POVERTY_LINE]
    assert result.caveats == policy.figure("tn_thu_nhap_toi_thieu", NEW_POVERTY_LINE).caveats
    with pytest.raises(CalcError, match=re.escape("từ 1.500.000 đồng")):
        voluntary_contribution(policy, NEW_POVERTY_LINE, 1_499_999)


def test_a_confirmed_line_that_starts_within_the_period_is_applied(policy: Policy) -> None:
    confirmed = _confirmed_2027_line(policy)
    with pytest.raises(
        CalcError, match=re.escape("từ 2.200.000 đồng đến 50.600.000 đồng một tháng (mức áp dụng ngày 01/01/2027)")
    ):
        voluntary_contribution(confirmed, LATE_2026, 1_800_000, ["other"], 12)
    assert voluntary_contribution(confirmed, LATE_2026, 1_800_000, ["other"], 1).caveats == ()


def _confirmed_2027_line(policy: Policy) -> Policy:
    param = policy.params["tn_thu_nhap_toi_thieu"]
    values = tuple(replace(value, uncertain=False, caveat="") for value in param.values)
    return Policy({**policy.params, param.name: replace(param, values=values)}, policy.derived)


# -- properties ------------------------------------------------------------------------------

DATES = st.dates(min_value=date(2025, 7, 1), max_value=date(2030, 12, 31))
GROUPS = st.sets(st.sampled_from(list(SupportGroup)), max_size=3)


@settings(deadline=None)
@given(DATES, st.data(), GROUPS, st.sampled_from(PERIODS))
def test_contribution_is_never_below_the_legal_minimum_nor_above_the_maximum(
    policy: Policy, on: date, data: st.DataObject, groups: set[SupportGroup], months: int
) -> None:
    lowest = int(policy.value("tn_thu_nhap_toi_thieu", on))
    highest = int(policy.value("tn_thu_nhap_toi_da", on))
    income = data.draw(st.integers(min_value=lowest, max_value=highest))
    result = voluntary_contribution(policy, on, income, groups, months)
    rate = policy.value("tn_ty_le_dong", on) / 100
    assert to_dong(lowest * rate * months) <= result.total <= to_dong(highest * rate * months)
    assert 0 <= result.state_support <= result.total
    assert result.citizen_pays == result.total - result.state_support >= 0
    assert result.minimum_citizen_pays_per_month * months <= result.citizen_pays + months


def _confirmed_minimum(policy: Policy, on: date) -> Decimal:
    """The rural poverty line in force on a date, or the last confirmed one before it when it is uncertain."""
    values = [value for value in policy.params["tn_thu_nhap_toi_thieu"].values if value.start <= on]
    confirmed = [value for value in values if not value.uncertain]
    return (confirmed or values)[-1].value


INCOMES = st.one_of(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1_400_000, max_value=2_300_000))


@settings(deadline=None)
@given(DATES, INCOMES, GROUPS)
def test_an_income_is_accepted_exactly_when_it_is_in_the_legal_range(
    policy: Policy, on: date, income: int, groups: set[SupportGroup]
) -> None:
    in_range = _confirmed_minimum(policy, on) <= income <= policy.value("tn_thu_nhap_toi_da", on)
    try:
        voluntary_contribution(policy, on, income, groups, 1)
    except CalcError:
        assert not in_range
    else:
        assert in_range


@settings(deadline=None)
@given(DATES, GROUPS, st.sampled_from(PERIODS))
def test_support_never_exceeds_the_contribution_at_the_minimum_income(
    policy: Policy, on: date, groups: set[SupportGroup], months: int
) -> None:
    result = voluntary_contribution(policy, on, int(policy.value("tn_thu_nhap_toi_thieu", on)), groups, months)
    assert result.state_support <= result.total
    assert result.support_rate_percent <= Decimal(100)
