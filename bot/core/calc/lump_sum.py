"""BHXH một lần (lump sum): whether it may be taken now, and how much it comes to."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from bot.core.calc.common import Figures, Scheme, counted_years, month_index, month_start, percent_of
from bot.core.calc.retirement import Retirement
from bot.core.calc.support import SupportGroup, monthly_support
from bot.core.render import day, decimal_text, percent, to_dong

LAW = "Luật BHXH 41/2024/QH15"
LAW_IN_FORCE = date(2025, 7, 1)  # Law 41/2024 Art 140(1)
FIRST_MONTH_OF_2014 = month_index(date(2014, 1, 1))
# The lump-sum article for each scheme: Art 70 (compulsory), Art 102 (voluntary).
ARTICLE = {Scheme.COMPULSORY: 70, Scheme.VOLUNTARY: 102}
# The clause on the amount: Art 70(3) (compulsory), Art 102(2) (voluntary).
AMOUNT_CLAUSE = {Scheme.COMPULSORY: "Điều 70 khoản 3", Scheme.VOLUNTARY: "Điều 102 khoản 2"}
# The pension articles: eligibility (Art 64 / 98) and rate (Art 66 / 99).
PENSION_ARTICLES = {Scheme.COMPULSORY: (64, 66), Scheme.VOLUNTARY: (98, 99)}
# The share of pay that went into the pension fund, for the "amount paid" under one year.
PAID_RATE_PARAM = {Scheme.COMPULSORY: "bb_huu_tu_tuat_tong", Scheme.VOLUNTARY: "tn_ty_le_dong"}


@dataclass(frozen=True)
class LumpSum:
    amount: int  # what the person receives
    before_support: int  # before the State support is deducted
    state_support_deducted: int
    years_before_2014: Decimal  # counted at motlan_thang_truoc_2014 months each
    years_from_2014: Decimal  # counted at motlan_thang_tu_2014 months each
    under_one_year: bool


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str
    allowed_from: date | None  # when it becomes allowed, if it is not yet and will be
    other_cases: str = ""  # when it is not allowed: the other cases in which it is


def lump_sum_amount(
    figures: Figures,
    on: date,
    scheme: Scheme,
    months_before_2014: int,
    months_from_2014: int,
    average: int,
    state_support: Decimal = Decimal(0),
) -> LumpSum:
    """The lump sum for a contribution record (Law 41/2024 Art 70(3) / Art 102(2)-(3)).

    Each year before 2014 counts motlan_thang_truoc_2014 months of the average, each year from 2014
    motlan_thang_tu_2014. When there is time both before and from 2014, the odd months before 2014 move
    into the period from 2014; odd months then count by Art 5(6). Under one year the amount is what was
    paid into the pension fund, capped at motlan_thang_toi_da_duoi_1_nam months. State support received
    for voluntary BHXH is deducted (MH = TC - M, NĐ 159/2025).
    """
    figures.cite(f"{LAW}, Điều 5 khoản 6 và {AMOUNT_CLAUSE[scheme]}")
    total = months_before_2014 + months_from_2014
    if total < 12:
        paid = percent_of(average, figures.value(PAID_RATE_PARAM[scheme], on)) * total
        cap = figures.value("motlan_thang_toi_da_duoi_1_nam", on) * average
        gross, before, after = min(paid, cap), Decimal(0), Decimal(0)
    else:
        if months_from_2014:
            moved = months_before_2014 % 12
            before, after = Decimal(months_before_2014 // 12), counted_years(months_from_2014 + moved)
        else:
            before, after = counted_years(months_before_2014), Decimal(0)
        gross = (
            figures.value("motlan_thang_truoc_2014", on) * before + figures.value("motlan_thang_tu_2014", on) * after
        ) * average
    if state_support:
        figures.cite(f"{LAW}, Điều 102 khoản 3; Nghị định 159/2025/NĐ-CP")
    deducted = min(to_dong(state_support), to_dong(gross))
    return LumpSum(to_dong(gross) - deducted, to_dong(gross), deducted, before, after, total < 12)


def state_support_received(
    figures: Figures, groups: frozenset[SupportGroup], first_month: int, last_month: int, on: date
) -> Decimal:
    """The State support received over a run of voluntary contributions, month by month at the rate
    and rural poverty line in force each month, for at most tn_ho_tro_so_thang_toi_da supported months
    (NĐ 159/2025 Art 5(2); NĐ 134/2015 Art 14)."""
    left = int(figures.value("tn_ho_tro_so_thang_toi_da", on))
    received = Decimal(0)
    for index in range(first_month, last_month + 1):
        support = monthly_support(figures, groups, month_start(index))
        if support and left:
            received += support
            left -= 1
    return received


def eligibility(
    figures: Figures,
    on: date,
    scheme: Scheme,
    total_months: int,
    contributed_before_law: bool,
    stop_month: int,
    retired: Retirement,
) -> Eligibility:
    """Whether the lump sum may be taken on `on` (Law 41/2024 Art 70(1) / Art 102(1)), and if not, the other
    cases in which it may."""
    found = _eligibility(figures, on, scheme, total_months, contributed_before_law, stop_month, retired)
    if found.allowed:
        return found
    return replace(found, other_cases=_other_cases(figures, on, ARTICLE[scheme]))


def _eligibility(
    figures: Figures,
    on: date,
    scheme: Scheme,
    total_months: int,
    contributed_before_law: bool,
    stop_month: int,
    retired: Retirement,
) -> Eligibility:
    article = ARTICLE[scheme]
    pension_article = PENSION_ARTICLES[scheme][0]
    minimum = figures.value("huu_so_nam_toi_thieu", on)
    too_long = figures.value("motlan_so_nam_toi_da", on)
    wait = int(figures.value("motlan_so_thang_cho", on))
    point = f"{LAW}, Điều {article} khoản 1 điểm"
    short = f"Điều {article} khoản 1 điểm"  # in the texts: the result names the law once
    short_of_pension = total_months < minimum * 12  # Art 5(6): the minimum counts whole years of 12 months
    if on >= retired.reached_on:
        if short_of_pension:
            figures.cite(f"{point} a")
            return Eligibility(
                True,
                f"Đã đủ tuổi nghỉ hưu, chưa đủ {decimal_text(minimum)} năm đóng ({short} a).",
                None,
            )
        figures.cite(f"{LAW}, Điều {pension_article}")
        return Eligibility(
            False,
            f"Bạn đã đủ tuổi nghỉ hưu và đủ {decimal_text(minimum)} năm đóng nên được hưởng lương hưu hằng tháng "
            f"({LAW}, Điều {pension_article}), không rút một lần.",
            None,
        )
    # Not yet at retirement age: route (a) opens on the day the age is reached, if still short of a pension.
    at_retirement = retired.reached_on if short_of_pension else None
    on_retiring = (
        f" Khi đủ tuổi nghỉ hưu ({day(retired.reached_on)}) mà chưa đủ {decimal_text(minimum)} năm đóng "
        f"thì được rút ({point} a)."
        if short_of_pension
        else ""
    )
    figures.cite(f"{point} đ")
    if not contributed_before_law:
        return Eligibility(
            False,
            f"Bạn bắt đầu đóng BHXH từ {day(LAW_IN_FORCE)} trở đi nên không được rút một lần vì nghỉ việc "
            f"({point} đ chỉ áp dụng cho người có thời gian đóng trước ngày đó).{on_retiring}",
            at_retirement,
        )
    if total_months >= too_long * 12:
        return Eligibility(
            False,
            f"Bạn đã có từ đủ {decimal_text(too_long)} năm đóng nên không được rút một lần vì nghỉ việc "
            f"({point} đ). Hãy bảo lưu thời gian đóng để hưởng lương hưu khi đủ tuổi nghỉ hưu "
            f"({day(retired.reached_on)}).",
            None,
        )
    # Route (đ): the end of the last month paid starts the 12 months (Art 107(2) for voluntary BHXH).
    allowed_from = month_start(stop_month + wait + 1)
    if on >= allowed_from:
        return Eligibility(
            True,
            f"Bạn có thời gian đóng trước {day(LAW_IN_FORCE)}, chưa đủ {decimal_text(too_long)} năm và đã dừng "
            f"đóng hơn {wait} tháng nên được rút ({short} đ), nếu trong thời gian đó bạn "
            "không tham gia BHXH bắt buộc hay tự nguyện.",
            None,
        )
    if at_retirement and at_retirement < allowed_from:  # one date only: the earlier route says when
        return Eligibility(
            False,
            f"Bạn đủ tuổi nghỉ hưu ngày {day(at_retirement)}, trước khi đủ {wait} tháng không đóng BHXH; từ ngày "
            f"đó, nếu chưa đủ {decimal_text(minimum)} năm đóng, bạn được rút một lần ({short} a).",
            at_retirement,
        )
    return Eligibility(
        False,
        f"Bạn có thời gian đóng trước {day(LAW_IN_FORCE)}, chưa đủ {decimal_text(too_long)} năm: sau {wait} "
        f"tháng không đóng, từ {day(allowed_from)} bạn được rút ({short} đ).",
        allowed_from,
    )


def _other_cases(figures: Figures, on: date, article: int) -> str:
    incapacity = figures.value("motlan_suy_giam_ld", on)
    return (
        "Cũng được rút khi: ra nước ngoài để định cư; mắc ung thư, bại liệt, xơ gan mất bù, lao nặng, AIDS; "
        f"suy giảm khả năng lao động từ {percent(incapacity)} hoặc khuyết tật đặc biệt nặng (Điều {article} "
        "khoản 1 điểm b, c, d)."
    )
