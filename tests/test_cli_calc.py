"""`python -m bot calc …`, as staff and scripts run it (in this process: the `run_bot` fixture, tests/cli.py)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import today_in
from bot.config import Settings
from bot.core.render import day
from tests.cli import BotCli, Finished

Calc = Callable[[str], Finished]
CalcJson = Callable[[str], dict[str, Any]]


@pytest.fixture
def run_calc(run_bot: BotCli) -> Calc:
    """`python -m bot calc` followed by `command`, split as a shell would."""

    def calc(command: str) -> Finished:
        return run_bot("calc", *shlex.split(command))

    return calc


@pytest.fixture
def run_json(run_calc: Calc) -> CalcJson:
    def calc_json(command: str) -> dict[str, Any]:
        result = run_calc(f"{command} --json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return calc_json


# -- voluntary -------------------------------------------------------------------------------


def test_voluntary_json_has_the_figures_for_the_period(run_json: CalcJson) -> None:
    data = run_json("voluntary --income 3tr --group poor --months 12 --date 2026-11-23")
    assert data["on"] == "2026-11-23"
    assert (data["income"], data["months"]) == (3_000_000, 12)
    assert (data["total"], data["state_support"], data["citizen_pays"]) == (7_920_000, 1_980_000, 5_940_000)
    assert data["minimum_citizen_pays_per_month"] == 165_000


def test_voluntary_accepts_several_groups_and_applies_the_highest(run_json: CalcJson) -> None:
    data = run_json("voluntary --income 1,5tr --group ethnic,near-poor --date 2026-11-23")
    assert (data["group"], data["citizen_pays"]) == ("near-poor", 198_000)
    data = run_json("voluntary --income 1,5tr --group ethnic --group poor --date 2026-11-23")
    assert (data["group"], data["citizen_pays"]) == ("poor", 165_000)


def test_voluntary_text_is_vietnamese_with_money_in_dong_and_the_date(run_calc: Calc) -> None:
    result = run_calc("voluntary --income 3.000.000 --group other --months 6 --date 2026-11-23")
    assert result.returncode == 0, result.stderr
    assert "ngày 23/11/2026" in result.stdout
    assert "Bạn nộp: 3.564.000 đồng" in result.stdout  # (660.000 - 66.000) × 6


def test_without_a_date_the_calculator_uses_today(run_calc: Calc) -> None:
    result = run_calc("voluntary --income '3 triệu'")
    assert result.returncode == 0, result.stderr
    assert f"ngày {day(today_in(Settings(_env_file=None).timezone))}" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("--income 60tr", "từ 1.500.000 đồng đến 50.600.000 đồng"),
        ("--income 3tr --months 24", "nhiều năm về sau"),
        ("--income abc", "Bạn gõ số tiền như"),
        ("--income 3tr --group rich", "nhóm phải là một trong"),
    ],
)
def test_voluntary_errors_are_a_clear_message_and_exit_code_2(arguments: str, message: str, run_calc: Calc) -> None:
    result = run_calc(f"voluntary {arguments} --date 2026-11-23")
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_the_figures_change_on_their_effective_date(run_json: CalcJson) -> None:
    before = run_json("voluntary --income 3tr --date 2026-12-31")
    after = run_json("voluntary --income 3tr --date 2027-01-01")
    assert (before["minimum_citizen_pays_per_month"], after["minimum_citizen_pays_per_month"]) == (264_000, 387_200)
    assert before["caveats"] == []
    assert after["caveats"] != []


# -- household -------------------------------------------------------------------------------


def test_household_json_lists_the_members_in_order_and_the_total(run_json: CalcJson) -> None:
    data = run_json("household --members 6 --months 12 --date 2026-11-23")
    amounts = [member["amount"] for member in data["members"]]
    assert amounts == [1_366_200, 956_340, 819_720, 683_100, 546_480, 546_480]
    assert data["total"] == sum(amounts)


def test_household_before_1_july_2026_uses_the_old_base_salary(run_json: CalcJson) -> None:
    assert run_json("household --members 1 --date 2026-06-30")["total"] == 1_263_600


def test_household_text_carries_the_note_on_who_is_not_counted(run_calc: Calc) -> None:
    result = run_calc("household --members 2 --months 6 --date 2026-11-23")
    assert result.returncode == 0, result.stderr
    assert "Người thứ 2 (70% người thứ nhất): 478.170 đồng" in result.stdout
    assert "trẻ em dưới 6 tuổi" in result.stdout


def test_household_with_a_wrong_period_exits_with_code_2(run_calc: Calc) -> None:
    result = run_calc("household --members 2 --months 1")
    assert result.returncode == 2
    assert "3, 6 hoặc 12" in result.stderr


# -- pension ---------------------------------------------------------------------------------

WOMAN = "pension --gender female --birth 1980-03-01 --scheme compulsory"


def test_pension_json_has_the_lump_sum_and_the_pension(run_json: CalcJson) -> None:
    data = run_json(f"{WOMAN} --before-2014 4 --from-2014 12 --income 5tr --stopped 2025-12 --date 2026-11-23")
    assert data["lump_sum_allowed"] is False
    assert "01/01/2027" in data["lump_sum_reason"]
    assert data["lump_sum"] == 150_000_000
    assert data["retirement_date"] == "2040-03-31"
    assert data["years_needed_for_pension"] == 0
    assert data["pension_rate_percent"] == 47
    assert data["monthly_pension"] == 2_350_000
    assert data["months_of_pension_equal_to_lump_sum"] == 63.8


def test_pension_for_a_voluntary_participant_deducts_the_support(run_json: CalcJson) -> None:
    data = run_json(
        "pension --gender male --birth 1985-06-15 --from-2014 5 --income 1.500.000 --scheme voluntary"
        " --group other --started-before-2025-07 yes --stopped 2025-12 --date 2027-01-01"
    )
    assert data["lump_sum_allowed"] is True
    assert (data["lump_sum"], data["state_support_deducted"]) == (13_033_200, 1_966_800)
    assert data["years_needed_for_pension"] == 10


def test_pension_text_reads_as_a_plain_estimate(run_calc: Calc) -> None:
    result = run_calc(f"{WOMAN} --from-2014 10 --income 8tr --stopped 2025-12 --date 2026-11-23")
    assert result.returncode == 0, result.stderr
    assert "• Rút một lần khoảng 160.000.000 đồng. Chưa được rút:" in result.stdout
    assert "từ 01/01/2027 bạn được rút (Điều 70 khoản 1 điểm đ)" in result.stdout
    assert "Ước tính ngày" in result.stdout and "số chính xác do BHXH tính" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("--from-2014 5:13 --income 5tr", "NĂM:THÁNG"),
        ("--from-2014 5 --income 5tr --stopped 2025/12", "YYYY-MM"),
        ("--from-2014 20 --income 5tr --stopped 2025-12", "dài hơn khoảng từ 01/2014"),
        ("--income 5tr", "thời gian đã đóng"),
    ],
)
def test_pension_errors_are_a_clear_message_and_exit_code_2(arguments: str, message: str, run_calc: Calc) -> None:
    result = run_calc(f"{WOMAN} {arguments} --date 2026-11-23")
    assert result.returncode == 2
    assert message in result.stderr
