"""Policy figures on a date, and how they are written in answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.knowledge import KnowledgeBase
from bot.core.policy import DEFAULT_CAVEAT, Policy, PolicyError, formula_names, parse_policy
from bot.core.render import (
    UNCERTAIN_MARK,
    Footnotes,
    age,
    compose,
    day,
    decimal_text,
    fill,
    format_figure,
    marked,
    money,
    percent,
    render_template,
    to_dong,
)
from tests.factories import BEFORE_RAISE, RAISE_DAY, TODAY, policy_document


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(policy_document())


@pytest.fixture(scope="module")
def real_policy(real_kb: KnowledgeBase) -> Policy:
    return real_kb.policy


def _param(values: list[dict[str, Any]], unit: str = "dong") -> dict[str, Any]:
    return {"title": "Tham số thử", "unit": unit, "values": values}


# -- values on a date ------------------------------------------------------------------------


def test_base_salary_before_the_change_date_is_the_old_value(policy: Policy) -> None:
    assert policy.value("luong_co_so", BEFORE_RAISE) == 2_340_000


def test_base_salary_on_the_change_date_is_the_new_value(policy: Policy) -> None:
    assert policy.value("luong_co_so", RAISE_DAY) == 2_530_000


def test_base_salary_long_after_the_change_date_stays_the_new_value(policy: Policy) -> None:
    assert policy.value("luong_co_so", date(2030, 1, 1)) == 2_530_000


def test_a_figure_carries_the_legal_basis_of_the_value_in_force(policy: Policy) -> None:
    assert policy.figure("luong_co_so", BEFORE_RAISE).bases == ("Nghị định 73/2024/NĐ-CP",)
    assert policy.figure("luong_co_so", RAISE_DAY).bases == ("Nghị định 161/2026/NĐ-CP",)


def test_a_date_before_the_first_value_has_no_figure(policy: Policy) -> None:
    with pytest.raises(PolicyError, match="chưa có giá trị"):
        policy.figure("luong_co_so", date(2020, 1, 1))


def test_an_unknown_name_raises_policy_error(policy: Policy) -> None:
    with pytest.raises(PolicyError, match="khong_co_tham_so"):
        policy.figure("khong_co_tham_so", TODAY)
    with pytest.raises(PolicyError):
        policy.title("khong_co_tham_so")


def test_the_real_base_salary_changes_on_1_july_2026(real_policy: Policy) -> None:
    assert real_policy.value("luong_co_so", BEFORE_RAISE) == 2_340_000
    assert real_policy.value("luong_co_so", RAISE_DAY) == 2_530_000


# -- derived figures -------------------------------------------------------------------------


def test_first_household_member_pays_4_5_percent_of_base_salary_for_12_months(real_policy: Policy) -> None:
    assert real_policy.value("bhyt_hgd_nguoi_1_nam", TODAY) == 1_366_200
    assert real_policy.value("bhyt_hgd_nguoi_1_nam", BEFORE_RAISE) == 1_263_600


def test_second_household_member_pays_70_percent(real_policy: Policy) -> None:
    assert real_policy.value("bhyt_hgd_nguoi_2_nam", TODAY) == 956_340
    assert real_policy.value("bhyt_hgd_nguoi_2_nam", TODAY) == real_policy.value(
        "bhyt_hgd_nguoi_1_nam", TODAY
    ) * Decimal("0.7")


def test_derived_figure_follows_its_inputs_across_the_change_date(policy: Policy) -> None:
    assert policy.value("bhyt_hgd_nguoi_1_nam", BEFORE_RAISE) == 1_263_600
    assert policy.value("bhyt_hgd_nguoi_1_nam", RAISE_DAY) == 1_366_200


def test_derived_figure_cites_its_own_basis_then_every_input(real_policy: Policy) -> None:
    bases = real_policy.figure("bhyt_hgd_nguoi_1_nam", TODAY).bases
    assert "Nghị định 161/2026/NĐ-CP, Điều 3 khoản 2" in bases
    assert "Nghị định 188/2025/NĐ-CP, Điều 6 khoản 5" in bases
    assert len(bases) == len(set(bases))


def test_derived_figure_is_uncertain_when_an_input_is_and_collects_the_caveat() -> None:
    document = policy_document()
    document["params"]["bhyt_ty_le_dong"]["values"][0].update(uncertain=True, caveat="chờ hướng dẫn")
    figure = parse_policy(document).figure("bhyt_hgd_nguoi_2_nam", TODAY)
    assert figure.uncertain
    assert figure.caveats == ("chờ hướng dẫn",)


def test_circular_formulas_raise_policy_error_instead_of_recursing_forever() -> None:
    document = {
        "params": {},
        "derived": {
            "a": {"title": "a", "unit": "number", "formula": "b + 1"},
            "b": {"title": "b", "unit": "number", "formula": "a + 1"},
        },
    }
    with pytest.raises(PolicyError, match="vòng tròn"):
        parse_policy(document).figure("a", TODAY)


# -- uncertain values ------------------------------------------------------------------------


def test_uncertain_value_is_marked_and_its_caveat_collected(real_policy: Policy) -> None:
    rendered = render_template("Thu nhập thấp nhất {{tn_thu_nhap_toi_thieu}}.", real_policy, date(2027, 1, 1))
    assert rendered.text == f"Thu nhập thấp nhất 2.200.000 đồng {UNCERTAIN_MARK}."
    assert rendered.caveats == ("mức dự kiến từ 01/01/2027 theo chuẩn nghèo mới, chờ hướng dẫn chính thức",)


def test_an_uncertain_value_without_a_caveat_gets_a_general_one() -> None:
    document = policy_document()
    document["params"]["bhyt_ty_le_dong"]["values"][0]["uncertain"] = True
    assert parse_policy(document).figure("bhyt_ty_le_dong", TODAY).caveats == (DEFAULT_CAVEAT,)


def test_footnotes_number_caveats_in_order_and_mark_a_figure_with_all_of_its_own() -> None:
    footnotes = Footnotes(("thứ nhất", "thứ hai", "thứ ba"))
    assert footnotes.mark(("thứ hai",)) == "(2)"
    assert footnotes.mark(("thứ ba", "thứ nhất")) == "(1, 3)"
    assert footnotes.lines() == ("(1) Thứ nhất.", "(2) Thứ hai.", "(3) Thứ ba.")


def test_footnotes_with_one_caveat_use_the_star() -> None:
    footnotes = Footnotes(("chờ hướng dẫn",))
    assert footnotes.mark(("chờ hướng dẫn",)) == UNCERTAIN_MARK
    assert footnotes.lines() == (f"{UNCERTAIN_MARK} Chờ hướng dẫn.",)


def test_texts_rendered_apart_are_numbered_together_by_the_footnotes_of_both() -> None:
    first = compose("A ", marked("1 đồng", ["x"]))
    second = compose("B ", marked("2 đồng", ["y"]), ", C ", marked("3 đồng", ["x", "y"]))
    footnotes = Footnotes.of(first, second)
    assert (footnotes.write(first), footnotes.write(second)) == ("A 1 đồng (1)", "B 2 đồng (2), C 3 đồng (1, 2)")
    assert second.text == "B 2 đồng (1), C 3 đồng (1, 2)"  # on its own, "y" comes first


def test_a_message_is_filled_with_marked_figures() -> None:
    rendered = fill("Từ {low} đến {high}.", low=marked("1 đồng", ["x"]), high="9 đồng")
    assert rendered.text == f"Từ 1 đồng {UNCERTAIN_MARK} đến 9 đồng."


def test_the_confirmed_figure_is_the_last_certain_value_while_the_new_one_is_uncertain(real_policy: Policy) -> None:
    assert real_policy.confirmed_figure("tn_thu_nhap_toi_thieu", date(2027, 3, 1)).value == 1_500_000
    assert real_policy.confirmed_figure("tn_thu_nhap_toi_thieu", TODAY).value == 1_500_000
    assert real_policy.confirmed_figure("tn_thu_nhap_toi_thieu", date(2017, 1, 1)).value == 700_000  # none before


def test_changes_lists_the_days_a_parameter_takes_a_new_value_within_a_span(real_policy: Policy) -> None:
    assert real_policy.changes("tn_thu_nhap_toi_thieu", TODAY, date(2027, 10, 31)) == (date(2027, 1, 1),)
    assert real_policy.changes("tn_thu_nhap_toi_thieu", date(2027, 1, 1), date(2027, 10, 31)) == ()


def test_confirmed_value_has_no_mark_and_no_caveat(real_policy: Policy) -> None:
    rendered = render_template("Thu nhập thấp nhất {{tn_thu_nhap_toi_thieu}}.", real_policy, TODAY)
    assert rendered.text == "Thu nhập thấp nhất 1.500.000 đồng."
    assert rendered.caveats == ()


def test_caveats_are_listed_once_however_often_the_figure_appears(real_policy: Policy) -> None:
    template = "{{tn_thu_nhap_toi_thieu}} và {{tn_dong_toi_thieu}}"
    rendered = render_template(template, real_policy, date(2027, 1, 1))
    assert rendered.text.count(UNCERTAIN_MARK) == 2
    assert len(rendered.caveats) == 1


# -- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [(1_263_600, "1.263.600 đồng"), (500, "500 đồng"), (0, "0 đồng"), (2_530_000, "2.530.000 đồng")],
)
def test_money_is_written_with_dots_between_thousands_and_dong(amount: int, text: str) -> None:
    assert money(amount) == text


@pytest.mark.parametrize(
    ("value", "text"), [("4.5", "4,5%"), ("22", "22%"), ("0.03", "0,03%"), ("70.0", "70%"), ("1.50", "1,5%")]
)
def test_percent_uses_a_decimal_comma_and_no_trailing_zeros(value: str, text: str) -> None:
    assert percent(Decimal(value)) == text


def test_large_decimal_numbers_group_thousands_and_keep_the_comma() -> None:
    assert decimal_text(Decimal("1234.5")) == "1.234,5"


@pytest.mark.parametrize(("months", "text"), [(738, "61 tuổi 6 tháng"), (744, "62 tuổi"), (676, "56 tuổi 4 tháng")])
def test_age_in_months_is_written_in_years_and_months(months: int, text: str) -> None:
    assert age(months) == text


def test_dates_are_written_day_month_year() -> None:
    assert day(date(2026, 7, 1)) == "01/07/2026"


def test_real_retirement_age_for_men_in_2026_reads_61_years_6_months(real_policy: Policy) -> None:
    assert format_figure(real_policy.figure("tuoi_nghi_huu_nam", TODAY)) == "61 tuổi 6 tháng"


def test_template_renders_money_and_percent_figures(policy: Policy) -> None:
    rendered = render_template("Đóng {{bhyt_ty_le_dong}} của {{luong_co_so}}.", policy, BEFORE_RAISE)
    assert rendered.text == "Đóng 4,5% của 2.340.000 đồng."
    assert rendered.bases == ("Nghị định 188/2025/NĐ-CP", "Nghị định 73/2024/NĐ-CP")


# -- placeholders ----------------------------------------------------------------------------


def test_placeholder_with_a_date_shows_the_value_on_that_date(policy: Policy) -> None:
    template = "Từ 01/07/2026 là {{luong_co_so}}, trước đó là {{luong_co_so@2026-06-30}}."
    rendered = render_template(template, policy, TODAY)
    assert rendered.text == "Từ 01/07/2026 là 2.530.000 đồng, trước đó là 2.340.000 đồng."


def test_unknown_placeholder_raises_policy_error(policy: Policy) -> None:
    with pytest.raises(PolicyError, match="khong_co"):
        render_template("Mức {{khong_co}}.", policy, TODAY)


@pytest.mark.parametrize(
    "template", ["{{Luong_Co_So}}", "{{luong co so}}", "{{luong_co_so", "{{luong_co_so@2026-13-01}}"]
)
def test_malformed_placeholder_raises_policy_error(policy: Policy, template: str) -> None:
    with pytest.raises(PolicyError):
        render_template(template, policy, TODAY)


def test_text_without_placeholders_is_returned_unchanged(policy: Policy) -> None:
    rendered = render_template("Gọi tổng đài 1900 9068.", policy, TODAY)
    assert rendered.text == "Gọi tổng đài 1900 9068."
    assert rendered.caveats == rendered.bases == ()


# -- formulas --------------------------------------------------------------------------------


def test_formula_names_lists_the_parameters_used() -> None:
    assert formula_names("(luong_co_so + 1) * bhyt_ty_le_dong / 100 - 2") == {"luong_co_so", "bhyt_ty_le_dong"}


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('true')",
        "luong_co_so ** 2",
        "abs(luong_co_so)",
        "luong_co_so.real",
        "luong_co_so if luong_co_so else 0",
        "luong_co_so > 0",
        "[luong_co_so]",
        "luong_co_so // 2",
        "lambda: 1",
        "luong_co_so +",
    ],
)
def test_formulas_reject_anything_but_arithmetic(formula: str) -> None:
    with pytest.raises(PolicyError):
        formula_names(formula)


def test_policy_with_a_non_arithmetic_formula_is_refused_when_parsed() -> None:
    document = policy_document()
    document["derived"]["bhyt_hgd_nguoi_1_nam"]["formula"] = "max(luong_co_so, 1)"
    with pytest.raises(PolicyError):
        parse_policy(document)


def test_policy_with_a_formula_over_an_unknown_parameter_is_refused() -> None:
    document = policy_document()
    document["derived"]["bhyt_hgd_nguoi_1_nam"]["formula"] = "luong_toi_thieu_vung * 12"
    with pytest.raises(PolicyError, match="luong_toi_thieu_vung"):
        parse_policy(document)


# -- parsing policy.yaml ---------------------------------------------------------------------


def test_a_value_without_legal_basis_is_refused() -> None:
    with pytest.raises(PolicyError, match="basis"):
        parse_policy({"params": {"x": _param([{"from": "2025-07-01", "value": 1}])}})


def test_an_unknown_unit_is_refused() -> None:
    with pytest.raises(PolicyError, match="đơn vị"):
        parse_policy({"params": {"x": _param([{"from": "2025-07-01", "value": 1, "basis": "b"}], unit="usd")}})


def test_values_out_of_date_order_are_refused() -> None:
    values = [
        {"from": "2026-07-01", "value": 2, "basis": "b"},
        {"from": "2024-07-01", "value": 1, "basis": "b"},
    ]
    with pytest.raises(PolicyError, match="ngày tăng dần"):
        parse_policy({"params": {"x": _param(values)}})


def test_two_values_from_the_same_day_are_refused() -> None:
    values = [{"from": "2026-07-01", "value": 2, "basis": "b"}, {"from": "2026-07-01", "value": 1, "basis": "b"}]
    with pytest.raises(PolicyError):
        parse_policy({"params": {"x": _param(values)}})


@pytest.mark.parametrize("value", [True, [1], {"so": 1}])
def test_a_value_that_is_not_a_number_is_refused(value: object) -> None:
    with pytest.raises(PolicyError, match="phải là số"):
        parse_policy({"params": {"x": _param([{"from": "2025-07-01", "value": value, "basis": "b"}])}})


def test_a_value_left_empty_is_missing() -> None:
    with pytest.raises(PolicyError, match='thiếu "value"'):
        parse_policy({"params": {"x": _param([{"from": "2025-07-01", "value": None, "basis": "b"}])}})


@pytest.mark.parametrize("value", ["2.530.000", "nhiều"])
def test_a_value_typed_as_text_is_refused_with_a_policy_error(value: str) -> None:
    with pytest.raises(PolicyError, match="phải là số"):
        parse_policy({"params": {"x": _param([{"from": "2025-07-01", "value": value, "basis": "b"}])}})


def test_a_derived_figure_may_not_shadow_a_parameter() -> None:
    document = policy_document()
    document["derived"]["luong_co_so"] = {"title": "x", "unit": "dong", "formula": "1"}
    with pytest.raises(PolicyError, match="trùng tên"):
        parse_policy(document)


# -- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "dong"),
    [("0.5", 1), ("1.5", 2), ("2.5", 3), ("2.4999", 2), ("884519.5", 884520), ("-0.4", 0)],
)
def test_money_rounds_to_whole_dong_with_halves_up(amount: str, dong: int) -> None:
    assert to_dong(Decimal(amount)) == dong


def test_a_computed_half_dong_is_shown_rounded_up() -> None:
    document = {
        "params": {"muc": _param([{"from": "2025-07-01", "value": 1001, "basis": "b"}])},
        "derived": {"nua": {"title": "nửa", "unit": "dong", "formula": "muc * 50 / 100"}},
    }
    policy = parse_policy(document)
    assert policy.value("nua", TODAY) == Decimal("500.5")
    assert render_template("{{nua}}", policy, TODAY).text == "501 đồng"


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_rounding_never_moves_an_amount_by_more_than_half_a_dong(whole: int, hundredths: int) -> None:
    amount = Decimal(whole) + Decimal(hundredths) / 100
    assert abs(to_dong(amount) - amount) <= Decimal("0.5")
    assert to_dong(amount) == whole + (1 if hundredths >= 50 else 0)


@given(st.integers(min_value=0, max_value=10**15))
def test_money_text_reads_back_as_the_same_amount(amount: int) -> None:
    text = money(amount)
    assert text.endswith(" đồng")
    assert int(text.removesuffix(" đồng").replace(".", "")) == amount


@pytest.mark.parametrize("amount", [10**28, 10**29 - 1, 10**40, Decimal("1E+40") + Decimal("0.5")])
def test_money_renders_an_amount_of_any_size(amount: int | Decimal) -> None:
    assert money(amount).endswith(" đồng") and to_dong(amount) >= 10**28
