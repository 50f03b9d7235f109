"""Lump sum versus pension: what a person gives up by taking BHXH một lần, as an estimate."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.core.calc.common import (
    CalcError,
    Figures,
    Gender,
    Scheme,
    counted_years,
    duration_text,
    joined,
    month_index,
    month_start,
    percent_of,
)
from bot.core.calc.lump_sum import (
    ARTICLE,
    FIRST_MONTH_OF_2014,
    LAW,
    LAW_IN_FORCE,
    PENSION_ARTICLES,
    eligibility,
    lump_sum_amount,
    state_support_received,
)
from bot.core.calc.retirement import retirement
from bot.core.calc.support import SupportGroup, monthly_support, parse_groups
from bot.core.policy import Policy
from bot.core.render import Rendered, compose, day, decimal_text, lines, marked, money, to_dong

OLDEST_BIRTH_YEAR = 1900  # a guard against typing mistakes
YOUNGEST_AGE = 15  # a guard against typing mistakes: nobody has paid from before this age (the flow asks the same)
# The highest salary or income contributions are paid on, 20 × mức tham chiếu (Luật BHXH 41/2024/QH15, Điều 31):
# an average above it on the day is a typing mistake (the estimate applies no price indexation).
HIGHEST_INCOME = "tn_thu_nhap_toi_da"
ALLOWANCE_STEP = 1000  # the Art 23 allowance estimate is rounded down to this many đồng
LAST_CHART_AGE = 90  # the comparison (the crossover, the chart) looks up to this age


@dataclass(frozen=True)
class ContributionRecord:
    """What the citizen tells: who they are and what they have paid."""

    gender: Gender
    birth: date
    months_before_2014: int
    months_from_2014: int
    average_income: int  # average monthly salary (compulsory) or income (voluntary) contributions were on
    scheme: Scheme = Scheme.COMPULSORY
    groups: frozenset[SupportGroup] = field(default_factory=frozenset)  # voluntary only
    started_before_2025_07: bool | None = None  # None: worked out assuming continuous contributions
    stopped: date | None = None  # any day of the last month paid; None: the month before the date


@dataclass(frozen=True)
class PensionComparison:
    on: date
    scheme: Scheme
    gender: Gender
    birth: date
    contribution_months: int
    last_month_paid: date  # the first day of the last month paid
    started_before_2025_07: bool
    lump_sum_allowed: bool
    lump_sum_reason: str
    lump_sum_other_cases: str  # when it may not be taken now: the cases in which it may
    lump_sum_allowed_from: date | None
    lump_sum: int
    lump_sum_before_support: int
    state_support_deducted: int
    retirement_age_months: int
    retirement_reached_on: date  # the day the retirement age is reached
    retirement_date: date  # the last day of the month the age is reached
    pension_start: date
    months_needed_for_pension: int
    years_needed_for_pension: Decimal
    pension_years: Decimal  # the years the rate is computed on (at least the minimum)
    pension_rate_percent: Decimal
    monthly_pension: int
    months_of_pension_equal_to_lump_sum: Decimal
    bhyt_card_value_per_year: int
    # Short of a pension: the missing months paid as BHXH tự nguyện on `missing_income` a month, at the figures of
    # `on`, with the State support the person may still get (NĐ 159/2025 Art 5).
    missing_income: int
    missing_cost: int  # what the person pays for the missing months, after the support
    missing_support: int
    # The most missing months that may be paid in one go at retirement age (0: the route does not apply).
    one_off_max_months: int
    one_off_basis: str
    # Art 23: the monthly allowance from the person's own contributions at retirement age without a pension.
    allowance_monthly: int  # 0: does not apply
    allowance_months: int
    pension_from: date  # when the pension (the chart's curve) starts, the missing months paid
    pension_from_age_months: int
    crossover_age: int | None  # the first whole age at which the pension received, less the cost, passes the lump sum
    conclusion: str
    bases: tuple[str, ...]
    caveats: tuple[str, ...]
    figure_caveats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field -> caveats it rests on


def pension_rate_percent(policy: Policy, on: date, gender: Gender, months: int) -> Decimal:
    """The pension rate (%) for a contribution time; 0 below the minimum years for a pension."""
    return _rate(Figures(policy), on, gender, months)


def _rate(figures: Figures, on: date, gender: Gender, months: int) -> Decimal:
    """Law 41/2024 Art 66(1) and 99(1): women 45% for 15 years, +2% a year; men 40% for 15 years +1% a
    year up to 20 years, 45% for 20 years +2% a year; 75% at most. Odd months count by Art 5(6)."""
    minimum = figures.value("huu_so_nam_toi_thieu", on)
    if months < minimum * 12:  # Art 5(6): the minimum is whole years of 12 months
        return Decimal(0)
    years = counted_years(months)
    step = figures.value("huu_ty_le_tang_moi_nam", on)
    if gender is Gender.FEMALE:
        rate = figures.value("huu_ty_le_nu_15_nam", on) + step * (years - minimum)
    else:
        full = figures.value("huu_so_nam_nam_45", on)
        if years < full:
            rate = figures.value("huu_ty_le_nam_15_nam", on) + figures.value("huu_ty_le_tang_nam_15_20", on) * (
                years - minimum
            )
        else:
            rate = figures.value("huu_ty_le_nam_20_nam", on) + step * (years - full)
    return min(rate, figures.value("huu_ty_le_toi_da", on))


def _missing_cost(
    figures: Figures, on: date, record: ContributionRecord, needed: int, last_month: int
) -> tuple[int, int, int]:
    """The income, cost and State support of paying the missing months as BHXH tự nguyện (Law 41/2024 Art 31(2),
    32(2); NĐ 159/2025 Art 5): on the person's average, at least the lowest income, at the rates of `on`; the
    support for at most the supported months the person has not had yet."""
    if not needed:
        return 0, 0, 0
    lowest = to_dong(figures.value("tn_thu_nhap_toi_thieu", on))
    income = max(record.average_income, lowest)
    gross = percent_of(income, figures.value("tn_ty_le_dong", on)) * needed
    groups = parse_groups(record.groups) if record.scheme is Scheme.VOLUNTARY else parse_groups(())
    most = int(figures.value("tn_ho_tro_so_thang_toi_da", on))
    had = 0
    if record.scheme is Scheme.VOLUNTARY and record.months_from_2014:
        first = last_month - record.months_from_2014 + 1
        past = Figures(figures.policy)  # counting only: the past months' figures are not the estimate's
        had = sum(1 for index in range(first, last_month + 1) if monthly_support(past, groups, month_start(index)))
    support = monthly_support(figures, groups, on) * min(needed, max(0, most - had))
    return income, to_dong(gross - support), to_dong(support)


def _one_off(figures: Figures, on: date, scheme: Scheme, needed: int) -> tuple[int, str]:
    """The most missing months that may be paid in one go at retirement age, if `needed` is within it: up to
    bb_dong_con_thieu_so_thang_toi_da at the compulsory rate (Law 41/2024 Art 33(7)), else, as BHXH tự nguyện, up
    to tn_dong_con_thieu_so_thang_toi_da (Art 36(2)(e); NĐ 159/2025 Art 7). 0 when it does not apply."""
    if not needed:
        return 0, ""
    if scheme is Scheme.COMPULSORY:
        compulsory = int(Figures(figures.policy).value("bb_dong_con_thieu_so_thang_toi_da", on))
        if needed <= compulsory:
            figures.value("bb_dong_con_thieu_so_thang_toi_da", on)
            return compulsory, f"{LAW}, Điều 33 khoản 7"
    voluntary = int(Figures(figures.policy).value("tn_dong_con_thieu_so_thang_toi_da", on))
    if needed <= voluntary:
        figures.value("tn_dong_con_thieu_so_thang_toi_da", on)
        return voluntary, f"{LAW}, Điều 36 khoản 2 điểm e; Nghị định 159/2025/NĐ-CP, Điều 7"
    return 0, ""


def _allowance(figures: Figures, on: date, retirement_age_months: int, own_money: int) -> tuple[int, int]:
    """Art 23 (Law 41/2024): the monthly allowance paid from the person's own contributions (estimated as the lump
    sum) from retirement age to the age of the social pension, at least the social pension (Art 23(3)). Returns
    the monthly amount and for how many months; (0, 0) when there is nothing to pay."""
    floor = to_dong(figures.value("htxh_muc", on))
    span = int(figures.value("htxh_tuoi", on)) - retirement_age_months
    if floor <= 0 or span <= 0 or own_money <= 0:
        return 0, 0
    figures.cite(f"{LAW}, Điều 23")
    if own_money >= floor * span:  # an estimate: rounded down to the thousand đồng
        return own_money // span // ALLOWANCE_STEP * ALLOWANCE_STEP, span
    return floor, max(1, own_money // floor)


def cumulative_pension(from_age_months: int, monthly: int, cost: int, age: int) -> int:
    """The pension received by the `age`-th birthday, less the cost of the missing months (negative before it
    pays them back)."""
    return max(0, age * 12 - from_age_months) * monthly - cost


def crossover_age(
    from_age_months: int, monthly: int, cost: int, lump_sum: int, last_age: int = LAST_CHART_AGE
) -> int | None:
    """The first whole age by which the pension received, less the cost, is more than the lump sum; None if not
    by `last_age`."""
    first = from_age_months // 12
    for age in range(first, last_age + 1):
        if cumulative_pension(from_age_months, monthly, cost, age) > lump_sum:
            return age
    return None


def lump_sum_versus_pension(policy: Policy, on: date, record: ContributionRecord) -> PensionComparison:
    """The lump sum a record comes to and whether it may be taken on `on`, against the pension it can
    earn (on the same average, at least the minimum years, no price indexation)."""
    _check(record, on)
    figures = Figures(policy)
    total = record.months_before_2014 + record.months_from_2014
    last_month = _last_month_paid(record, on)
    _check_bounds(policy, record, on, last_month)
    before_law = _started_before_law(record, last_month)
    age_figures, lump_figures, rate_figures, card_figures = (
        figures.part(),
        figures.part(),
        figures.part(),
        figures.part(),
    )
    retired = retirement(age_figures, record.gender, record.birth)
    support = Decimal(0)
    if record.scheme is Scheme.VOLUNTARY and record.months_from_2014:
        groups = parse_groups(record.groups)
        first_supported = last_month - record.months_from_2014 + 1
        support = state_support_received(lump_figures, groups, first_supported, last_month, on)
    lump = lump_sum_amount(
        lump_figures,
        on,
        record.scheme,
        record.months_before_2014,
        record.months_from_2014,
        record.average_income,
        support,
    )
    allowed = eligibility(figures, on, record.scheme, total, before_law, last_month, retired)
    minimum = rate_figures.figure("huu_so_nam_toi_thieu", on)
    minimum_months = int(minimum.value * 12)
    needed = max(0, minimum_months - total)
    rate_months = max(total, minimum_months)
    rate = _rate(rate_figures, on, record.gender, rate_months)
    figures.cite(f"{LAW}, Điều {PENSION_ARTICLES[record.scheme][1]} khoản 1")
    monthly = to_dong(percent_of(record.average_income, rate))
    equal = (Decimal(lump.amount) / monthly).quantize(Decimal("0.1"), ROUND_HALF_UP) if monthly else Decimal(0)
    card = to_dong(percent_of(monthly, card_figures.value("bhyt_the_huu_tri_nam", on)) * 12)
    missing_figures, one_off_figures, allowance_figures = figures.part(), figures.part(), figures.part()
    income, cost, support_ahead = _missing_cost(missing_figures, on, record, needed, last_month)
    months_left = max(0, month_index(retired.pension_start) - month_index(on))
    # Paying in one go matters only when the missing months do not fit before retirement age.
    one_off, one_off_basis = _one_off(one_off_figures, on, record.scheme, needed) if needed > months_left else (0, "")
    next_month = month_index(on) + 1
    if not needed or needed <= months_left:
        pension_from = retired.pension_start
    elif needed <= one_off:  # paid in one go at retirement age, or now if it is past
        pension_from = max(retired.pension_start, month_start(next_month))
    else:  # paid month by month from next month, past retirement age
        pension_from = month_start(next_month + needed)
    from_age = month_index(pension_from) - month_index(record.birth)
    allowance, allowance_months = (
        _allowance(allowance_figures, on, retired.age_months, lump.amount) if needed else (0, 0)
    )
    result = PensionComparison(
        on=on,
        scheme=record.scheme,
        gender=record.gender,
        birth=record.birth,
        contribution_months=total,
        last_month_paid=month_start(last_month),
        started_before_2025_07=before_law,
        lump_sum_allowed=allowed.allowed,
        lump_sum_reason=allowed.reason,
        lump_sum_other_cases=allowed.other_cases,
        lump_sum_allowed_from=allowed.allowed_from,
        lump_sum=lump.amount,
        lump_sum_before_support=lump.before_support,
        state_support_deducted=lump.state_support_deducted,
        retirement_age_months=retired.age_months,
        retirement_reached_on=retired.reached_on,
        retirement_date=retired.retirement_date,
        pension_start=retired.pension_start,
        months_needed_for_pension=needed,
        years_needed_for_pension=(Decimal(needed) / 12).quantize(Decimal("0.01"), ROUND_HALF_UP),
        pension_years=counted_years(rate_months),
        pension_rate_percent=rate,
        monthly_pension=monthly,
        months_of_pension_equal_to_lump_sum=equal,
        bhyt_card_value_per_year=card,
        missing_income=income,
        missing_cost=cost,
        missing_support=support_ahead,
        one_off_max_months=one_off,
        one_off_basis=one_off_basis,
        allowance_monthly=allowance,
        allowance_months=allowance_months,
        pension_from=pension_from,
        pension_from_age_months=from_age,
        crossover_age=crossover_age(from_age, monthly, cost, lump.amount),
        conclusion="",
        bases=(),
        caveats=(),
        figure_caveats={
            "retirement_age_months": age_figures.caveats,
            "lump_sum": lump_figures.caveats,
            "months_needed_for_pension": minimum.caveats,
            "pension_rate_percent": rate_figures.caveats,
            "monthly_pension": rate_figures.caveats,
            "bhyt_card_value_per_year": joined(rate_figures.caveats, card_figures.caveats),
            "months_of_pension_equal_to_lump_sum": joined(lump_figures.caveats, rate_figures.caveats),
            "missing_cost": missing_figures.caveats,
            "one_off_max_months": one_off_figures.caveats,
            "allowance_monthly": joined(lump_figures.caveats, allowance_figures.caveats),
            "crossover_age": joined(lump_figures.caveats, rate_figures.caveats, missing_figures.caveats),
        },
    )
    conclusion = conclusion_text(result).text
    return replace(result, conclusion=conclusion, bases=figures.bases, caveats=figures.caveats)


def conclusion_text(result: PensionComparison, heading: bool = True) -> Rendered:
    """A plain-language summary with the legal basis, clearly an estimate; its figures carry the marks of
    the uncertain figures they rest on (`result.conclusion` is this text on its own). Without its `heading`
    (the estimate's date, the lump sum), for a text that says those itself."""
    return lines([*(_heading_lines(result) if heading else []), *_comparison_lines(result)])


def _figure(result: PensionComparison, field: str, text: str) -> Rendered:
    return marked(text, result.figure_caveats.get(field, ()))


def _heading_lines(result: PensionComparison) -> list[str | Rendered]:
    return [estimate_heading(result), compose("• Rút BHXH một lần: ", lump_sum_text(result))]


def lump_sum_text(result: PensionComparison, when: bool = True) -> Rendered:
    """The lump sum and, with `when`, when it may be taken (the same date as its reason gives)."""
    lump: list[str | Rendered] = ["khoảng ", _figure(result, "lump_sum", money(result.lump_sum))]
    if result.state_support_deducted:
        lump.append(f" (đã trừ {money(result.state_support_deducted)} Nhà nước hỗ trợ)")
    if not when:
        lump.append(".")
    elif result.lump_sum_allowed:
        lump.append("; hiện được rút.")
    elif result.lump_sum_allowed_from:
        lump.append(f"; được rút từ {day(result.lump_sum_allowed_from)}.")
    else:
        lump.append("; hiện không được rút.")
    return compose(*lump)


def _comparison_lines(result: PensionComparison) -> list[str | Rendered]:
    amount = compose(
        "khoảng ",
        _figure(result, "monthly_pension", money(result.monthly_pension)),
        " mỗi tháng, trả suốt đời, kèm thẻ BHYT",
    )
    body: list[str | Rendered] = []
    articles = {5, *PENSION_ARTICLES[result.scheme], ARTICLE[result.scheme]}
    if result.months_needed_for_pension:
        body += _short_record_lines(result, amount)
        articles |= {31, 32} | ({23} if result.allowance_monthly else set())
        articles |= {int(match) for match in re.findall(r"Điều (\d+)", result.one_off_basis.split(";")[0])}
    elif result.on >= result.pension_start:
        body.append(compose("• Lương hưu: ", amount, "."))
    else:
        body.append(
            compose(f"• Nếu bảo lưu thời gian đóng, từ {day(result.pension_start)} bạn hưởng lương hưu ", amount, ".")
        )
    equal = compose(
        "• Rút một lần chỉ bằng khoảng ",
        _figure(
            result, "months_of_pension_equal_to_lump_sum", decimal_text(result.months_of_pension_equal_to_lump_sum)
        ),
        " tháng lương hưu",
    )
    if result.crossover_age is not None:
        less = " (đã trừ tiền đóng thêm)" if result.missing_cost else ""
        equal = compose(
            equal,
            "; từ tuổi ",
            _figure(result, "crossover_age", str(result.crossover_age)),
            f", tổng lương hưu{less} vượt số tiền rút một lần",
        )
    body.append(compose(equal, "."))
    # One short line, as under every answer; the decrees (NĐ 135/2020 on the retirement age, NĐ 159/2025 on
    # paying in one go) are behind "Xem căn cứ pháp lý" (calc.huu's sources).
    body.append(
        f"Căn cứ: {LAW}, Điều {', '.join(str(article) for article in sorted(articles))}; Bộ luật Lao động "
        "45/2019/QH14, Điều 169."
    )
    return body


def estimate_heading(result: PensionComparison) -> str:
    return f"Ước tính ngày {day(result.on)}, chưa tính trượt giá; số chính xác do BHXH tính:"


def _short_record_lines(result: PensionComparison, amount: Rendered) -> list[str | Rendered]:
    """Short of the minimum years: what the missing years cost, paying them in one go, the Art 23 allowance."""

    def figure(field: str, text: str) -> Rendered:
        return marked(text, result.figure_caveats.get(field, ()))

    more, minimum = duration_text(result.months_needed_for_pension), decimal_text(result.pension_years)
    support = f" (đã trừ {money(result.missing_support)} Nhà nước hỗ trợ)" if result.missing_support else ""
    found: list[str | Rendered] = [
        compose(
            f"• Nếu đóng thêm {more} cho đủ {minimum} năm (tự nguyện, thu nhập {money(result.missing_income)}/tháng)"
            ": khoảng ",
            figure("missing_cost", money(result.missing_cost)),
            f"{support}; lương hưu từ {day(result.pension_from)} ",
            amount,
            ".",
        )
    ]
    if result.one_off_max_months:
        interest = "" if "Điều 33" in result.one_off_basis else " (có tính lãi)"
        found.append(
            compose(
                "• Đủ tuổi nghỉ hưu mà thiếu không quá ",
                figure("one_off_max_months", duration_text(result.one_off_max_months)),
                f": được đóng một lần số tháng còn thiếu{interest}.",
            )
        )
    if result.allowance_monthly:
        found.append(
            compose(
                "• Không rút, không đóng thêm: khi đủ tuổi nghỉ hưu được nhận trợ cấp hằng tháng (Điều 23) khoảng ",
                figure("allowance_monthly", money(result.allowance_monthly)),
                f" mỗi tháng trong {duration_text(result.allowance_months)}.",
            )
        )
    return found


def _check(record: ContributionRecord, on: date) -> None:
    if record.months_before_2014 < 0 or record.months_from_2014 < 0:
        raise CalcError("Thời gian đóng không được âm.")
    if record.months_before_2014 + record.months_from_2014 == 0:
        raise CalcError("Bạn cho biết thời gian đã đóng BHXH (số năm, số tháng) giúp mình nhé.")
    if record.average_income <= 0:
        raise CalcError("Mức lương (thu nhập) bình quân đóng BHXH phải lớn hơn 0.")
    if record.birth.year < OLDEST_BIRTH_YEAR or record.birth >= on:
        raise CalcError(f"Ngày sinh {day(record.birth)} không hợp lệ.")
    if record.stopped and month_index(record.stopped) > month_index(on):
        raise CalcError(f"Tháng dừng đóng {record.stopped:%m/%Y} còn ở sau ngày tính {day(on)}.")


def _last_month_paid(record: ContributionRecord, on: date) -> int:
    """The last month paid; by default the month before the date (or 12/2013 with no time from 2014).
    Contributions from 2014 are assumed continuous up to it, so they must fit between 01/2014 and it."""
    if record.stopped is None:
        last = month_index(on) - 1 if record.months_from_2014 else FIRST_MONTH_OF_2014 - 1
        until = f"tháng {month_start(last):%m/%Y}"
    else:
        last = month_index(record.stopped)
        until = f"tháng dừng đóng {record.stopped:%m/%Y}"
    if record.months_from_2014 > last - FIRST_MONTH_OF_2014 + 1:
        raise CalcError(
            f"Thời gian đóng từ năm 2014 ({duration_text(record.months_from_2014)}) dài hơn khoảng từ 01/2014 "
            f"đến {until}."
        )
    if not record.months_from_2014 and last >= FIRST_MONTH_OF_2014:
        raise CalcError("Bạn không có thời gian đóng từ năm 2014 nên tháng dừng đóng phải trước năm 2014.")
    return last


def _check_bounds(policy: Policy, record: ContributionRecord, on: date, last_month: int) -> None:
    """Guards against typing mistakes, so that no result is absurd: the time paid fits between the 15th
    birthday and the last month paid, the average is at most the highest income contributions are paid on."""
    first_month = month_index(record.birth) + YOUNGEST_AGE * 12
    if record.months_before_2014 + record.months_from_2014 > last_month - first_month + 1:
        raise CalcError(
            f"Thời gian đóng bạn nhập dài hơn khoảng từ khi đủ {YOUNGEST_AGE} tuổi đến tháng đóng cuối cùng "
            f"({month_start(last_month):%m/%Y})."
        )
    highest = to_dong(Figures(policy).value(HIGHEST_INCOME, on))
    if record.average_income > highest:
        raise CalcError(
            f"Mức lương (thu nhập) bình quân bạn nhập cao hơn mức cao nhất được dùng để đóng BHXH "
            f"({money(highest)} một tháng, tính ngày {day(on)})."
        )


def _started_before_law(record: ContributionRecord, last_month: int) -> bool:
    """Whether any contribution was paid before 01/07/2025 (Law 41/2024 Art 70(1)(đ), 102(1)(đ))."""
    first_month_of_law = month_index(LAW_IN_FORCE)
    # Assuming continuous contributions, the first month from 2014 is this one.
    inferred = record.months_before_2014 > 0 or last_month - record.months_from_2014 + 1 < first_month_of_law
    if record.started_before_2025_07 is None:
        return inferred
    fits_after_law = not record.months_before_2014 and record.months_from_2014 <= last_month - first_month_of_law + 1
    if not record.started_before_2025_07 and not fits_after_law:
        raise CalcError(
            f"Thời gian đóng bạn nhập dài hơn khoảng từ {day(LAW_IN_FORCE)} đến tháng dừng đóng, "
            f"nên bạn đã có thời gian đóng trước {day(LAW_IN_FORCE)}."
        )
    return record.started_before_2025_07
