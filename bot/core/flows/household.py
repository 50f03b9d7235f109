"""Household BHYT, step by step: members buying together -> payment period -> result."""

from __future__ import annotations

from bot.core.calc import CalcError
from bot.core.calc.household import MAX_MEMBERS, PERIODS, SHARE_PARAMS, household_contribution
from bot.core.calc.text import household_text
from bot.core.flows import parsing
from bot.core.flows.base import Choice, Context, Finished, Flow, Invalid, Step, number
from bot.core.flows.common import month_choices, period_parser, periods_message, result_buttons, words
from bot.core.render import day, fill, join, marked, money, percent
from bot.core.types import Answer, Inbound

NAME = "household"
MEMBER_BUTTONS = (1, 2, 3, 4, 5)


def parse_members(inbound: Inbound, context: Context) -> Answer:
    """ "4", "4 người", "bốn người", "nhà có 5 thành viên"."""
    tokens = words(inbound, context)
    count = parsing.members(tokens)
    if count is None and len(tokens) == 1:
        count = parsing.number(tokens[0])
    if count is None:
        raise Invalid(context.message("calc_hgd_invalid_members"))
    return count


def check_members(value: Answer, context: Context) -> None:
    if not isinstance(value, int) or not 1 <= value <= MAX_MEMBERS:
        raise Invalid(context.message("calc_hgd_members_range", most=MAX_MEMBERS))


def check_months(value: Answer, context: Context) -> None:
    if value not in PERIODS:
        raise Invalid(periods_message(context, "calc_hgd_invalid_months", PERIODS))


def extract(text: str, context: Context) -> dict[str, Answer]:
    tokens = parsing.words(text, context.kb.lexicon.lexicon)
    found: dict[str, Answer] = {}
    if (count := parsing.members(tokens)) is not None:
        found["members"] = count
    mentioned = parsing.periods(tokens)
    months = next((months for months in mentioned if months in PERIODS), mentioned[0] if mentioned else None)
    if months is not None:
        found["months"] = months
    return found


def finish(context: Context) -> Finished:
    try:
        result = household_contribution(
            context.kb.policy, context.today, number(context.answers["members"]), number(context.answers["months"])
        )
    except CalcError as error:
        raise Invalid(str(error), step="members") from error
    share_figures = [context.kb.policy.figure(name, context.today) for name in SHARE_PARAMS]
    shares = [marked(percent(figure.value), figure.caveats) for figure in share_figures]
    explanation = fill(
        context.kb.message("calc_hgd_explain"),
        rate=marked(percent(result.rate_percent), result.figure_caveats["rate_percent"]),
        shares=join(", ", shares),
    )
    summary = (
        f"BHYT hộ gia đình, {len(result.members)} người, {result.months} tháng: "
        f"tổng {money(result.total)} (tính ngày {day(result.on)})"
    )
    return Finished(
        household_text(result, explanation), result_buttons(NAME, "flow_restart", context.kb), summary=summary
    )


FLOW = Flow(
    name=NAME,
    intro="calc_hgd_intro",
    steps=(
        Step(
            "members",
            "calc_hgd_members_q",
            tuple(Choice(str(n), n, "calc_members_choice", (("n", n),)) for n in MEMBER_BUTTONS),
            parse_members,
            check_members,
            invalid="calc_hgd_invalid_members",
        ),
        Step(
            "months",
            "calc_hgd_months_q",
            month_choices(PERIODS),
            period_parser(PERIODS, "calc_hgd_invalid_months"),
            check_months,
        ),
    ),
    finish=finish,
    extract=extract,
    messages=("calc_hgd_members_range", "calc_hgd_invalid_months", "calc_hgd_explain", "calc_advisor"),
)
