"""Voluntary BHXH contribution, step by step: income -> support group -> payment period -> result."""

from __future__ import annotations

from bot.core.calc import CalcError
from bot.core.calc.common import Figures, duration_text
from bot.core.calc.text import voluntary_text
from bot.core.calc.voluntary import PERIODS, accepted_income_range, income_range, voluntary_contribution
from bot.core.flows import parsing
from bot.core.flows.base import Choice, Context, Finished, Flow, Invalid, Step, codes, number
from bot.core.flows.common import group_step, month_choices, parse_amount, period_parser, result_buttons
from bot.core.render import compose, day, fill, marked, money, percent
from bot.core.types import Answer

NAME = "voluntary"
MINIMUM = "min"  # the "Mức thấp nhất" button: the lowest income on the day of the result


def check_income(value: Answer, context: Context) -> None:
    """Law 41/2024 Art 31(2): from the rural poverty line to 20 × mức tham chiếu, on the day of paying.

    The period is not known yet: this checks the month of the day; the result checks every month paid for
    (an income under a minimum announced but not confirmed is accepted there, with its caveat)."""
    if value == MINIMUM:
        return
    if not isinstance(value, int):
        raise Invalid(context.message("calc_invalid_money"))
    lowest, highest, since = accepted_income_range(Figures(context.kb.policy), context.today)
    if not lowest <= value <= highest:
        raise Invalid(context.message("calc_tn_income_range", low=money(lowest), high=money(highest), day=day(since)))


def extract(text: str, context: Context) -> dict[str, Answer]:
    tokens = parsing.words(text, context.kb.lexicon.lexicon)
    found: dict[str, Answer] = {}
    if (income := parsing.money_in(text)) is not None:
        found["income"] = income
    elif any(phrase in " ".join(tokens) for phrase in ("muc thap nhat", "muc toi thieu", "muc it nhat")):
        found["income"] = MINIMUM
    if groups := parsing.groups(tokens):
        found["group"] = groups
    if (months := parsing.period(tokens, PERIODS)) is not None:
        found["months"] = months
    return found


def finish(context: Context) -> Finished:
    answers = context.answers
    policy = context.kb.policy
    income = answers["income"]
    if income == MINIMUM:
        income = income_range(Figures(policy), context.today)[0]
    try:
        result = voluntary_contribution(
            policy, context.today, number(income), codes(answers["group"]), number(answers["months"])
        )
    except CalcError as error:
        raise Invalid(str(error), step="income") from error
    caveats = result.figure_caveats
    explanation = fill(
        context.kb.message("calc_tn_explain"),
        rate=marked(percent(result.contribution_rate_percent), caveats["contribution_rate_percent"]),
        support=marked(percent(result.support_rate_percent), caveats["support_rate_percent"]),
        minimum=marked(money(result.minimum_income), caveats["minimum_income"]),
        months=str(result.months),
        support_time=marked(duration_text(result.support_max_months), caveats["support_max_months"]),
    )
    text = voluntary_text(result, compose("\n", explanation))
    summary = (
        f"BHXH tự nguyện, thu nhập {money(result.income)}/tháng, {result.months} tháng: "
        f"tự đóng {money(result.citizen_pays)} (tính ngày {day(result.on)})"
    )
    return Finished(text, result_buttons(NAME, "flow_restart", context.kb), summary=summary)


FLOW = Flow(
    name=NAME,
    intro="calc_tn_intro",
    steps=(
        Step(
            "income",
            "calc_tn_income_q",
            (Choice(MINIMUM, MINIMUM, "calc_tn_income_min"),),
            parse_amount,
            check_income,
            invalid="calc_invalid_money",
        ),
        group_step(),
        Step(
            "months",
            "calc_tn_months_q",
            month_choices(PERIODS),
            period_parser(PERIODS, "calc_tn_invalid_months"),
        ),
    ),
    finish=finish,
    extract=extract,
    revise=extract,  # a follow-up names the income, the group or the period it changes, as a question would
    messages=("calc_tn_income_range", "calc_tn_invalid_months", "calc_tn_explain", "calc_advisor"),
)
