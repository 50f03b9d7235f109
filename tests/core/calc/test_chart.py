"""The lump-sum-versus-pension picture as data: what the core hands the channels to draw."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from bot.core.calc.chart import millions, pension_chart
from bot.core.calc.common import Gender
from bot.core.calc.pension import LAST_CHART_AGE, ContributionRecord, PensionComparison, lump_sum_versus_pension
from bot.core.knowledge import KnowledgeBase
from bot.core.types import PensionChart, Reply
from tests.factories import TODAY


def short_record(kb: KnowledgeBase) -> PensionComparison:
    """A woman born 01/03/1980 with 10 years of compulsory BHXH up to 12/2025 at 8.000.000 a month."""
    record = ContributionRecord(Gender.FEMALE, date(1980, 3, 1), 0, 120, 8_000_000, stopped=date(2025, 12, 1))
    return lump_sum_versus_pension(kb.policy, TODAY, record)


def message(kb: KnowledgeBase) -> Callable[..., str]:
    return lambda key, **values: kb.message(key).format(**values)


def test_the_chart_holds_the_lump_sum_and_the_pension_less_the_missing_years_by_age(real_kb: KnowledgeBase) -> None:
    chart = pension_chart(short_record(real_kb), message(real_kb))
    assert chart is not None
    assert chart.lump_sum == 160_000_000
    assert (chart.ages[0], chart.ages[-1]) == (60, LAST_CHART_AGE)
    # The pension starts at 60 years 1 month, 3.600.000 a month; the 5 missing years cost 101.640.000.
    totals = dict(zip(chart.ages, chart.pension_totals, strict=True))
    assert totals[60] == -101_640_000
    assert totals[61] == 11 * 3_600_000 - 101_640_000
    assert totals[66] == 71 * 3_600_000 - 101_640_000  # 153.960.000: not yet the lump sum
    assert totals[67] == 83 * 3_600_000 - 101_640_000  # 197.160.000: past it
    assert chart.crossover_age == 67


def test_the_chart_speaks_vietnamese_with_money_in_millions(real_kb: KnowledgeBase) -> None:
    chart = pension_chart(short_record(real_kb), message(real_kb))
    assert chart is not None
    assert chart.crossover_label == "Từ tuổi 67, tổng lương hưu vượt số tiền rút một lần"
    assert chart.lump_label == "Rút một lần: 160 triệu đồng"
    assert chart.pension_label == real_kb.message("chart_huu_pension_less_cost")
    assert (millions(9_297_600), millions(160_000_000)) == ("9,3", "160")


def test_the_result_text_and_the_chart_name_the_same_crossover_age(real_kb: KnowledgeBase) -> None:
    result = short_record(real_kb)
    chart = pension_chart(result, message(real_kb))
    assert chart is not None and result.crossover_age == chart.crossover_age
    assert f"từ tuổi {chart.crossover_age}, tổng lương hưu (đã trừ tiền đóng thêm) vượt" in result.conclusion


def test_no_chart_when_the_lump_sum_may_never_be_taken(real_kb: KnowledgeBase) -> None:
    never = replace(short_record(real_kb), lump_sum_allowed=False, lump_sum_allowed_from=None)
    assert pension_chart(never, message(real_kb)) is None


def test_a_reply_with_a_chart_stays_frozen_hashable_and_survives_json(real_kb: KnowledgeBase) -> None:
    chart = pension_chart(short_record(real_kb), message(real_kb))
    assert chart is not None
    reply = Reply("kết quả", chart=chart)
    assert hash(reply) == hash(Reply("kết quả", chart=chart))
    assert PensionChart.from_json(json.loads(json.dumps(chart.as_json()))) == chart
