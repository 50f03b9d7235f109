"""Household health insurance (BHYT hộ gia đình): what each member pays for a period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.core.calc.common import CalcError, Figures, joined, percent_of
from bot.core.policy import Figure, Policy
from bot.core.render import to_dong

# Luật BHYT Art 15 (as amended by Law 51/2024/QH15): households pay every 3, 6 or 12 months.
PERIODS = (3, 6, 12)
PERIODS_BASIS = "Luật BHYT, Điều 15 (sửa đổi bởi Luật 51/2024/QH15)"
# NĐ 188/2025/NĐ-CP Art 6(5): the 2nd, 3rd and 4th members pay 70%, 60%, 50% of the first member's
# contribution, the 5th and later 40%. The last entry applies to every later member.
SHARE_PARAMS = ("bhyt_hgd_nguoi_2", "bhyt_hgd_nguoi_3", "bhyt_hgd_nguoi_4", "bhyt_hgd_nguoi_5")
MAX_MEMBERS = 99  # a guard against typing mistakes, not a legal limit


@dataclass(frozen=True)
class MemberContribution:
    position: int  # 1 for the first member
    share_percent: Decimal  # of the first member's contribution
    monthly: int
    amount: int  # for the period
    caveats: tuple[str, ...] = ()  # of the uncertain figures the amount rests on


@dataclass(frozen=True)
class HouseholdContribution:
    on: date
    months: int
    base_salary: int  # lương cơ sở
    rate_percent: Decimal  # 4.5% of lương cơ sở for the first member
    members: tuple[MemberContribution, ...]
    total: int  # the sum of the members' amounts
    bases: tuple[str, ...]
    caveats: tuple[str, ...]
    figure_caveats: Mapping[str, tuple[str, ...]]  # field name -> the caveats of the figures it rests on


def household_contribution(policy: Policy, on: date, members: int, months: int = 12) -> HouseholdContribution:
    """What `members` people buying BHYT as one household pay for `months`."""
    if months not in PERIODS:
        raise CalcError("BHYT hộ gia đình đóng theo kỳ 3, 6 hoặc 12 tháng.")
    if not 1 <= members <= MAX_MEMBERS:
        raise CalcError(f"Số người trong hộ tham gia BHYT phải từ 1 đến {MAX_MEMBERS}.")
    figures = Figures(policy)
    base_salary = figures.figure("luong_co_so", on)
    rate = figures.figure("bhyt_ty_le_dong", on)  # NĐ 188/2025 Art 6(5): the first member pays 4.5%
    first_monthly = percent_of(base_salary.value, rate.value)
    first = Figure(Decimal(100), "percent", ())  # the first member pays the full amount
    shares = [first] + [figures.figure(name, on) for name in SHARE_PARAMS[: members - 1]]
    shares += [shares[-1]] * (members - len(shares))
    figures.cite(PERIODS_BASIS)
    rows = tuple(
        MemberContribution(
            position=position,
            share_percent=share.value,
            monthly=to_dong(percent_of(first_monthly, share.value)),
            amount=to_dong(percent_of(first_monthly, share.value) * months),
            caveats=joined(base_salary.caveats, rate.caveats, share.caveats),
        )
        for position, share in enumerate(shares, start=1)
    )
    return HouseholdContribution(
        on=on,
        months=months,
        base_salary=to_dong(base_salary.value),
        rate_percent=rate.value,
        members=rows,
        total=sum(row.amount for row in rows),
        bases=figures.bases,
        caveats=figures.caveats,
        figure_caveats={
            "base_salary": base_salary.caveats,
            "rate_percent": rate.caveats,
            "total": joined(*(row.caveats for row in rows)),
        },
    )
