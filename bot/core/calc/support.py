"""State support for voluntary BHXH: the groups, the rate that applies, and the monthly amount."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.core.calc.common import CalcError, Figures, percent_of


class SupportGroup(StrEnum):
    POOR = "poor"  # hộ nghèo
    ISLAND = "island"  # người sống ở xã đảo, đặc khu
    NEAR_POOR = "near-poor"  # hộ cận nghèo
    ETHNIC = "ethnic"  # người dân tộc thiểu số
    OTHER = "other"  # người tham gia khác


# The support rate of each group, in policy.yaml (NĐ 159/2025/NĐ-CP Art 5(1) from 01/07/2025;
# NĐ 134/2015/NĐ-CP Art 14(1) from 01/01/2018, where island and ethnic people counted as "others").
RATE_PARAM = {
    SupportGroup.POOR: "tn_ho_tro_ngheo",
    SupportGroup.ISLAND: "tn_ho_tro_dao",
    SupportGroup.NEAR_POOR: "tn_ho_tro_can_ngheo",
    SupportGroup.ETHNIC: "tn_ho_tro_dan_toc",
    SupportGroup.OTHER: "tn_ho_tro_khac",
}

GROUP_LABEL = {
    SupportGroup.POOR: "hộ nghèo",
    SupportGroup.ISLAND: "người sống ở xã đảo, đặc khu",
    SupportGroup.NEAR_POOR: "hộ cận nghèo",
    SupportGroup.ETHNIC: "người dân tộc thiểu số",
    SupportGroup.OTHER: "người tham gia khác",
}


def parse_groups(codes: Iterable[str | SupportGroup]) -> frozenset[SupportGroup]:
    """Group codes ("poor", "near-poor", …) to groups; none given means "other"."""
    groups = set()
    for code in codes:
        try:
            groups.add(SupportGroup(str(code).strip().lower()))
        except ValueError:
            valid = ", ".join(g.value for g in SupportGroup)
            raise CalcError(f"Nhóm đối tượng {str(code)!r} không có; chọn một trong: {valid}.") from None
    return frozenset(groups) or frozenset({SupportGroup.OTHER})


def support_rate(figures: Figures, groups: frozenset[SupportGroup], on: date) -> tuple[Decimal, SupportGroup]:
    """The support rate (%) in force on a date and the group it comes from.

    NĐ 159/2025/NĐ-CP, Art 5(1): a person in several groups gets the highest rate. Everyone is at
    least an "other" participant. Before a group's first value (before voluntary BHXH existed) there
    is no support.
    """
    candidates = groups | {SupportGroup.OTHER}
    rates = {
        group: figures.policy.value(RATE_PARAM[group], on)
        for group in candidates
        if on >= figures.first_day(RATE_PARAM[group])
    }
    if not rates:
        return Decimal(0), SupportGroup.OTHER
    best = max((group for group in SupportGroup if group in rates), key=rates.__getitem__)  # ties: declared order
    return figures.value(RATE_PARAM[best], on), best


def monthly_support(figures: Figures, groups: frozenset[SupportGroup], on: date) -> Decimal:
    """The State support for one month, exact.

    It is a rate of the contribution on the rural poverty line (the minimum income), whatever income
    the person chose: NĐ 159/2025/NĐ-CP Art 5(1); NĐ 134/2015/NĐ-CP Art 14(1).
    """
    rate, _ = support_rate(figures, groups, on)
    if rate == 0:
        return Decimal(0)
    minimum_contribution = percent_of(figures.value("tn_thu_nhap_toi_thieu", on), figures.value("tn_ty_le_dong", on))
    return percent_of(minimum_contribution, rate)
