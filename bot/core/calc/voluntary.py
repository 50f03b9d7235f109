"""Voluntary BHXH (BHXH tự nguyện): what a period of contributions costs, and what the State pays."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.core.calc.common import CalcError, Figures, percent_of
from bot.core.calc.support import SupportGroup, monthly_support, parse_groups, support_rate
from bot.core.policy import Policy
from bot.core.render import day, decimal_text, money, to_dong

# Law 41/2024 Art 36(2)(a)-(d): monthly, every 3, 6 or 12 months. Paying for several years ahead
# (Art 36(2)(đ), NĐ 159/2025 Art 6) is discounted at the fund's return and is not computed here.
PERIODS = (1, 3, 6, 12)


@dataclass(frozen=True)
class VoluntaryContribution:
    on: date  # the day the figures are in force
    income: int  # the chosen monthly income, đồng
    months: int  # the payment period
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
    bases: tuple[str, ...]
    caveats: tuple[str, ...]


def income_range(figures: Figures, on: date) -> tuple[int, int]:
    """Law 41/2024 Art 31(2): from the rural poverty line to 20 × mức tham chiếu, at the time of paying."""
    return to_dong(figures.value("tn_thu_nhap_toi_thieu", on)), to_dong(figures.value("tn_thu_nhap_toi_da", on))


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
    lowest, highest = income_range(figures, on)
    if not lowest <= income <= highest:
        raise CalcError(
            f"Thu nhập làm căn cứ đóng BHXH tự nguyện phải từ {money(lowest)} đến {money(highest)} "
            f"một tháng (mức áp dụng ngày {day(on)})."
        )
    chosen = parse_groups(groups)
    rate = figures.value("tn_ty_le_dong", on)  # Law 41/2024 Art 32(2): 22% into the pension fund
    support_percent, group = support_rate(figures, chosen, on)
    support = monthly_support(figures, chosen, on)
    monthly = percent_of(income, rate)
    total = to_dong(monthly * months)
    # Support is computed on the minimum income, so it never exceeds the contribution; min() keeps it so.
    state_support = min(to_dong(support * months), total)
    return VoluntaryContribution(
        on=on,
        income=income,
        months=months,
        group=group,
        contribution_rate_percent=rate,
        support_rate_percent=support_percent,
        minimum_income=lowest,
        maximum_income=highest,
        monthly_contribution=to_dong(monthly),
        monthly_support=to_dong(support),
        total=total,
        state_support=state_support,
        citizen_pays=total - state_support,
        minimum_citizen_pays_per_month=to_dong(percent_of(lowest, rate) - support),
        support_max_months=int(figures.value("tn_ho_tro_so_thang_toi_da", on)),
        bases=figures.bases,
        caveats=figures.caveats,
    )
