"""What the calculator flows share: the support-group step, parsers of periods and money, and the result's
buttons ("Tính lại", "Hỏi cán bộ tư vấn", "Menu chính")."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.actions import FlowStep, OpenEntry
from bot.core.calc.money import parse_money
from bot.core.calc.support import SupportGroup
from bot.core.flows import parsing
from bot.core.flows.base import Choice, Condition, Context, Invalid, Parser, Step
from bot.core.flows.runner import menu_button
from bot.core.knowledge import KnowledgeBase
from bot.core.types import Answer, Button, Inbound

ADVISOR_ENTRY = "lead.tu-van"  # "Hỏi cán bộ tư vấn" answers this entry; the lead flow takes it over there

GROUP_CHOICES = (
    Choice("poor", (SupportGroup.POOR.value,), "calc_group_poor"),
    Choice("near", (SupportGroup.NEAR_POOR.value,), "calc_group_near_poor"),
    Choice("ethnic", (SupportGroup.ETHNIC.value,), "calc_group_ethnic"),
    Choice("island", (SupportGroup.ISLAND.value,), "calc_group_island"),
    Choice("other", (SupportGroup.OTHER.value,), "calc_group_other"),
)


def month_choices(periods: Sequence[int]) -> tuple[Choice, ...]:
    return tuple(Choice(str(months), months, "calc_months_choice", (("n", months),)) for months in periods)


def words(inbound: Inbound, context: Context) -> list[str]:
    return parsing.words(inbound.text, context.kb.lexicon.lexicon)


def periods_message(context: Context, key: str, allowed: Sequence[int]) -> str:
    """A message naming the allowed periods: "{periods} hoặc {last} tháng" -> "1, 3, 6 hoặc 12 tháng"."""
    return context.message(key, periods=", ".join(str(months) for months in allowed[:-1]), last=allowed[-1])


def period_parser(allowed: Sequence[int], invalid: str) -> Parser:
    """Free input of a payment period: "6", "6 tháng", "1 năm", "nửa năm", "hằng tháng"."""

    def parse(inbound: Inbound, context: Context) -> Answer:
        months = parsing.period(words(inbound, context), allowed)
        if months is None:
            raise Invalid(periods_message(context, invalid, allowed))
        return months

    return parse


def parse_amount(inbound: Inbound, context: Context) -> Answer:
    """Money as people type it: "3 triệu", "3tr5", "3.000.000", "3000k", "3 củ"; or inside a sentence."""
    try:
        return parse_money(inbound.text)
    except ValueError:
        amount = parsing.money_in(inbound.text)
        if amount is None:
            raise Invalid(context.message("calc_invalid_money")) from None
        return amount


def parse_groups(inbound: Inbound, context: Context) -> Answer:
    found = parsing.groups(words(inbound, context))
    if not found:
        raise Invalid(context.message("calc_invalid_group"))
    return found


def group_step(when: Condition | None = None) -> Step:
    """The support group of a voluntary contributor: the State pays part of the contribution."""
    return Step("group", "calc_group_q", GROUP_CHOICES, parse_groups, when=when, invalid="calc_invalid_group")


def result_buttons(flow_name: str, restart_label: str, kb: KnowledgeBase) -> tuple[Button, ...]:
    """Under a result: compute again, ask an advisor (while the entry exists), the menu."""
    buttons = [Button(kb.message(restart_label), FlowStep(flow_name).data())]
    advisor = kb.entries.get(ADVISOR_ENTRY)
    if advisor is not None and advisor.answerable:
        buttons.append(Button(kb.message("calc_advisor"), OpenEntry(ADVISOR_ENTRY).data()))
    buttons.append(menu_button(kb))
    return tuple(buttons)
