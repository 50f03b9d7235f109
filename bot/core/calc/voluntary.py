"""Voluntary BHXH (BHXH tự nguyện): what a period of contributions costs, and what the State pays."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.core.calc.common import (
    CalcError,
    Figures,
    joined,
    month_end,
    month_index,
    month_start,
    percent_of,
)
from bot.core.calc.support import RATE_PARAM, SupportGroup, monthly_support, parse_groups, support_rate
from bot.core.policy import Policy
from bot.core.render import day, decimal_text, money, to_dong

# Law 41/2024 Art 36(2)(a)-(d): monthly, every 3, 6 or 12 months. Paying for several years ahead
# (Art 36(2)(đ), NĐ 159/2025 Art 6) is discounted at the fund's return and is not computed here.
PERIODS = (1, 3, 6, 12)
MINIMUM_INCOME = "tn_thu_nhap_toi_thieu"  # the rural poverty line (Law 41/2024 Art 31(2))


@dataclass(frozen=True)
class UncertainMinimum:
    """A minimum income announced for some of the months paid for but not confirmed, above the income
    chosen: the income is accepted, and the result says that those months may need a higher one."""

    start: date  # the first day of the period it applies to (the day of the result, or a later change)
    amount: int
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class VoluntaryContribution:
    on: date  # the day the figures are in force
    income: int  # the chosen monthly income, đồng
    months: int  # the payment period
    first_month: date  # the first day of the first month paid for (the month of `on`)
    last_month: date  # the first day of the last month paid for
    group: SupportGroup  # the group whose support rate applies (the highest of those given)
    contribution_rate_percent: Decimal  # 22%
    support_rate_percent: Decimal
    minimum_income: int  # the rural poverty line
    maximum_income: int  # 20 × mức tham chiếu
    monthly_contribution: int  # contribution_rate × income, before support
    monthly_support: int
    total: int  # contribution for the period, before support
    state_support: int  # State support for the period
    citizen_pays: int  # total - state_support
    minimum_citizen_pays_per_month: int  # the cheapest monthly payment for this group
    support_max_months: int  # support lasts at most this many months in a lifetime
    uncertain_minimums: tuple[UncertainMinimum, ...]  # announced minimums above the income, in date order
    bases: tuple[str, ...]
    caveats: tuple[str, ...]
    figure_caveats: Mapping[str, tuple[str, ...]]  # field name -> the caveats of the figures it rests on


def income_range(figures: Figures, on: date) -> tuple[int, int]:
    """Law 41/2024 Art 31(2): from the rural poverty line to 20 × mức tham chiếu, at the time of paying."""
    return to_dong(figures.value(MINIMUM_INCOME, on)), to_dong(figures.value("tn_thu_nhap_toi_da", on))


def _minimum_days(policy: Policy, on: date, months: int) -> tuple[date, ...]:
    """`on`, and the later days within the months paid for on which the minimum income changes."""
    last = month_end(month_index(on) + months - 1)
    return (on, *policy.changes(MINIMUM_INCOME, on, last))


def accepted_income_range(figures: Figures, on: date, months: int = 1) -> tuple[int, int, date]:
    """The incomes accepted for a period paid for on `on`, and the day the lowest of them applies from.

    The lowest is the highest confirmed minimum of the months paid for: a minimum that policy.yaml marks
    uncertain (announced, not confirmed) is not applied as law, the one it would replace still holds.
    """
    highest = to_dong(figures.value("tn_thu_nhap_toi_da", on))
    days = _minimum_days(figures.policy, on, months)
    confirmed = [(to_dong(figures.policy.confirmed_figure(MINIMUM_INCOME, when).value), when) for when in days]
    lowest, since = max(confirmed, key=lambda floor: floor[0])
    return lowest, highest, since


def check_period(figures: Figures, on: date, months: int) -> None:
    if months in PERIODS:
        figures.cite("Luật BHXH 41/2024/QH15, Điều 36 khoản 2")
        return
    if months > max(PERIODS):
        years = figures.value("tn_dong_truoc_so_nam_toi_da", on)
        raise CalcError(
            f"Đóng một lần cho nhiều năm về sau (tối đa {decimal_text(years)} năm) được giảm trừ theo lãi đầu tư "
            "của quỹ; công cụ này chưa tính phương thức đó. Bạn chọn kỳ đóng 1, 3, 6 hoặc 12 tháng, "
            "hoặc hỏi cơ quan BHXH, đại lý thu."
        )
    raise CalcError("Kỳ đóng BHXH tự nguyện là 1, 3, 6 hoặc 12 tháng.")


def voluntary_contribution(
    policy: Policy,
    on: date,
    income: int,
    groups: Iterable[str | SupportGroup] = (),
    months: int = 1,
) -> VoluntaryContribution:
    """The contribution for `months` at a chosen monthly `income`, for a person in `groups`."""
    figures = Figures(policy)
    check_period(figures, on, months)
    lowest, highest, since = accepted_income_range(figures, on, months)
    if not lowest <= income <= highest:
        raise CalcError(
            f"Thu nhập làm căn cứ đóng BHXH tự nguyện phải từ {money(lowest)} đến {money(highest)} "
            f"một tháng (mức áp dụng ngày {day(since)})."
        )
    uncertain = _uncertain_minimums(figures, on, months, income)
    chosen = parse_groups(groups)
    rate = figures.figure("tn_ty_le_dong", on)  # Law 41/2024 Art 32(2): 22% into the pension fund
    minimum = figures.figure(MINIMUM_INCOME, on)
    maximum = figures.figure("tn_thu_nhap_toi_da", on)
    support_percent, group = support_rate(figures, chosen, on)
    support = monthly_support(figures, chosen, on)
    # The support rate is a figure from the group's first day on (before it there was no support at all);
    # the amount rests on the rate, and when it is not 0 on the minimum income and the contribution rate too.
    has_rate = on >= figures.first_day(RATE_PARAM[group])
    support_rate_caveats = figures.figure(RATE_PARAM[group], on).caveats if has_rate else ()
    support_caveats = joined(support_rate_caveats, (*minimum.caveats, *rate.caveats) if support_percent else ())
    support_time = figures.figure("tn_ho_tro_so_thang_toi_da", on)
    monthly = percent_of(income, rate.value)
    total = to_dong(monthly * months)
    # Support is computed on the minimum income, so it never exceeds the contribution; min() keeps it so.
    state_support = min(to_dong(support * months), total)
    return VoluntaryContribution(
        on=on,
        income=income,
        months=months,
        first_month=month_start(month_index(on)),
        last_month=month_start(month_index(on) + months - 1),
        group=group,
        contribution_rate_percent=rate.value,
        support_rate_percent=support_percent,
        minimum_income=to_dong(minimum.value),
        maximum_income=highest,
        monthly_contribution=to_dong(monthly),
        monthly_support=to_dong(support),
        total=total,
        state_support=state_support,
        citizen_pays=total - state_support,
        minimum_citizen_pays_per_month=to_dong(percent_of(minimum.value, rate.value) - support),
        support_max_months=int(support_time.value),
        uncertain_minimums=uncertain,
        bases=figures.bases,
        caveats=figures.caveats,
        figure_caveats={
            "contribution_rate_percent": rate.caveats,
            "support_rate_percent": support_rate_caveats,
            "minimum_income": minimum.caveats,
            "maximum_income": maximum.caveats,
            "monthly_contribution": rate.caveats,
            "total": rate.caveats,
            "monthly_support": support_caveats,
            "state_support": support_caveats,
            "citizen_pays": joined(rate.caveats, support_caveats),
            "minimum_citizen_pays_per_month": joined(minimum.caveats, rate.caveats, support_caveats),
            "support_max_months": support_time.caveats,
        },
    )


def _uncertain_minimums(figures: Figures, on: date, months: int, income: int) -> tuple[UncertainMinimum, ...]:
    """The minimums of the months paid for that are uncertain and above the income (which was accepted on
    the confirmed ones): their caveats go with the result."""
    found = []
    for start in _minimum_days(figures.policy, on, months):
        figure = figures.policy.figure(MINIMUM_INCOME, start)
        if figure.uncertain and income < to_dong(figure.value):
            figures.remember(figure)
            figures.remember(figures.policy.confirmed_figure(MINIMUM_INCOME, start))  # what the income passed
            found.append(UncertainMinimum(start, to_dong(figure.value), figure.caveats))
    return tuple(found)
