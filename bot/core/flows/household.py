"""Household BHYT, step by step: who buys together (a number, or who they are) -> payment period -> whether
the oldest already get a pension or allowance (only when it decides) -> result.

A member described as one who has a card another way (a child under 6, a pupil, a pensioner, an employee, …)
is not counted at the household rate; the result says why, one line each."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from bot.core.calc import CalcError
from bot.core.calc.common import Figures
from bot.core.calc.household import (
    CHILD_AGE,
    ELDER_AGE,
    MAX_MEMBERS,
    PERIODS,
    SHARE_PARAMS,
    Cover,
    cover_of,
    household_contribution,
    near_poor_contribution,
)
from bot.core.calc.text import household_nobody_text, household_text
from bot.core.flows import parsing
from bot.core.flows.base import Choice, Context, Finished, Flow, Invalid, Step, number
from bot.core.flows.common import month_choices, period_parser, periods_message, result_buttons, words
from bot.core.render import Rendered, age, compose, day, fill, join, lines, marked, money, percent
from bot.core.types import Answer, Inbound

NAME = "household"
MEMBER_BUTTONS = (1, 2, 3, 4, 5)
HOUSEHOLD_GROUPS = (Cover.POOR.value, Cover.NEAR_POOR.value)  # a whole household's group ("hộ cận nghèo")
GROUPED = frozenset({Cover.HOUSEHOLD, Cover.POOR, Cover.NEAR_POOR})  # covers a household's group decides
YES = frozenset({"co", "co a", "dang huong", "co huong", "roi", "co roi", "vang", "da", "u"})
NO = frozenset({"khong", "khong a", "chua", "khong co", "chua co", "khong huong", "ko"})
# The members answer: a count (all buy at the household rate), or one "<cover>|<label>" per member.
SEPARATOR = "|"
REASONS = {
    Cover.CHILD: "calc_hgd_why_child",
    Cover.STUDENT: "calc_hgd_why_student",
    Cover.PENSION: "calc_hgd_why_pension",
    Cover.SOCIAL: "calc_hgd_why_social",
    Cover.EMPLOYEE: "calc_hgd_why_employee",
    Cover.POOR: "calc_hgd_why_poor",
    Cover.NEAR_POOR: "calc_hgd_why_near_poor",
    Cover.CARD: "calc_hgd_why_card",
    Cover.ELDER: "calc_hgd_why_elder",
}


def members_of(answer: Answer) -> list[tuple[Cover, str]]:
    """The members answer as (cover, label) per member; a count is that many members at the household rate."""
    if isinstance(answer, tuple):
        return [(Cover(code), label) for code, _, label in (item.partition(SEPARATOR) for item in answer)]
    return [(Cover.HOUSEHOLD, "")] * number(answer)


def _compact(members: Sequence[tuple[Cover, str]]) -> Answer:
    """A count when every member buys at the household rate and none was described, else one item each."""
    if all(cover is Cover.HOUSEHOLD and not label for cover, label in members):
        return len(members)
    return tuple(f"{cover.value}{SEPARATOR}{label}" for cover, label in members)


def _covered(people: Sequence[parsing.Person], group: str, context: Context) -> list[tuple[Cover, str]]:
    policy, today = context.kb.policy, context.today
    return [(cover_of(policy, today, person.age, person.status or group), _label(person, context)) for person in people]


def _label(person: parsing.Person, context: Context) -> str:
    return context.message("calc_hgd_aged", who=person.role, age=person.age) if person.age else person.role


def _household_group(tokens: list[str]) -> str:
    return next((group for group in parsing.groups(tokens) if group in HOUSEHOLD_GROUPS), "")


def _described(text: str, tokens: list[str], context: Context) -> Answer | None:
    """The members a text gives: a count ("4 người"), who they are ("2 vợ chồng, con 3 tuổi") and the
    household's group ("hộ cận nghèo"); None when it gives none."""
    count = parsing.members(tokens)
    group = _household_group(tokens)
    members = _covered(parsing.people(text, context.kb.lexicon.lexicon), group, context)
    if count is not None and count > len(members):  # "5 người: 2 vợ chồng, con 3 tuổi": 2 more, not described
        others = context.message("calc_hgd_others") if members else ""
        members += [(Cover(group) if group else Cover.HOUSEHOLD, others)] * (count - len(members))
    return _compact(members) if members else None


