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
    assert "• Rút một lần khoảng 132.000.000 đồng. Được rút: Đã đủ tuổi nghỉ hưu, chưa đủ 15 năm đóng" in text
    assert "đủ tuổi nghỉ hưu (61 tuổi 6 tháng) ngày 15/07/2026; còn thiếu 4 năm đóng" in text
    assert "• Rút một lần chỉ bằng khoảng 55 tháng lương hưu" in text


def test_a_record_short_of_a_pension_is_told_when_it_reaches_retirement_age_not_when_a_pension_starts(
    policy: Policy,
) -> None:
    short = ContributionRecord(Gender.FEMALE, date(1980, 3, 1), 0, 120, 8_000_000, stopped=date(2025, 12, 1))
    text = pension_text(lump_sum_versus_pension(policy, TODAY, short))
    assert "đủ tuổi nghỉ hưu (60 tuổi) ngày 01/03/2040" in text
    assert "lương hưu từ" not in text.split("• Nếu đóng thêm")[0]  # only once the missing years are paid
    assert "nghỉ hưu ngày" not in text


def test_a_record_with_enough_years_is_told_when_its_pension_starts(policy: Policy) -> None:
    enough = ContributionRecord(Gender.FEMALE, date(1970, 5, 1), 60, 144, 7_000_000)
    text = pension_text(lump_sum_versus_pension(policy, TODAY, enough))
    assert "nghỉ hưu ngày 30/09/2027, lương hưu từ 01/10/2027" in text
    assert "còn thiếu" not in text


def test_the_lump_sum_result_names_one_day_for_when_it_may_be_taken(policy: Policy) -> None:
    # Retirement age (01/07/2027) comes before the 12 months without contributions end (01/11/2027).
    man = ContributionRecord(Gender.MALE, date(1965, 10, 1), 0, 120, 6_000_000, stopped=date(2026, 10, 1))
    result = lump_sum_versus_pension(policy, TODAY, man)
    text = pension_text(result)
    assert result.lump_sum_allowed_from == date(2027, 7, 1)
    assert "từ ngày đó, nếu chưa đủ 15 năm đóng, bạn được rút một lần (Điều 70 khoản 1 điểm a)" in text
    assert "01/11/2027" not in text
    assert "được rút từ" not in text  # the reason says the day; the amount's line does not say another


def test_a_short_record_shows_the_cost_of_the_missing_years_the_one_off_payment_and_the_monthly_allowance(
    policy: Policy,
) -> None:
    man = ContributionRecord(Gender.MALE, date(1965, 1, 15), 0, 132, 6_000_000, stopped=date(2024, 12, 1))
    result = lump_sum_versus_pension(policy, TODAY, man)
    text = pension_text(result)
    # 48 months × 22% × 6.000.000 = 63.360.000, less 48 × 20% × 22% × 1.500.000 = 3.168.000 State support
    assert (
        f"• Nếu đóng thêm 4 năm cho đủ 15 năm (tự nguyện, thu nhập {money(6_000_000)}/tháng): khoảng "
        f"{money(60_192_000)} (đã trừ {money(3_168_000)} Nhà nước hỗ trợ); lương hưu từ 01/12/2026" in text
    )
    assert "• Đủ tuổi nghỉ hưu mà thiếu không quá 5 năm" in text
    assert "được đóng một lần số tháng còn thiếu (có tính lãi)" in text
    assert f"trợ cấp hằng tháng (Điều 23) khoảng {money(814_000)}" in text
    assert "Nghị định 159/2025/NĐ-CP, Điều 7" in result.one_off_basis  # listed behind "Xem căn cứ pháp lý"


def test_a_lump_sum_result_fits_a_phone_screen(policy: Policy) -> None:
    enough = ContributionRecord(Gender.FEMALE, date(1970, 5, 1), 60, 144, 7_000_000)
    short = ContributionRecord(Gender.MALE, date(1965, 1, 15), 0, 132, 6_000_000, stopped=date(2024, 12, 1))
    assert len(pension_text(lump_sum_versus_pension(policy, TODAY, enough))) <= 900
    assert len(pension_text(lump_sum_versus_pension(policy, TODAY, short))) <= 1500


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
