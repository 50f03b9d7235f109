"""Lump sum versus pension: rates, amounts and whether the lump sum may be taken, exact to the đồng."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.calc import CalcError
from bot.core.calc.common import Gender, Scheme
from bot.core.calc.pension import ContributionRecord, crossover_age, lump_sum_versus_pension, pension_rate_percent
from bot.core.calc.support import SupportGroup
from bot.core.policy import Policy
from tests.factories import TODAY

DECEMBER_2025 = date(2025, 12, 1)


def years(count: int, months: int = 0) -> int:
    return count * 12 + months


def record(**fields: object) -> ContributionRecord:
    """A woman born in 1980 who paid compulsory BHXH from 2014 up to December 2025, unless told otherwise."""
    base = ContributionRecord(
        gender=Gender.FEMALE,
        birth=date(1980, 3, 1),
        months_before_2014=0,
        months_from_2014=years(10),
        average_income=8_000_000,
        scheme=Scheme.COMPULSORY,
        stopped=DECEMBER_2025,
    )
    return replace(base, **fields)


# -- pension rate (Law 41/2024 Art 66(1), 99(1); odd months by Art 5(6)) -------------------------


@pytest.mark.parametrize(
    ("gender", "months", "rate"),
    [
        (Gender.FEMALE, years(15), 45),
        (Gender.FEMALE, years(16), 47),  # the fact sheet's woman with 16 years
        (Gender.FEMALE, years(16, 3), 48),  # 1 to 6 odd months count as half a year
        (Gender.FEMALE, years(16, 7), 49),  # 7 to 11 odd months count as a whole year
        (Gender.FEMALE, years(20), 55),
        (Gender.FEMALE, years(30), 75),
        (Gender.FEMALE, years(38), 75),
        (Gender.MALE, years(15), 40),
        (Gender.MALE, years(18), 43),  # the fact sheet's man with 18 years
        (Gender.MALE, years(19), 44),
        (Gender.MALE, years(19, 3), Decimal("44.5")),
        (Gender.MALE, years(19, 7), 45),
        (Gender.MALE, years(20), 45),
        (Gender.MALE, years(25), 55),
        (Gender.MALE, years(35), 75),
        (Gender.MALE, years(40), 75),
        (Gender.FEMALE, years(14, 11), 0),  # the minimum is 15 whole years
        (Gender.MALE, 0, 0),
    ],
)
def test_pension_rate_by_years_of_contributions(policy: Policy, gender: Gender, months: int, rate: Decimal) -> None:
    assert pension_rate_percent(policy, TODAY, gender, months) == rate


@given(st.sampled_from(list(Gender)), st.integers(min_value=0, max_value=years(50)))
def test_pension_rate_is_monotone_in_years_and_capped_at_75_percent(
    policy: Policy, gender: Gender, months: int
) -> None:
    rate = pension_rate_percent(policy, TODAY, gender, months)
    assert rate <= pension_rate_percent(policy, TODAY, gender, months + 1) <= 75


# -- lump sum amount (Law 41/2024 Art 70(3), 102(2)-(3)) ---------------------------------------


def test_ten_compulsory_years_2016_to_2025_at_8_million_give_160_million(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record())
    assert result.lump_sum == 160_000_000
    assert result.state_support_deducted == 0


def test_eleven_months_give_the_amount_paid_capped_at_two_months(policy: Policy) -> None:
    # 22% × 5.000.000 × 11 = 12.100.000 paid into the pension fund; the cap is 2 × 5.000.000.
    result = lump_sum_versus_pension(policy, TODAY, record(months_from_2014=11, average_income=5_000_000))
    assert result.lump_sum == 10_000_000


def test_nine_months_give_the_amount_paid_when_under_the_cap(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record(months_from_2014=9, average_income=5_000_000))
    assert result.lump_sum == 9_900_000  # 22% × 5.000.000 × 9


def test_years_before_2014_count_one_and_a_half_months_and_odd_months_move_after_2014(policy: Policy) -> None:
    # 5 years 4 months before 2014 and 3 years from 2014: 5 × 1,5 + 3,5 × 2 = 14,5 months.
    result = lump_sum_versus_pension(
        policy, TODAY, record(months_before_2014=years(5, 4), months_from_2014=years(3), average_income=4_000_000)
    )
    assert result.lump_sum == 58_000_000


def test_odd_months_with_nothing_from_2014_stay_before_2014(policy: Policy) -> None:
    # 5 years 4 months, all before 2014: 5,5 × 1,5 = 8,25 months.
    result = lump_sum_versus_pension(
        policy,
        TODAY,
        record(months_before_2014=years(5, 4), months_from_2014=0, stopped=None, average_income=4_000_000),
    )
    assert result.lump_sum == 33_000_000
    assert result.last_month_paid == date(2013, 12, 1)


def test_seven_odd_months_count_as_a_whole_year(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record(months_from_2014=years(3, 7), average_income=1_000_000))
    assert result.lump_sum == 8_000_000  # 4 × 2 months


def test_voluntary_five_years_2021_to_2025_deduct_the_support_month_by_month(policy: Policy) -> None:
    """The fact sheet's voluntary example (§6.3), computed month by month from policy.yaml:

    TC = 5 years × 2 months × 1.500.000 = 15.000.000. State support for an "other" participant:
    - 2021, 12 months: NĐ 134/2015 10% × 22% × 700.000 (rural poverty line 2016-2021) = 15.400 → 184.800
    - 01/2022-06/2025, 42 months: 10% × 22% × 1.500.000 = 33.000 → 1.386.000
    - 07/2025-12/2025, 6 months: NĐ 159/2025 20% × 22% × 1.500.000 = 66.000 → 396.000
    M = 1.966.800, so MH = 13.033.200 (the fact sheet's 11.040.000 applied today's 66.000 to all 60 months).
    """
    result = lump_sum_versus_pension(
        policy,
        TODAY,
        record(months_from_2014=years(5), average_income=1_500_000, scheme=Scheme.VOLUNTARY),
    )
    assert result.lump_sum_before_support == 15_000_000
    assert result.state_support_deducted == 1_966_800
    assert result.lump_sum == 13_033_200
    old_line = policy.figure("tn_thu_nhap_toi_thieu", date(2021, 1, 1)).caveats  # the 2016-2021 poverty line
    assert set(old_line) <= set(result.caveats)
    assert set(old_line) <= set(result.figure_caveats["lump_sum"])  # the lump sum is marked with it
    assert result.figure_caveats["monthly_pension"] == ()  # the pension is not


def test_voluntary_support_is_deducted_at_the_highest_group_rate_of_each_month(policy: Policy) -> None:
    # A poor household, 2021-2025: 30% under NĐ 134 (46.200, then 99.000), 50% under NĐ 159 (165.000).
    result = lump_sum_versus_pension(
        policy,
        TODAY,
        record(
            months_from_2014=years(5),
            average_income=1_500_000,
            scheme=Scheme.VOLUNTARY,
            groups=frozenset({SupportGroup.POOR, SupportGroup.ETHNIC}),
        ),
    )
    assert result.state_support_deducted == 12 * 46_200 + 42 * 99_000 + 6 * 165_000


def test_no_support_is_deducted_for_months_before_2018(policy: Policy) -> None:
    # 01/2014-12/2017 only: support under NĐ 134/2015 started on 01/01/2018.
    result = lump_sum_versus_pension(
        policy,
        TODAY,
        record(months_from_2014=years(4), stopped=date(2017, 12, 1), scheme=Scheme.VOLUNTARY, average_income=2_000_000),
    )
    assert result.state_support_deducted == 0
    assert result.lump_sum == 16_000_000


def test_support_is_deducted_for_at_most_ten_years(policy: Policy) -> None:
    # A poor household paying 01/2014-12/2030: support is counted for 120 months, 01/2018-12/2027.
    result = lump_sum_versus_pension(
        policy,
        date(2031, 6, 1),
        record(
            months_from_2014=years(17),
            stopped=date(2030, 12, 1),
            scheme=Scheme.VOLUNTARY,
            groups=frozenset({SupportGroup.POOR}),
            average_income=3_000_000,
        ),
    )
    expected = 48 * 46_200 + 42 * 99_000 + 18 * 165_000 + 12 * 242_000  # 2018-21, 2022-06/25, to 12/26, 2027
    assert result.state_support_deducted == expected == 12_249_600


def test_compulsory_records_deduct_no_support(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record(groups=frozenset({SupportGroup.POOR})))
    assert result.state_support_deducted == 0


# -- pension against lump sum ----------------------------------------------------------------


def test_a_woman_with_16_years_gets_47_percent(policy: Policy) -> None:
    result = lump_sum_versus_pension(
        policy, TODAY, record(months_before_2014=years(4), months_from_2014=years(12), average_income=5_000_000)
    )
    assert result.pension_rate_percent == 47
    assert result.monthly_pension == 2_350_000
    assert result.lump_sum == 150_000_000  # 4 × 1,5 + 12 × 2 = 30 months
    assert result.months_of_pension_equal_to_lump_sum == Decimal("63.8")
    assert result.bhyt_card_value_per_year == 1_269_000  # 4,5% × 2.350.000 × 12
    assert result.months_needed_for_pension == 0


def test_a_man_with_18_years_gets_43_percent(policy: Policy) -> None:
    result = lump_sum_versus_pension(
        policy,
        TODAY,
        record(gender=Gender.MALE, months_before_2014=years(6), months_from_2014=years(12), average_income=8_000_000),
    )
    assert result.pension_rate_percent == 43
    assert result.monthly_pension == 3_440_000
    assert result.lump_sum == 264_000_000  # 6 × 1,5 + 12 × 2 = 33 months
    assert result.months_of_pension_equal_to_lump_sum == Decimal("76.7")
    assert result.bhyt_card_value_per_year == 1_857_600


def test_short_records_are_compared_with_the_pension_at_the_minimum_years(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record(gender=Gender.MALE))
    assert (result.months_needed_for_pension, result.years_needed_for_pension) == (60, 5)
    assert (result.pension_years, result.pension_rate_percent, result.monthly_pension) == (15, 40, 3_200_000)
    assert result.months_of_pension_equal_to_lump_sum == 50
    assert "Nếu đóng thêm 5 năm cho đủ 15 năm" in result.conclusion


def test_the_conclusion_is_a_plain_estimate_with_its_legal_basis(policy: Policy) -> None:
    conclusion = lump_sum_versus_pension(policy, TODAY, record()).conclusion
    assert conclusion.startswith("Ước tính ngày 23/11/2026")
    assert "chưa tính trượt giá" in conclusion
    assert "160.000.000 đồng" in conclusion
    assert "Căn cứ: Luật BHXH 41/2024/QH15" in conclusion
    assert "Bộ luật Lao động 45/2019/QH14, Điều 169" in conclusion


def test_the_result_carries_its_date_retirement_and_bases(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record())
    assert result.on == TODAY
    assert (result.retirement_age_months, result.retirement_date) == (720, date(2040, 3, 31))
    assert result.pension_start == date(2040, 4, 1)
    assert any(basis.startswith("Bộ luật Lao động 45/2019/QH14, Điều 169") for basis in result.bases)
    assert "Luật BHXH 41/2024/QH15, Điều 70 khoản 1 điểm đ" in result.bases


# -- short of a pension: the missing years, paying them in one go, the Art 23 allowance --------------


def test_the_missing_years_cost_22_percent_of_the_average_less_the_state_support(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record())
    # 60 months × 22% × 8.000.000 = 105.600.000; support 60 × 20% × 22% × 1.500.000 = 3.960.000 (NĐ 159/2025 Art 5)
    assert (result.missing_income, result.missing_cost, result.missing_support) == (8_000_000, 101_640_000, 3_960_000)


def test_the_missing_years_are_costed_on_at_least_the_lowest_income(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record(average_income=1_000_000))
    assert result.missing_income == 1_500_000


def test_state_support_already_received_counts_against_the_ten_supported_years(policy: Policy) -> None:
    # Voluntary from 01/2018 to 12/2025 (96 months, all supported): 24 of the 120 supported months are left.
    voluntary = record(scheme=Scheme.VOLUNTARY, months_from_2014=96, average_income=1_500_000)
    result = lump_sum_versus_pension(policy, TODAY, voluntary)
    assert result.missing_support == 24 * 66_000  # 20% × 22% × 1.500.000 a month
    assert result.missing_cost == 84 * 330_000 - 24 * 66_000


def test_a_record_with_enough_years_has_nothing_missing(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record(months_before_2014=years(5), months_from_2014=years(11)))
    assert (result.missing_cost, result.one_off_max_months, result.allowance_monthly) == (0, 0, 0)


def test_up_to_6_missing_compulsory_months_are_paid_in_one_go_under_article_33(policy: Policy) -> None:
    man = record(
        gender=Gender.MALE,
        birth=date(1965, 1, 15),
        months_before_2014=years(4),
        months_from_2014=years(10, 8),
        stopped=date(2024, 12, 1),
    )
    result = lump_sum_versus_pension(policy, TODAY, man)
    assert (result.months_needed_for_pension, result.one_off_max_months) == (4, 6)
    assert result.one_off_basis == "Luật BHXH 41/2024/QH15, Điều 33 khoản 7"


def test_up_to_60_missing_months_are_paid_in_one_go_at_retirement_age(policy: Policy) -> None:
    man = record(gender=Gender.MALE, birth=date(1965, 1, 15), months_from_2014=years(11), stopped=date(2024, 12, 1))
    result = lump_sum_versus_pension(policy, TODAY, man)
    assert result.one_off_max_months == 60
    assert "Nghị định 159/2025/NĐ-CP, Điều 7" in result.one_off_basis
    assert result.pension_from == date(2026, 12, 1)  # past retirement age: paid now, the pension from next month
    assert result.figure_caveats["one_off_max_months"]  # the 60 months are not confirmed


def test_more_than_60_missing_months_past_retirement_age_are_paid_month_by_month(policy: Policy) -> None:
    man = record(gender=Gender.MALE, birth=date(1965, 1, 15), months_from_2014=years(8), stopped=date(2024, 12, 1))
    result = lump_sum_versus_pension(policy, TODAY, man)
    assert (result.months_needed_for_pension, result.one_off_max_months) == (84, 0)
    assert result.pension_from == date(2033, 12, 1)  # 84 months paid from 12/2026


def test_the_art_23_allowance_spreads_the_own_contributions_until_the_social_pension_age(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record())
    # 160.000.000 over the 180 months from 60 to 75 is more than the 500.000 floor (Art 23(3))
    assert (result.allowance_monthly, result.allowance_months) == (888_000, 180)  # 888.888, to the thousand


def test_the_art_23_allowance_is_at_least_the_social_pension_for_as_long_as_the_money_lasts(policy: Policy) -> None:
    small = record(average_income=2_000_000, months_from_2014=years(2))
    result = lump_sum_versus_pension(policy, TODAY, small)
    # 2 years × 2 × 2.000.000 = 8.000.000: 16 months of 500.000
    assert (result.lump_sum, result.allowance_monthly, result.allowance_months) == (8_000_000, 500_000, 16)


def test_the_pension_overtakes_the_lump_sum_at_the_age_worked_out_by_hand(policy: Policy) -> None:
    result = lump_sum_versus_pension(policy, TODAY, record())
    # From 01/04/2040 (60 years 1 month: 721 months) at 3.600.000, less 101.640.000 paid for the missing years:
    # by 66, 71 months = 153.960.000 (not more than 160.000.000); by 67, 83 months = 197.160.000.
    assert result.pension_from_age_months == 721
    assert result.crossover_age == 67
    assert crossover_age(721, 3_600_000, 101_640_000, 160_000_000) == 67
    assert crossover_age(721, 3_600_000, 0, 160_000_000) == 64  # 47 months = 169.200.000 by 64
    assert crossover_age(721, 100_000, 0, 160_000_000) is None  # not by 90


# -- may the lump sum be taken now (Law 41/2024 Art 70(1), 102(1)) -----------------------------


def test_the_12_month_route_opens_12_months_after_the_last_month_paid(policy: Policy) -> None:
    waiting = lump_sum_versus_pension(policy, date(2026, 12, 31), record())
    assert not waiting.lump_sum_allowed
    assert waiting.lump_sum_allowed_from == date(2027, 1, 1)
    assert "từ 01/01/2027" in waiting.lump_sum_reason
    allowed = lump_sum_versus_pension(policy, date(2027, 1, 1), record())
    assert allowed.lump_sum_allowed
    assert "điểm đ" in allowed.lump_sum_reason


def test_not_allowed_results_list_the_other_cases(policy: Policy) -> None:
    reason = lump_sum_versus_pension(policy, TODAY, record()).lump_sum_other_cases
    for case in ("ra nước ngoài để định cư", "ung thư", "AIDS", "81%", "khuyết tật đặc biệt nặng"):
        assert case in reason


def test_twenty_years_or_more_close_the_12_month_route(policy: Policy) -> None:
    result = lump_sum_versus_pension(
        policy, date(2027, 6, 1), record(months_before_2014=years(8), months_from_2014=years(12))
    )
    assert not result.lump_sum_allowed
    assert result.lump_sum_allowed_from is None
    assert "từ đủ 20 năm" in result.lump_sum_reason


def test_people_who_started_from_1_july_2025_cannot_take_it_for_leaving_work(policy: Policy) -> None:
    # 11/2025-10/2026: all after the law came into force.
    late = record(months_from_2014=years(1), stopped=date(2026, 10, 1))
    result = lump_sum_versus_pension(policy, date(2028, 1, 1), late)
    assert not result.started_before_2025_07
    assert not result.lump_sum_allowed
    assert result.lump_sum_allowed_from == date(2040, 3, 1)  # at retirement age, still short of 15 years
    assert "từ 01/07/2025 trở đi" in result.lump_sum_reason


def test_the_citizen_may_say_they_paid_before_1_july_2025_despite_a_gap(policy: Policy) -> None:
    late = record(months_from_2014=years(1), stopped=date(2026, 10, 1), started_before_2025_07=True)
    assert lump_sum_versus_pension(policy, date(2027, 11, 1), late).lump_sum_allowed


def test_at_retirement_age_under_15_years_the_lump_sum_is_allowed(policy: Policy) -> None:
    man = record(gender=Gender.MALE, birth=date(1965, 1, 15), months_from_2014=years(11), stopped=date(2024, 12, 1))
    result = lump_sum_versus_pension(policy, TODAY, man)
    assert result.lump_sum_allowed
    assert result.lump_sum_reason.startswith("Đã đủ tuổi nghỉ hưu, chưa đủ 15 năm đóng (Điều 70 khoản 1 điểm a)")
    assert result.retirement_reached_on == date(2026, 7, 15)  # the day the result's retirement line names
    assert "điểm a" in result.lump_sum_reason


def test_at_retirement_age_with_15_years_the_pension_is_due_instead(policy: Policy) -> None:
    woman = record(birth=date(1969, 5, 1), months_before_2014=years(5), months_from_2014=years(11))
    result = lump_sum_versus_pension(policy, TODAY, woman)
    assert not result.lump_sum_allowed
    assert "hưởng lương hưu hằng tháng" in result.lump_sum_reason
    assert "Lương hưu: khoảng" in result.conclusion


# -- input the calculator refuses --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"months_before_2014": 0, "months_from_2014": 0}, "thời gian đã đóng"),
        ({"months_from_2014": -1}, "không được âm"),
        ({"average_income": 0}, "lớn hơn 0"),
        ({"birth": date(2027, 1, 1)}, "Ngày sinh"),
        ({"stopped": date(2027, 1, 1)}, "sau ngày tính"),
        ({"months_from_2014": years(13)}, "dài hơn khoảng từ 01/2014"),
        ({"months_before_2014": years(2), "months_from_2014": 0}, "trước năm 2014"),
        ({"months_before_2014": years(2), "started_before_2025_07": False}, "trước 01/07/2025"),
        ({"months_from_2014": years(13), "stopped": None}, "dài hơn khoảng từ 01/2014"),
        ({"months_from_2014": 24229, "stopped": None}, "dài hơn khoảng từ 01/2014"),  # once: "year 0 is out of range"
        ({"birth": date(2005, 1, 1), "months_before_2014": years(2)}, "từ khi đủ 15 tuổi"),
        ({"months_before_2014": 10**9}, "từ khi đủ 15 tuổi"),
        ({"average_income": 10**15}, "cao nhất"),
        ({"average_income": 10**40}, "cao nhất"),
    ],
)
def test_impossible_records_are_refused_with_a_reason(policy: Policy, fields: dict[str, object], message: str) -> None:
    with pytest.raises(CalcError, match=message):
        lump_sum_versus_pension(policy, TODAY, record(**fields))
