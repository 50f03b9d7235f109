"""Retirement age and date under normal working conditions, by the Labour Code roadmap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.calc.common import CalcError, Figures, Gender, add_months, month_end, month_index, month_start
from bot.core.policy import PolicyError

AGE_PARAM = {Gender.MALE: "tuoi_nghi_huu_nam", Gender.FEMALE: "tuoi_nghi_huu_nu"}
TIMING_BASIS = "Nghị định 135/2020/NĐ-CP, Điều 3"
# No retirement age is below this or above that; the search for the year the age is reached
# looks only between them.
YOUNGEST, OLDEST = 50, 70


@dataclass(frozen=True)
class Retirement:
    age_months: int  # the retirement age that applies to this person, in months
    reached_on: date  # the day the person reaches it
    retirement_date: date  # the last day of that month
    pension_start: date  # the first day of the next month


def retirement(figures: Figures, gender: Gender, birth: date) -> Retirement:
    """When a person born on `birth` reaches retirement age (BLLĐ 2019 Art 169(2); NĐ 135/2020 Art 4).

    The roadmap sets one age per calendar year (tuoi_nghi_huu_* in policy.yaml): a person's age is the
    one of the year in which they reach it. That year is the first year Y in which birth + age(Y)
    falls; since the age rises by at most a few months a year there is exactly one first such year.
    Retirement is the last day of the month the age is reached and the pension starts the first day
    of the next month (NĐ 135/2020 Art 3; Law 41/2024 Art 101(1)).
    """
    name = AGE_PARAM[gender]
    for year in range(birth.year + YOUNGEST, birth.year + OLDEST + 1):
        try:
            age = int(figures.policy.value(name, date(year, 1, 1)))
        except PolicyError:
            continue  # before the first age in policy.yaml
        if (month_index(birth) + age) // 12 == year:
            figures.value(name, date(year, 1, 1))  # cite the age that applies
            figures.cite(TIMING_BASIS)
            reached_month = month_index(birth) + age
            return Retirement(
                age_months=age,
                reached_on=add_months(birth, age),
                retirement_date=month_end(reached_month),
                pension_start=month_start(reached_month + 1),
            )
    raise CalcError(f"Chưa có dữ liệu tuổi nghỉ hưu cho người sinh năm {birth.year}.")