def parse_members(inbound: Inbound, context: Context) -> Answer:
    """ "4", "4 người", "bốn người", "nhà có 5 thành viên", "2 vợ chồng, mẹ 70 tuổi, con 3 tuổi"."""
    tokens = words(inbound, context)
    found = _described(inbound.text, tokens, context)
    if found is None and len(tokens) == 1:
        found = parsing.number(tokens[0])
    if found is None:
        raise Invalid(context.message("calc_hgd_invalid_members"))
    return found


def check_members(value: Answer, context: Context) -> None:
    if isinstance(value, tuple):
        covers = {cover.value for cover in Cover}
        valid = 1 <= len(value) <= MAX_MEMBERS and all(item.partition(SEPARATOR)[0] in covers for item in value)
    else:
        valid = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_MEMBERS
    if not valid:
        raise Invalid(context.message("calc_hgd_members_range", most=MAX_MEMBERS))


def check_months(value: Answer, context: Context) -> None:
    if value not in PERIODS:
        raise Invalid(periods_message(context, "calc_hgd_invalid_months", PERIODS))


def _elders(answers: Mapping[str, Answer]) -> list[str]:
    """The members at the social-pension age whose card depends on a pension or allowance not yet said."""
    members = answers.get("members")
    return [label for cover, label in members_of(members) if cover is Cover.ELDER] if members is not None else []


def parse_yes_no(inbound: Inbound, context: Context) -> Answer:
    """ "có", "đang hưởng", "rồi" / "không", "chưa" typed instead of pressed."""
    said = " ".join(words(inbound, context))
    if said in YES:
        return True
    if said in NO:
        return False
    raise Invalid(context.message("flow_choose"))


def _months(tokens: list[str]) -> int | None:
    mentioned = parsing.periods(tokens)
    return next((months for months in mentioned if months in PERIODS), mentioned[0] if mentioned else None)


def extract(text: str, context: Context) -> dict[str, Answer]:
    tokens = parsing.words(text, context.kb.lexicon.lexicon)
    found: dict[str, Answer] = {}
    if (members := _described(text, tokens, context)) is not None:
        found["members"] = members
    if (months := _months(tokens)) is not None:
        found["months"] = months
    return found


def wants(text: str, context: Context) -> dict[str, Answer]:
    """The figures that make a question under the household answer a request for the citizen's own result: a
    number of people and a period ("bhyt hộ gia đình 4 người 12 tháng"), not who they are."""
    tokens = parsing.words(text, context.kb.lexicon.lexicon)
    found: dict[str, Answer] = {}
    if (count := parsing.members(tokens)) is not None:
        found["members"] = count
    if (months := _months(tokens)) is not None:
        found["months"] = months
    return found


def revise(text: str, context: Context) -> dict[str, Answer]:
    """A follow-up to a result, read against its inputs: "vậy tính lại 3 người thôi, đóng 6 tháng" (a new count
    and period), "còn hộ cận nghèo thì sao" (the same members in a near-poor household), "mẹ chồng chị 70 tuổi
    thì sao" (one more member), "nếu 12 tháng thì sao"."""
    tokens = parsing.words(text, context.kb.lexicon.lexicon)
    changed: dict[str, Answer] = {}
    if (months := _months(tokens)) is not None:
        changed["months"] = months
    previous = members_of(context.answers["members"]) if "members" in context.answers else []
    group = _household_group(tokens)
    people = parsing.people(text, context.kb.lexicon.lexicon)
    if parsing.members(tokens) is not None or not previous:
        if (members := _described(text, tokens, context)) is not None:
            changed["members"] = members
    elif people:  # one more member, or several
        changed["members"] = _compact(previous + _covered(people, group, context))
    elif group or "other" in parsing.groups(tokens):  # the same members, in a poor, near-poor or other household
        target = Cover(group) if group else Cover.HOUSEHOLD
        regrouped = [(target if cover in GROUPED else cover, label) for cover, label in previous]
        changed["members"] = _compact(regrouped)
    if "members" in changed and "elder" in context.answers and not _elders({"members": changed["members"]}):
        changed["elder"] = False  # nobody left to ask about
    return changed


