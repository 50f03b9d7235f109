"""Household health insurance (BHYT hộ gia đình): what each member pays for a period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.core.calc.common import CalcError, Figures, joined, percent_of
from bot.core.policy import Figure, Policy
from bot.core.render import to_dong

# Luật BHYT Art 15 (as amended by Law 51/2024/QH15): households pay every 3, 6 or 12 months.
PERIODS = (3, 6, 12)
PERIODS_BASIS = "Luật BHYT 25/2008/QH12, Điều 15 (sửa đổi bởi Luật 51/2024/QH15)"
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


def _check_period(months: int) -> None:
    if months not in PERIODS:
        raise CalcError("BHYT hộ gia đình đóng theo kỳ 3, 6 hoặc 12 tháng.")


def household_contribution(policy: Policy, on: date, members: int, months: int = 12) -> HouseholdContribution:
    """What `members` people buying BHYT as one household pay for `months`."""
    _check_period(months)
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


# -- who in a household buys at the household rate -------------------------------------------------------


class Cover(StrEnum):
    """How a member of a household gets their BHYT card: at the household rate, or another way."""

    HOUSEHOLD = "household"  # buys at the household rate (Luật BHYT Art 12, group of households)
    CHILD = "child"  # under 6: the State pays (Luật BHYT Art 12(3))
    STUDENT = "student"  # pupils and students buy at school, with the State's support (NĐ 188/2025)
    PENSION = "pension"  # pension or SI allowance: the SI fund pays (Luật BHXH 41/2024 Art 119(2)(a))
    SOCIAL = "social"  # social pension or Art 23 monthly allowance: the State pays (Luật BHXH 41/2024 Art 22(3), 23(6))
    EMPLOYEE = "employee"  # insured by their employer (Luật BHYT Art 12(1))
    POOR = "poor"  # a poor household: the State pays (Luật BHYT Art 12(3))
    NEAR_POOR = "near-poor"  # a near-poor household: the State pays at least 70% (NĐ 188/2025)
    CARD = "card"  # already has a card in another group
    ELDER = "elder"  # at the social-pension age: covered if on a pension or allowance (asked)


CHILD_AGE = "bhyt_tre_em_tuoi"  # age_months: under it the State pays the card
ELDER_AGE = "htxh_tuoi"  # age_months: from it a person without a pension may have the social pension


def cover_of(policy: Policy, on: date, age: int | None, status: str) -> Cover:
    """How a member described by age (years) and status (a Cover value, or "") gets a card. A child under the
    age wins over anything else said ("con 5 tuổi đi mẫu giáo" has a free card)."""
    if age is not None and age * 12 < policy.figure(CHILD_AGE, on).value:
        return Cover.CHILD
    if status:
        return Cover(status)
    if age is not None and age * 12 >= policy.figure(ELDER_AGE, on).value:
        return Cover.ELDER
    return Cover.HOUSEHOLD


@dataclass(frozen=True)
class NearPoorContribution:
    """What one member of a near-poor household pays at most: the contribution less the State's support."""

    monthly: int
    amount: int  # for the period
    support_percent: Decimal
    caveats: tuple[str, ...]


def near_poor_contribution(policy: Policy, on: date, months: int) -> NearPoorContribution:
    """NĐ 188/2025: the State pays at least `bhyt_can_ngheo_ho_tro` of 4.5% of lương cơ sở for a member of a
    near-poor household; the member pays the rest at most (no household reduction)."""
    _check_period(months)
    figures = Figures(policy)
    base_salary = figures.figure("luong_co_so", on)
    rate = figures.figure("bhyt_ty_le_dong", on)
    support = figures.figure("bhyt_can_ngheo_ho_tro", on)
    monthly = percent_of(percent_of(base_salary.value, rate.value), 100 - support.value)
    return NearPoorContribution(
        monthly=to_dong(monthly),
        amount=to_dong(monthly * months),
        support_percent=support.value,
        caveats=joined(base_salary.caveats, rate.caveats, support.caveats),
    )
