"""Lump sum versus pension, step by step: gender -> date of birth -> scheme -> (support group) -> time paid
-> of it before 2014 -> average income -> still paying or stopped -> (last month paid) -> result.

Assumptions, said in the result where they matter: a year of birth alone is taken as 1 July of that year;
contributions from 2014 are continuous up to the last month paid (the calculator's own rule).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from bot.core.calc import CalcError
from bot.core.calc.chart import pension_chart
from bot.core.calc.common import Figures, Gender, Scheme, add_months
from bot.core.calc.pension import HIGHEST_INCOME, ContributionRecord, lump_sum_versus_pension
from bot.core.calc.support import SupportGroup
from bot.core.calc.text import pension_text
from bot.core.flows import parsing
from bot.core.flows.base import Choice, Context, Finished, Flow, Invalid, Parser, Step, codes, number
from bot.core.flows.common import group_step, parse_amount, result_buttons, words
from bot.core.render import day, money, to_dong
from bot.core.text import fold
from bot.core.types import Answer, Inbound

NAME = "pension"
OLDEST_BIRTH_YEAR = 1930  # a guard against typing mistakes
YOUNGEST_AGE = 15  # the minimum working age (Labour Code 2019 Art 3(1))
LONGEST_YEARS = 50  # a guard against typing mistakes
PAYING, STOPPED = "paying", "stopped"
AGO = "ago:"  # a stopped-month button: months before the date of the result

_FEMALE = re.compile(r"\b(?:nu|phu nu|dan ba|con gai)\b")
_MALE = re.compile(r"\b(?:dan ong|con trai|gioi tinh nam|la nam)\b")
_VOLUNTARY = re.compile(r"\btu nguyen\b")
_COMPULSORY = re.compile(r"\b(?:bat buoc|cong ty|xi nghiep|nha may|khu cong nghiep|kcn|cong nhan|doanh nghiep)\b")
_STOPPED = re.compile(r"\b(?:da nghi|nghi viec|nghi lam|da dung|dung dong|thoi viec|khong dong nua|nghi duoc)\b")
_PAYING = re.compile(r"\b(?:dang dong|van dong|con dong|van dang dong|dang di lam)\b")
_AGE = re.compile(r"(?<!\d)(\d{2})\s*(?:tuoi|t)\b")
_BEFORE_2014 = re.compile(r"truoc (?:nam )?2014[^0-9]{0,20}?((?:\d+\s*(?:nam|n|thang|t)\b\s*){1,2})")
_FROM_2014 = re.compile(r"(?:tu|sau) (?:nam )?2014[^0-9]{0,20}?((?:\d+\s*(?:nam|n|thang|t)\b\s*){1,2})")
_YEARS_SPAN = re.compile(r"\btu (?:nam )?((?:19|20)\d\d) (?:den|toi|toi nam|den nam|-) ?((?:19|20)\d\d)\b")


def _is_voluntary(answers: Mapping[str, Answer]) -> bool:
    return answers.get("scheme") == Scheme.VOLUNTARY.value


def _is_stopped(answers: Mapping[str, Answer]) -> bool:
    return answers.get("status") == STOPPED


def parse_birth(inbound: Inbound, context: Context) -> Answer:
    value = parsing.birth(inbound.text)
    if value is None:
        raise Invalid(context.message("calc_huu_invalid_birth"))
    return value


def check_birth(value: Answer, context: Context) -> None:
    try:
        born = parsing.birth_date(str(value))
    except ValueError:
        raise Invalid(context.message("calc_huu_invalid_birth")) from None
    if not OLDEST_BIRTH_YEAR <= born.year <= context.today.year - YOUNGEST_AGE:
        raise Invalid(context.message("calc_huu_birth_range"))


def parse_duration(inbound: Inbound, context: Context) -> Answer:
    months = parsing.duration(inbound.text)
    if months is None:
        raise Invalid(context.message("calc_huu_invalid_duration"))
    return months


def check_total(value: Answer, context: Context) -> None:
    if not isinstance(value, int) or not 0 < value <= LONGEST_YEARS * 12:
        raise Invalid(context.message("calc_huu_total_range", most=LONGEST_YEARS))


def check_before(value: Answer, context: Context) -> None:
    total = context.answers.get("total")
    if not isinstance(value, int) or value < 0 or (isinstance(total, int) and value > total):
        raise Invalid(context.message("calc_huu_before_range"))
    if value > (2014 - OLDEST_BIRTH_YEAR) * 12:
        raise Invalid(context.message("calc_huu_before_range"))


def check_income(value: Answer, context: Context) -> None:
    if not isinstance(value, int) or value <= 0:
        raise Invalid(context.message("calc_invalid_money"))
    highest = to_dong(Figures(context.kb.policy).value(HIGHEST_INCOME, context.today))
    if value > highest:
        raise Invalid(context.message("calc_huu_income_range", high=money(highest)))


def parse_stopped(inbound: Inbound, context: Context) -> Answer:
    value = parsing.month(inbound.text, context.today)
    if value is None:
        raise Invalid(context.message("calc_huu_invalid_stopped"))
    return value


def check_stopped(value: Answer, context: Context) -> None:
    last = _stopped_month(str(value), context.today)
    if last is None or last > context.today:
        raise Invalid(context.message("calc_huu_invalid_stopped"))


def _stopped_month(value: str, today: date) -> date | None:
    if value.startswith(AGO):
        return add_months(today.replace(day=1), -int(value.removeprefix(AGO)))
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        return None


def _by_patterns(*patterns: tuple[re.Pattern[str], str]) -> Parser:
    """A parser answering the value of the first pattern found in the words typed."""

    def parse(inbound: Inbound, context: Context) -> Answer:
        typed = " ".join(words(inbound, context))
        for pattern, value in patterns:
            if pattern.search(typed):
                return value
        raise Invalid(context.message("flow_invalid"))

    return parse


def extract(text: str, context: Context) -> dict[str, Answer]:
    folded = " ".join(fold(text).replace(",", " ").split())
    tokens = " ".join(parsing.words(text, context.kb.lexicon.lexicon))
    found: dict[str, Answer] = {}
    if _FEMALE.search(folded):
        found["gender"] = Gender.FEMALE.value
    elif _MALE.search(folded) or (re.search(r"\bnam\b", text.lower()) and fold(text) != text.lower()):
        # "nam" is also "năm" (year) without diacritics: read as male only in text typed with diacritics
        found["gender"] = Gender.MALE.value
    if (born := parsing.birth(folded)) is not None and ("sinh" in folded or born.count("-") == 2):
        found["birth"] = born
    elif match := _AGE.search(folded):
        found["birth"] = str(context.today.year - int(match.group(1)))
    if _VOLUNTARY.search(tokens):
        found["scheme"] = Scheme.VOLUNTARY.value
    elif _COMPULSORY.search(tokens):
        found["scheme"] = Scheme.COMPULSORY.value
    found.update(_times(folded, context.today))
    if (income := parsing.money_in(text)) is not None:
        found["income"] = income
    if groups := parsing.groups(parsing.words(text, context.kb.lexicon.lexicon)):
        found["group"] = groups
    if _STOPPED.search(tokens):
        found["status"] = STOPPED
    elif _PAYING.search(tokens):
        found["status"] = PAYING
    return found


def _times(folded: str, today: date) -> dict[str, Answer]:
    """Time paid: "trước 2014 đóng 4 năm, từ 2014 đóng 7 năm", "đóng từ 2010 tới 2024", "đóng 12 năm"."""
    before = _BEFORE_2014.search(folded)
    after = _FROM_2014.search(folded)
    if before or after:
        months_before = sum(parsing.durations(before.group(1))) if before else 0
        months_after = sum(parsing.durations(after.group(1))) if after else 0
        times: dict[str, Answer] = {"total": months_before + months_after}
        if before:
            times["before_2014"] = months_before
        return times
    if span := _YEARS_SPAN.search(folded):
        first, last = int(span.group(1)), int(span.group(2))
        if first < last <= today.year:
            return {"total": (last - first) * 12, "before_2014": max(0, min(last, 2014) - first) * 12}
    for match in parsing.DURATION.finditer(folded):
        if match.group(6) and not match.group().endswith("thang"):
            continue  # "40t" is an age more often than 40 months
        if not folded[: match.start()].rstrip().endswith(("tuoi", "sinh")):
            return {"total": parsing.durations(match.group())[0]}
    return {}


def finish(context: Context) -> Finished:
    answers = context.answers
    voluntary = _is_voluntary(answers)
    birth_text = str(answers["birth"])
    stopped = _stopped_month(str(answers["stopped"]), context.today) if _is_stopped(answers) else None
    record = ContributionRecord(
        gender=Gender(str(answers["gender"])),
        birth=parsing.birth_date(birth_text),
        months_before_2014=number(answers["before_2014"]),
        months_from_2014=number(answers["total"]) - number(answers["before_2014"]),
        average_income=number(answers["income"]),
        scheme=Scheme(str(answers["scheme"])),
        groups=frozenset(SupportGroup(code) for code in codes(answers.get("group", ()))) if voluntary else frozenset(),
        stopped=stopped,
    )
    try:
        result = lump_sum_versus_pension(context.kb.policy, context.today, record)
    except CalcError as error:
        raise Invalid(str(error)) from error
    text = pension_text(result)
    if birth_text.count("-") < 2:  # a year or a month only
        text += "\n\n" + context.message("calc_huu_birth_assumed", day=day(record.birth))
    summary = (
        f"Rút một lần hay chờ lương hưu, đã đóng {result.contribution_months} tháng: rút một lần khoảng "
        f"{money(result.lump_sum)}, lương hưu ước {money(result.monthly_pension)}/tháng (tính ngày {day(result.on)})"
    )
    chart = pension_chart(result, context.message)
    return Finished(text, result_buttons(NAME, "flow_restart", context.kb), summary=summary, chart=chart)


FLOW = Flow(
    name=NAME,
    intro="calc_huu_intro",
    steps=(
        Step(
            "gender",
            "calc_huu_gender_q",
            (
                Choice("m", Gender.MALE.value, "calc_huu_male"),
                Choice("f", Gender.FEMALE.value, "calc_huu_female"),
            ),
        ),
        Step("birth", "calc_huu_birth_q", (), parse_birth, check_birth, invalid="calc_huu_invalid_birth"),
        Step(
            "scheme",
            "calc_huu_scheme_q",
            (
                Choice("bb", Scheme.COMPULSORY.value, "calc_huu_compulsory"),
                Choice("tn", Scheme.VOLUNTARY.value, "calc_huu_voluntary"),
            ),
            _by_patterns((_VOLUNTARY, Scheme.VOLUNTARY.value), (_COMPULSORY, Scheme.COMPULSORY.value)),
        ),
        group_step(when=_is_voluntary),
        Step("total", "calc_huu_total_q", (), parse_duration, check_total, invalid="calc_huu_invalid_duration"),
        Step(
            "before_2014",
            "calc_huu_before_q",
            (Choice("0", 0, "calc_huu_before_none"),),
            parse_duration,
            check_before,
            invalid="calc_huu_invalid_duration",
        ),
        Step("income", "calc_huu_income_q", (), parse_amount, check_income, invalid="calc_invalid_money"),
        Step(
            "status",
            "calc_huu_status_q",
            (Choice("paying", PAYING, "calc_huu_paying"), Choice("stopped", STOPPED, "calc_huu_stopped")),
            _by_patterns((_STOPPED, STOPPED), (_PAYING, PAYING)),
        ),
        Step(
            "stopped",
            "calc_huu_stopped_q",
            (
                Choice("1", f"{AGO}1", "calc_huu_stopped_last_month"),
                Choice("6", f"{AGO}6", "calc_huu_stopped_months_ago", (("n", 6),)),
                Choice("12", f"{AGO}12", "calc_huu_stopped_year_ago"),
            ),
            parse_stopped,
            check_stopped,
            when=_is_stopped,
            invalid="calc_huu_invalid_stopped",
        ),
    ),
    finish=finish,
    extract=extract,
    messages=(
        "calc_huu_birth_range",
        "calc_huu_birth_assumed",
        "calc_huu_total_range",
        "calc_huu_before_range",
        "calc_huu_income_range",
        "calc_invalid_money",
        "calc_huu_invalid_stopped",
        "flow_invalid",
        "calc_advisor",
        "chart_huu_title",
        "chart_huu_lump",
        "chart_huu_pension",
        "chart_huu_pension_less_cost",
        "chart_huu_crossover",
        "chart_huu_no_crossover",
        "chart_huu_age",
        "chart_huu_money",
        "chart_huu_saved",
        "chart_huu_none",
    ),
)
