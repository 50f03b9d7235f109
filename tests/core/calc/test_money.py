"""Money the way citizens type it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.calc.money import parse_money
from bot.core.render import group_thousands, money


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("3 triệu", 3_000_000),
        ("3tr", 3_000_000),
        ("3tr5", 3_500_000),
        ("3.000.000", 3_000_000),
        ("3,5 triệu", 3_500_000),
        ("3000k", 3_000_000),
        ("3 củ", 3_000_000),
        ("1,5tr", 1_500_000),
        ("500 nghìn", 500_000),
        ("500 ngàn", 500_000),
        ("500k", 500_000),
        ("3000000", 3_000_000),
        ("1.263.600 đồng", 1_263_600),
        ("3.000.000đ", 3_000_000),
        ("3.000.000 VNĐ", 3_000_000),
        ("3 trieu", 3_000_000),
        ("3 TRIỆU", 3_000_000),
        ("2 triệu rưỡi", 2_500_000),
        ("2 triệu 500 nghìn", 2_500_000),
        ("2 triệu 500", 2_500_000),
        ("1tr2", 1_200_000),
        ("3tr05", 3_050_000),
        ("5 triệu/tháng", 5_000_000),
        ("  4,5 triệu ", 4_500_000),
        ("1.500 nghìn", 1_500_000),
        ("1 tỷ", 1_000_000_000),
        ("0", 0),
    ],
)
def test_money_typed_by_citizens_is_read_in_dong(text: str, amount: int) -> None:
    assert parse_money(text) == amount


@pytest.mark.parametrize(
    "text", ["", "abc", "3,5", "-3tr", "tr", "3 nghìn 2 triệu", "3 triệu triệu", "3tr5000000", "3..5tr", "ba triệu"]
)
def test_unreadable_money_raises_a_friendly_vietnamese_message(text: str) -> None:
    with pytest.raises(ValueError, match="Bạn gõ số tiền như: 3 triệu"):
        parse_money(text)


MILLIONS = st.integers(min_value=0, max_value=999)
DIGIT = st.integers(min_value=0, max_value=9)


@given(MILLIONS)
def test_millions_in_every_unit_people_use(millions: int) -> None:
    for text in (f"{millions} triệu", f"{millions}tr", f"{millions} củ", f"{millions * 1000}k", f"{millions}000 nghìn"):
        assert parse_money(text) == millions * 1_000_000, text


@given(MILLIONS, DIGIT)
def test_a_decimal_comma_or_a_trailing_digit_gives_hundreds_of_thousands(millions: int, tenths: int) -> None:
    expected = millions * 1_000_000 + tenths * 100_000
    for text in (
        f"{millions}tr{tenths}",
        f"{millions},{tenths} triệu",
        f"{millions},{tenths}tr",
        f"{millions} triệu {tenths}",
    ):
        assert parse_money(text) == expected, text


@given(st.integers(min_value=0, max_value=10**12))
def test_plain_and_grouped_digits_round_trip_render_money(amount: int) -> None:
    assert parse_money(str(amount)) == amount
    assert parse_money(group_thousands(amount)) == amount
    assert parse_money(money(amount)) == amount


@pytest.mark.parametrize("digits", [29, 30, 40, 400])
def test_an_amount_of_29_digits_or_more_is_refused_with_the_friendly_message(digits: int) -> None:
    for text in ("9" * digits, f"{'9' * digits} triệu", f"1 tỷ {'5' * digits}", f"{'9' * digits},5 tr"):
        with pytest.raises(ValueError, match="Bạn gõ số tiền như: 3 triệu"):
            parse_money(text)
