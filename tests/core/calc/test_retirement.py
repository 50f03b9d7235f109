"""Retirement age and date by the Labour Code roadmap (BLLĐ 2019 Art 169; NĐ 135/2020)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.calc import CalcError
from bot.core.calc.common import Figures, Gender
from bot.core.calc.retirement import retirement
from bot.core.policy import Policy


@pytest.mark.parametrize(
    ("gender", "birth", "age", "retires"),
    [
        # The cohort table of the fact sheet (§4.8): first and last birth month of each year's cohort.
        (Gender.MALE, date(1965, 1, 15), 738, date(2026, 7, 31)),  # 61y6m in 07/2026 (NĐ 135 Annex I)
        (Gender.MALE, date(1964, 10, 1), 738, date(2026, 4, 30)),
        (Gender.MALE, date(1965, 6, 30), 738, date(2026, 12, 31)),
        (Gender.MALE, date(1964, 9, 30), 735, date(2025, 12, 31)),  # 61y3m in 2025
        (Gender.MALE, date(1965, 7, 1), 741, date(2027, 4, 30)),  # 61y9m in 2027
        (Gender.MALE, date(1966, 3, 31), 741, date(2027, 12, 31)),
        (Gender.MALE, date(1966, 4, 1), 744, date(2028, 4, 30)),  # 62 from 2028
        (Gender.MALE, date(1990, 5, 20), 744, date(2052, 5, 31)),
        (Gender.FEMALE, date(1969, 5, 1), 684, date(2026, 5, 31)),  # 57 in 2026
        (Gender.FEMALE, date(1969, 12, 31), 684, date(2026, 12, 31)),
        (Gender.FEMALE, date(1969, 4, 30), 680, date(2025, 12, 31)),  # 56y8m in 2025
        (Gender.FEMALE, date(1970, 8, 1), 688, date(2027, 12, 31)),  # 57y4m in 2027
        (Gender.FEMALE, date(1970, 9, 1), 692, date(2028, 5, 31)),  # 57y8m in 2028
        (Gender.FEMALE, date(1985, 2, 10), 720, date(2045, 2, 28)),  # 60 from 2035
    ],
)
def test_retirement_age_is_the_one_of_the_year_it_is_reached(
    policy: Policy, gender: Gender, birth: date, age: int, retires: date
) -> None:
    result = retirement(Figures(policy), gender, birth)
    assert (result.age_months, result.retirement_date) == (age, retires)


def test_a_man_born_in_january_1965_retires_at_the_end_of_july_2026_and_is_paid_from_august(policy: Policy) -> None:
    result = retirement(Figures(policy), Gender.MALE, date(1965, 1, 15))
    assert result.reached_on == date(2026, 7, 15)
    assert result.retirement_date == date(2026, 7, 31)
    assert result.pension_start == date(2026, 8, 1)


def test_the_day_the_age_is_reached_is_clamped_to_a_shorter_month(policy: Policy) -> None:
    result = retirement(Figures(policy), Gender.FEMALE, date(1970, 8, 31))  # + 57y4m -> December 2027
    assert result.reached_on == date(2027, 12, 31)
    result = retirement(Figures(policy), Gender.MALE, date(1966, 8, 31))  # + 62y -> August 2028
    assert result.reached_on == date(2028, 8, 31)


def test_the_retirement_age_cites_the_labour_code_and_the_decree(policy: Policy) -> None:
    figures = Figures(policy)
    retirement(figures, Gender.MALE, date(1965, 1, 15))
    assert figures.bases[0].startswith("Bộ luật Lao động 45/2019/QH14, Điều 169")
    assert "Nghị định 135/2020/NĐ-CP, Điều 3" in figures.bases
    assert figures.caveats == ()


def test_someone_who_reached_retirement_age_before_the_roadmap_retired_at_60_with_a_caveat(policy: Policy) -> None:
    figures = Figures(policy)
    result = retirement(figures, Gender.MALE, date(1955, 6, 1))
    assert (result.age_months, result.retirement_date) == (720, date(2015, 6, 30))
    assert figures.caveats and "tuổi nghỉ hưu trước năm 2021" in figures.caveats[0]


def test_no_age_is_known_for_people_born_before_the_first_value(policy: Policy) -> None:
    with pytest.raises(CalcError, match="1920"):
        retirement(Figures(policy), Gender.MALE, date(1920, 1, 1))
