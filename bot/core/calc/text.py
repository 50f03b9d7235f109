"""Calculator results as a citizen reads them (Vietnamese text), and as plain JSON-ready data."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from bot.core.calc.common import Scheme, duration_text
from bot.core.calc.household import HouseholdContribution
from bot.core.calc.pension import PensionComparison
from bot.core.calc.support import GROUP_LABEL
from bot.core.calc.voluntary import VoluntaryContribution
from bot.core.render import UNCERTAIN_MARK, age, day, money, percent

SCHEME_LABEL = {Scheme.COMPULSORY: "BHXH bắt buộc", Scheme.VOLUNTARY: "BHXH tự nguyện"}


def voluntary_text(result: VoluntaryContribution) -> str:
    support = (
        f"• Nhà nước hỗ trợ ({GROUP_LABEL[result.group]}, {percent(result.support_rate_percent)} mức đóng "
        f"thấp nhất): {money(result.state_support)}"
    )
    lines = [
        f"BHXH tự nguyện, tính theo quy định ngày {day(result.on)}:",
        f"• Thu nhập chọn đóng: {money(result.income)} mỗi tháng, kỳ đóng {result.months} tháng",
        f"• Số tiền đóng ({percent(result.contribution_rate_percent)}): {money(result.total)}",
        support,
        f"• Bạn nộp: {money(result.citizen_pays)}",
        f"• Mức nộp thấp nhất mỗi tháng cho nhóm này (thu nhập {money(result.minimum_income)}): "
        f"{money(result.minimum_citizen_pays_per_month)}",
        f"Thu nhập chọn từ {money(result.minimum_income)} đến {money(result.maximum_income)} mỗi tháng. "
        f"Nhà nước hỗ trợ tối đa {duration_text(result.support_max_months)}.",
    ]
    return _with_footer(lines, result.bases, result.caveats)


def household_text(result: HouseholdContribution, note: str = "") -> str:
    lines = [f"BHYT hộ gia đình, kỳ đóng {result.months} tháng, tính theo quy định ngày {day(result.on)}:"]
    for member in result.members:
        share = "" if member.position == 1 else f" ({percent(member.share_percent)} người thứ nhất)"
        lines.append(f"• Người thứ {member.position}{share}: {money(member.amount)}")
    lines.append(f"Tổng cộng: {money(result.total)}")
    lines.append(
        f"Người thứ nhất đóng {percent(result.rate_percent)} lương cơ sở ({money(result.base_salary)}) mỗi tháng."
    )
    if note:
        lines.append(note)
    return _with_footer(lines, result.bases, result.caveats)


def pension_text(result: PensionComparison) -> str:
    allowed = "Được" if result.lump_sum_allowed else "Chưa được" if result.lump_sum_allowed_from else "Không được"
    lines = [
        f"Rút BHXH một lần hay chờ lương hưu ({SCHEME_LABEL[result.scheme]}), tính ngày {day(result.on)}:",
        f"• Thời gian đóng: {duration_text(result.contribution_months)} (tháng đóng cuối "
        f"{result.last_month_paid:%m/%Y})",
        f"• {allowed} rút một lần: {result.lump_sum_reason}",
        f"• Tuổi nghỉ hưu của bạn: {age(result.retirement_age_months)}, nghỉ hưu ngày "
        f"{day(result.retirement_date)}, lương hưu từ {day(result.pension_start)}",
    ]
    if result.months_needed_for_pension:
        lines.append(f"• Còn thiếu {duration_text(result.months_needed_for_pension)} đóng để đủ điều kiện lương hưu")
    lines.append(result.conclusion)
    return _with_footer(lines, result.bases, result.caveats, "Căn cứ chi tiết")


def _with_footer(lines: list[str], bases: tuple[str, ...], caveats: tuple[str, ...], label: str = "Căn cứ") -> str:
    lines = [*lines, f"{label}: {'; '.join(bases)}."]
    lines += [f"{UNCERTAIN_MARK} {caveat}" for caveat in caveats]
    return "\n".join(lines)


def as_json(result: Any) -> Any:
    """A result as JSON-ready data: dates ISO, Decimals as numbers, enums as their value."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: as_json(getattr(result, f.name)) for f in dataclasses.fields(result)}
    if isinstance(result, (list, tuple)):
        return [as_json(item) for item in result]
    if isinstance(result, (set, frozenset)):
        return sorted(as_json(item) for item in result)
    if isinstance(result, Enum):
        return result.value
    if isinstance(result, date):
        return result.isoformat()
    if isinstance(result, Decimal):
        return int(result) if result == result.to_integral_value() else float(result)
    return result
