"""Calculator results as a citizen reads them (Vietnamese text), and as plain JSON-ready data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from bot.core.calc.common import Scheme, duration_text
from bot.core.calc.household import HouseholdContribution
from bot.core.calc.pension import PensionComparison, conclusion_text, estimate_heading, lump_sum_text
from bot.core.calc.support import GROUP_LABEL
from bot.core.calc.voluntary import UncertainMinimum, VoluntaryContribution
from bot.core.citations import Citation, short_line, split_citations
from bot.core.render import Footnotes, Rendered, age, compose, day, lines, marked, money, percent

SCHEME_LABEL = {Scheme.COMPULSORY: "BHXH bắt buộc", Scheme.VOLUNTARY: "BHXH tự nguyện"}


def voluntary_text(result: VoluntaryContribution, explanation: str | Rendered = "") -> str:
    """The result, an explanation (the flow's "Cách tính"), the legal bases and the caveats."""

    def figure(field: str, text: str) -> Rendered:
        return marked(text, result.figure_caveats.get(field, ()))

    if result.months == 1:
        period = f"kỳ đóng 1 tháng (tháng {result.first_month:%m/%Y})"
    else:
        period = f"kỳ đóng {result.months} tháng (từ tháng {result.first_month:%m/%Y} đến {result.last_month:%m/%Y})"
    body: list[str | Rendered] = [
        f"BHXH tự nguyện, tính theo quy định ngày {day(result.on)}:",
        f"• Thu nhập chọn đóng: {money(result.income)} mỗi tháng, {period}",
        compose(
            f"• Số tiền đóng ({percent(result.contribution_rate_percent)}): ", figure("total", money(result.total))
        ),
        compose(
            f"• Nhà nước hỗ trợ ({GROUP_LABEL[result.group]}, {percent(result.support_rate_percent)} mức đóng "
            "thấp nhất): ",
            figure("state_support", money(result.state_support)),
        ),
        compose("• Bạn nộp: ", figure("citizen_pays", money(result.citizen_pays))),
        compose(
            f"• Mức nộp thấp nhất mỗi tháng cho nhóm này (thu nhập {money(result.minimum_income)}): ",
            figure("minimum_citizen_pays_per_month", money(result.minimum_citizen_pays_per_month)),
        ),
        compose(
            "Thu nhập chọn từ ",
            figure("minimum_income", money(result.minimum_income)),
            " đến ",
            figure("maximum_income", money(result.maximum_income)),
            " mỗi tháng. Nhà nước hỗ trợ tối đa ",
            figure("support_max_months", duration_text(result.support_max_months)),
            ".",
        ),
    ]
    body += [_uncertain_minimum_note(result, minimum) for minimum in result.uncertain_minimums]
    if explanation:
        body.append(explanation)
    return _with_footer(body, result.bases, result.caveats)


def _uncertain_minimum_note(result: VoluntaryContribution, minimum: UncertainMinimum) -> Rendered:
    """The income was accepted under a minimum announced but not confirmed: say what may follow."""
    later = minimum.start > result.on
    return compose(
        f"Lưu ý: từ {day(minimum.start)} thu nhập thấp nhất" if later else "Lưu ý: thu nhập thấp nhất",
        " dự kiến là ",
        marked(money(minimum.amount), minimum.caveats),
        ", cao hơn mức bạn chọn. Nếu mức này được áp dụng, ",
        f"các tháng từ {minimum.start:%m/%Y}" if later else "bạn",
        " có thể phải đóng trên thu nhập cao hơn; bạn hỏi cơ quan BHXH hoặc đại lý thu trước khi đóng.",
    )


def household_text(result: HouseholdContribution, note: str | Rendered = "", labels: Sequence[str] = ()) -> str:
    """Each member's amount (after their `labels`, "Vợ", "Mẹ chồng 70 tuổi", when the citizen said who they
    are), the total, a note (who is not counted, or the flow's "Cách tính"), the legal bases and the caveats."""
    body: list[str | Rendered] = [_household_heading(result.months, result.on)]
    for member in result.members:
        share = "" if member.position == 1 else f" ({percent(member.share_percent)} người thứ nhất)"
        label = labels[member.position - 1] if member.position <= len(labels) else ""
        who = f"Người thứ {member.position}" + (f" – {label}" if label else "")
        body.append(compose(f"• {who}{share}: ", marked(money(member.amount), member.caveats)))
    body.append(compose("Tổng cộng: ", marked(money(result.total), result.figure_caveats.get("total", ()))))
    body.append(
        compose(
            "Người thứ nhất đóng ",
            marked(percent(result.rate_percent), result.figure_caveats.get("rate_percent", ())),
            " lương cơ sở (",
            money(result.base_salary),
            ") mỗi tháng.",
        )
    )
    if note:
        body.append(note)
    return _with_footer(body, result.bases, result.caveats)


def household_nobody_text(
    on: date, months: int, note: str | Rendered, bases: tuple[str, ...], caveats: tuple[str, ...]
) -> str:
    """A household in which nobody buys at the household rate: the note says why, member by member."""
    return _with_footer([_household_heading(months, on), note], bases, caveats)


def _household_heading(months: int, on: date) -> str:
    return f"BHYT hộ gia đình, kỳ đóng {months} tháng, tính theo quy định ngày {day(on)}:"


def pension_text(result: PensionComparison) -> str:
    """Whether the lump sum may be taken and why, the retirement date, the conclusion, bases and caveats."""
    allowed = (
        "Được rút" if result.lump_sum_allowed else "Chưa được rút" if result.lump_sum_allowed_from else "Không được rút"
    )
    age_caveats = result.figure_caveats.get("retirement_age_months", ())
    # Told "không được rút" with no date: the cases in which it may be (a date says when; the JSON has them all).
    other = f" {result.lump_sum_other_cases}" if not result.lump_sum_allowed_from else ""
    heading = f"Rút một lần hay chờ lương hưu ({SCHEME_LABEL[result.scheme]}). {estimate_heading(result)}"
    paid = f"• Đã đóng {duration_text(result.contribution_months)} (tháng cuối {result.last_month_paid:%m/%Y}); "
    retirement_age = marked(age(result.retirement_age_months), age_caveats)
    if result.months_needed_for_pension:  # no pension on this record: no "lương hưu từ" either
        needed = marked(
            duration_text(result.months_needed_for_pension),
            result.figure_caveats.get("months_needed_for_pension", ()),
        )
        retired = compose(
            paid,
            "đủ tuổi nghỉ hưu (",
            retirement_age,
            f") ngày {day(result.retirement_reached_on)}; còn thiếu ",
            needed,
            " đóng để có lương hưu",
        )
    else:
        retired = compose(
            paid,
            "tuổi nghỉ hưu ",
            retirement_age,
            f", nghỉ hưu ngày {day(result.retirement_date)}, lương hưu từ {day(result.pension_start)}",
        )
    body: list[str | Rendered] = [
        heading,
        retired,
        compose("• Rút một lần ", lump_sum_text(result, when=False), f" {allowed}: {result.lump_sum_reason}", other),
        conclusion_text(result, heading=False),
    ]
    return _with_footer(body, (), result.caveats)


def _with_footer(
    body: list[str | Rendered], bases: tuple[str, ...], caveats: tuple[str, ...], label: str = "Căn cứ"
) -> str:
    """The body with its marks, the legal bases, then every caveat the result rests on: those of the figures
    shown, numbered in the order they appear, then any other."""
    text = lines(body)
    footnotes = Footnotes.of(text, also=caveats)
    # the one or two most relevant bases; the whole list is behind "Xem căn cứ pháp lý" (bot.core.citations)
    cited = short_line(Citation(text) for basis in bases for text in split_citations(basis))
    based = [f"{label}: {cited}."] if cited else []  # none: the body says its bases
    return "\n".join([footnotes.write(text), *based, *footnotes.lines()])


def as_json(result: Any) -> Any:
    """A result as JSON-ready data: dates ISO, Decimals as numbers, enums as their value."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: as_json(getattr(result, f.name)) for f in dataclasses.fields(result)}
    if isinstance(result, (list, tuple)):
        return [as_json(item) for item in result]
    if isinstance(result, Mapping):
        return {str(key): as_json(value) for key, value in result.items()}
    if isinstance(result, (set, frozenset)):
        return sorted(as_json(item) for item in result)
    if isinstance(result, Enum):
        return result.value
    if isinstance(result, date):
        return result.isoformat()
    if isinstance(result, Decimal):
        return int(result) if result == result.to_integral_value() else float(result)
    return result
