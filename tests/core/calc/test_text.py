"""Calculator results as text and as JSON-ready data."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from bot.core.calc.common import Gender, Scheme
from bot.core.calc.household import household_contribution
from bot.core.calc.pension import ContributionRecord, lump_sum_versus_pension
from bot.core.calc.text import as_json, household_text, pension_text, voluntary_text
from bot.core.calc.voluntary import voluntary_contribution
from bot.core.policy import Policy
from bot.core.render import UNCERTAIN_MARK, money, sentence
from tests.factories import TODAY


def test_voluntary_text_shows_money_in_dong_and_the_date(policy: Policy) -> None:
    text = voluntary_text(voluntary_contribution(policy, TODAY, 3_000_000, ["poor"], 12))
    assert "ngày 23/11/2026" in text
    assert "Số tiền đóng (22%): 7.920.000 đồng" in text
    assert "Nhà nước hỗ trợ (hộ nghèo, 50% mức đóng thấp nhất): 1.980.000 đồng" in text
    assert "Bạn nộp: 5.940.000 đồng" in text
    assert "Căn cứ: " in text


def test_uncertain_figures_are_marked_beside_them_and_their_caveat_under_the_text(policy: Policy) -> None:
    result = voluntary_contribution(policy, date(2027, 1, 1), 3_000_000)
    text = voluntary_text(result)
    (caveat,) = result.caveats  # the 2027 poverty line
    assert text.splitlines()[-1] == f"{UNCERTAIN_MARK} {sentence(caveat)}"
    assert f"Bạn nộp: {money(result.citizen_pays)} {UNCERTAIN_MARK}" in text  # the support rests on the line
    assert f"Thu nhập chọn từ {money(2_200_000)} {UNCERTAIN_MARK} đến" in text
    assert f"Số tiền đóng (22%): {money(result.total)}\n" in text  # 22% of the chosen income is confirmed


def with_caveat(policy: Policy, name: str, caveat: str) -> Policy:
    """The policy with the latest value of one parameter marked uncertain."""
    param = policy.params[name]
    latest = replace(param.values[-1], uncertain=True, caveat=caveat)
    return Policy({**policy.params, name: replace(param, values=(*param.values[:-1], latest))}, policy.derived)


def test_a_result_resting_on_two_caveats_numbers_them_beside_the_figures_and_under_the_text(policy: Policy) -> None:
    uncertain = with_caveat(policy, "luong_co_so", "lương cơ sở dự kiến")
    result = voluntary_contribution(uncertain, date(2027, 1, 1), 3_000_000, ["poor"], 1)
    text = voluntary_text(result)
    (poverty_line,) = policy.figure("tn_thu_nhap_toi_thieu", date(2027, 1, 1)).caveats
    assert f"Nhà nước hỗ trợ (hộ nghèo, 50% mức đóng thấp nhất): {money(result.state_support)} (1)\n" in text
    assert f"Thu nhập chọn từ {money(2_200_000)} (1) đến {money(result.maximum_income)} (2) mỗi tháng" in text
    assert text.splitlines()[-2:] == [f"(1) {sentence(poverty_line)}", "(2) Lương cơ sở dự kiến."]


def test_a_household_member_rests_on_the_figures_of_their_own_share(policy: Policy) -> None:
    text = household_text(household_contribution(with_caveat(policy, "bhyt_hgd_nguoi_3", "mức dự kiến"), TODAY, 3, 12))
    assert "• Người thứ 2 (70% người thứ nhất): 956.340 đồng\n" in text
    assert f"• Người thứ 3 (60% người thứ nhất): 819.720 đồng {UNCERTAIN_MARK}" in text
    assert f"Tổng cộng: 3.142.260 đồng {UNCERTAIN_MARK}" in text
    assert text.endswith(f"\n{UNCERTAIN_MARK} Mức dự kiến.")


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
    assert result["members"][1] == {
        "position": 2,
        "share_percent": 70,
        "monthly": 79_695,
        "amount": 956_340,
        "caveats": [],
    }
    assert json.loads(json.dumps(result)) == result