def _not_counted(
    context: Context, members: Sequence[tuple[Cover, str]], months: int, figures: Figures
) -> list[str | Rendered]:
    """One line per member not counted at the household rate, with the reason."""
    policy, today = context.kb.policy, context.today
    lines_: list[str | Rendered] = []
    by_cover: dict[Cover, list[str]] = {}
    for cover, label in members:
        if cover is not Cover.HOUSEHOLD:
            by_cover.setdefault(cover, []).append(label)
    for cover, labels in by_cover.items():
        reason = context.kb.message(REASONS[cover])
        if cover is Cover.CHILD:
            child_age = figures.figure(CHILD_AGE, today)
            why = fill(reason, age=marked(age(int(child_age.value)), child_age.caveats))
        elif cover is Cover.STUDENT:
            support = figures.figure("bhyt_hoc_sinh_ho_tro", today)
            why = fill(reason, support=marked(percent(support.value), support.caveats))
        elif cover is Cover.NEAR_POOR:
            near_poor = near_poor_contribution(policy, today, months)
            figures.remember(policy.figure("bhyt_can_ngheo_ho_tro", today))
            why = fill(
                reason,
                support=marked(percent(near_poor.support_percent), near_poor.caveats),
                amount=marked(money(near_poor.amount), near_poor.caveats),
                months=str(months),
            )
        else:
            why = fill(reason)
        who = ", ".join(labels) if all(labels) else context.message("calc_hgd_members", n=len(labels))
        lines_.append(compose(f"• {who}: ", why))
    if lines_:
        lines_.insert(0, context.message("calc_hgd_not_counted"))
    return lines_


def finish(context: Context) -> Finished:
    policy, today = context.kb.policy, context.today
    months = number(context.answers["months"])
    elders_covered = context.answers.get("elder") is True
    asked_elders = _elders(context.answers)
    members = [
        (Cover.HOUSEHOLD if cover is Cover.ELDER and not elders_covered else cover, label)
        for cover, label in members_of(context.answers["members"])
    ]
    paying = [label for cover, label in members if cover is Cover.HOUSEHOLD]
    figures = Figures(policy)
    try:
        result = household_contribution(policy, today, len(paying), months) if paying else None
        notes = _not_counted(context, members, months, figures)
    except CalcError as error:
        raise Invalid(str(error), step="members") from error
    if asked_elders and not elders_covered:
        elder_age = figures.figure(ELDER_AGE, today)
        notes.append(fill(context.kb.message("calc_hgd_elder_note"), age=age(int(elder_age.value))))
    if result is not None:
        share_figures = [policy.figure(name, today) for name in SHARE_PARAMS]
        explanation = fill(
            context.kb.message("calc_hgd_explain"),
            rate=marked(percent(result.rate_percent), result.figure_caveats["rate_percent"]),
            shares=join(", ", [marked(percent(figure.value), figure.caveats) for figure in share_figures]),
        )
        result = dataclasses.replace(
            result,
            bases=tuple(dict.fromkeys((*result.bases, *figures.bases))),
            caveats=tuple(dict.fromkeys((*result.caveats, *figures.caveats))),
        )
        note = lines([*notes, explanation]) if notes else explanation
        text = household_text(result, note, tuple(paying) if any(paying) else ())
        total = result.total
    else:
        nobody = context.kb.message("calc_hgd_nobody")
        text = household_nobody_text(today, months, lines([nobody, *notes]), figures.bases, figures.caveats)
        total = 0
    who = f"{len(members)} người" + (f" ({len(paying)} mua theo hộ)" if len(paying) < len(members) else "")
    summary = f"BHYT hộ gia đình, {who}, {months} tháng: tổng {money(total)} (tính ngày {day(today)})"
    return Finished(text, result_buttons(NAME, "flow_restart", context.kb), summary=summary)


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
        Step(
            "elder",
            "calc_hgd_elder_q",
            (Choice("yes", True, "calc_hgd_elder_yes"), Choice("no", False, "calc_hgd_elder_no")),
            parse_yes_no,
            when=lambda answers: bool(_elders(answers)),
            question_params=lambda answers: {"who": ", ".join(dict.fromkeys(_elders(answers)))},
        ),
    ),
    finish=finish,
    extract=extract,
    revise=revise,
    wants=wants,
    messages=(
        "calc_hgd_members_range",
        "calc_hgd_invalid_months",
        "calc_hgd_explain",
        "calc_advisor",
        "calc_hgd_aged",
        "calc_hgd_others",
        "calc_hgd_members",
        "calc_hgd_not_counted",
        "calc_hgd_nobody",
        "calc_hgd_elder_note",
        *REASONS.values(),
    ),
)
