"""The picture under a lump-sum-versus-pension result, as data: what the lump sum is against the pension received
by each age (less what the missing years cost), and the age at which the pension passes it. Drawn outside the
core (bot/shell/charts.py)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from bot.core.calc.pension import LAST_CHART_AGE, PensionComparison, cumulative_pension
from bot.core.render import decimal_text
from bot.core.types import PensionChart

Message = Callable[..., str]  # a bot.yaml sentence by key, filled with its parameters (flows' Context.message)
MILLION = Decimal(1_000_000)


def millions(amount: int) -> str:
    """160_000_000 -> "160"; 9_297_600 -> "9,3": the way the chart writes money."""
    return decimal_text((Decimal(amount) / MILLION).quantize(Decimal("0.1"), ROUND_HALF_UP))


def pension_chart(result: PensionComparison, message: Message) -> PensionChart | None:
    """The chart for a result; None when there is nothing to compare (no lump sum, no pension, or the lump
    sum may never be taken on this record)."""
    never = not result.lump_sum_allowed and result.lump_sum_allowed_from is None
    if result.lump_sum <= 0 or result.monthly_pension <= 0 or never:
        return None
    first = result.pension_from_age_months // 12
    ages = tuple(range(first, LAST_CHART_AGE + 1))
    totals = tuple(
        cumulative_pension(result.pension_from_age_months, result.monthly_pension, result.missing_cost, age)
        for age in ages
    )
    crossover = result.crossover_age
    return PensionChart(
        lump_sum=result.lump_sum,
        ages=ages,
        pension_totals=totals,
        crossover_age=crossover,
        title=message("chart_huu_title"),
        lump_label=message("chart_huu_lump", amount=millions(result.lump_sum)),
        pension_label=message("chart_huu_pension_less_cost" if result.missing_cost else "chart_huu_pension"),
        crossover_label=(
            message("chart_huu_crossover", age=crossover)
            if crossover is not None
            else message("chart_huu_no_crossover", age=LAST_CHART_AGE)
        ),
        age_label=message("chart_huu_age"),
        money_label=message("chart_huu_money"),
    )
