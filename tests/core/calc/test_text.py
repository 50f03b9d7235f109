"""Calculator results as text and as JSON-ready data."""

from __future__ import annotations

import json
from datetime import date

from bot.core.calc.common import Gender, Scheme
from bot.core.calc.household import household_contribution
from bot.core.calc.pension import ContributionRecord, lump_sum_versus_pension
from bot.core.calc.text import as_json, household_text, pension_text, voluntary_text
from bot.core.calc.voluntary import voluntary_contribution
from bot.core.policy import Policy
from bot.core.render import UNCERTAIN_MARK
from tests.factories import TODAY


def test_voluntary_text_shows_money_in_dong_and_the_date(policy: Policy) -> None:
    text = voluntary_text(voluntary_contribution(policy, TODAY, 3_000_000, ["poor"], 12))
    assert "ngày 23/11/2026" in text
    assert "Số tiền đóng (22%): 7.920.000 đồng" in text
    assert "Nhà nước hỗ trợ (hộ nghèo, 50% mức đóng thấp nhất): 1.980.000 đồng" in text
    assert "Bạn nộp: 5.940.000 đồng" in text
    assert "Căn cứ: " in text


def test_uncertain_figures_are_marked_under_the_text(policy: Policy) -> None:
    text = voluntary_text(voluntary_contribution(policy, date(2027, 1, 1), 3_000_000))
    assert text.splitlines()[-1] == f"{UNCERTAIN_MARK} dự kiến theo chuẩn nghèo mới, chờ BHXH Việt Nam hướng dẫn"


def test_household_text_lists_each_member_the_total_and_the_note(policy: Policy) -> None:
    text = household_text(household_contribution(policy, TODAY, 3, 12), "Không tính trẻ em dưới 6 tuổi.")
    assert "• Người thứ 1: 1.366.200 đồng" in text
    assert "• Người thứ 2 (70% người thứ nhất): 956.340 đồng" in text
    assert "Tổng cộng: 3.142.260 đồng" in text
    assert "Không tính trẻ em dưới 6 tuổi." in text


def test_pension_text_gives_the_reason_the_retirement_date_and_the_conclusion(policy: Policy) -> None:
    record = ContributionRecord(
        Gender.MALE, date(1965, 1, 15), 0, 132, 6_000_000, Scheme.COMPULSORY, stopped=date(2024, 12, 1)
    )
    result = lump_sum_versus_pension(policy, TODAY, record)
    text = pension_text(result)
    assert "• Được rút một lần: Bạn đã đủ tuổi nghỉ hưu" in text
    assert "61 tuổi 6 tháng, nghỉ hưu ngày 31/07/2026, lương hưu từ 01/08/2026" in text
    assert "Còn thiếu 4 năm đóng" in text
    assert result.conclusion in text


def test_as_json_gives_plain_values_that_json_can_write(policy: Policy) -> None:
    result = as_json(household_contribution(policy, TODAY, 2, 12))
    assert result["on"] == "2026-11-23"
    assert result["rate_percent"] == 4.5
    assert result["members"][1] == {"position": 2, "share_percent": 70, "monthly": 79_695, "amount": 956_340}
    assert json.loads(json.dumps(result)) == result
