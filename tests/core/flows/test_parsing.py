"""Numbers as citizens type them, alone or inside a question, with and without diacritics."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.flows import parsing
from bot.core.knowledge import KnowledgeBase


def words(text: str, kb: KnowledgeBase) -> list[str]:
    return parsing.words(text, kb.lexicon.lexicon)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("nhà 4 người mua bhyt", 4),
        ("nha 4 nguoi mua bhyt", 4),
        ("nhà e 4 ng mua bhyt 6 tháng", 4),
        ("gia đình có 7 thành viên", 7),
        ("nhà tui 5 miệng ăn", 5),
        ("bốn người", 4),
        ("NĂM NGƯỜI", 5),
        ("mua cho 2 vợ chồng", 2),
        ("mua bhyt cho người thứ hai", None),
    ],
)
def test_member_counts_are_read_from_the_words_around_the_number(
    real_kb: KnowledgeBase, text: str, count: int | None
) -> None:
    assert parsing.members(words(text, real_kb)) == count


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("mua bhyt 1 năm", 12),
        ("mua bhyt 1 nam", 12),
        ("đóng một năm một lần", 12),
        ("6 tháng", 6),
        ("3 thang", 3),
        ("mua nửa năm", 6),
        ("đóng theo quý", 3),
        ("mỗi quý", 3),
        ("mức 5 triệu thì mỗi tháng bao nhiêu", 1),
        ("mức 5 triệu/tháng", None),
        ("đã đóng 15 năm", None),
    ],
)
def test_payment_periods_are_read_in_months(real_kb: KnowledgeBase, text: str, months: int | None) -> None:
    assert parsing.period(words(text, real_kb), (1, 3, 6, 12)) == months


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("mức 5 triệu", 5_000_000),
        ("muc 3tr5 dong 6 thang", 3_500_000),
        ("thu nhập 3.000.000 đồng", 3_000_000),
        ("3,5 triệu", 3_500_000),
        ("chọn 3000k", 3_000_000),
        ("3 củ", 3_000_000),
        ("2 triệu rưỡi", 2_500_000),
        ("mức 5 triệu 12 tháng", 5_000_000),
        ("4 người 6 tháng", None),
    ],
)
def test_money_is_found_inside_a_sentence(text: str, amount: int | None) -> None:
    assert parsing.money_in(text) == amount


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("10 năm", 120),
        ("10 nam 6 thang", 126),
        ("10n6t", 126),
        ("6 tháng", 6),
        ("10", 120),
        ("không", 0),
        ("abc", None),
    ],
)
def test_durations_are_read_in_months(text: str, months: int | None) -> None:
    assert parsing.duration(text) == months


@pytest.mark.parametrize(
    ("text", "birth"),
    [("12/3/1975", "1975-03-12"), ("3/1975", "1975-03"), ("1975", "1975"), ("31/2/1990", None), ("sáu", None)],
)
def test_a_birth_date_may_be_a_full_date_a_month_or_a_year(text: str, birth: str | None) -> None:
    assert parsing.birth(text) == birth


def test_a_year_of_birth_alone_is_taken_as_the_first_of_july() -> None:
    assert parsing.birth_date("1975") == date(1975, 7, 1)
    assert parsing.birth_date("1975-03") == date(1975, 3, 1)


@pytest.mark.parametrize(
    ("text", "month"),
    [("3/2024", "2024-03"), ("tháng 3 năm 2024", "2024-03"), ("6 tháng trước", "2026-05"), ("tháng trước", "2026-10")],
)
def test_the_last_month_paid_may_be_given_as_a_date_or_as_time_ago(text: str, month: str) -> None:
    assert parsing.month(text, date(2026, 11, 23)) == month


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("hộ cận nghèo", ("near-poor",)),
        ("ho can ngheo", ("near-poor",)),
        ("nhà em hộ nghèo", ("poor",)),
        ("mình là dtts", ("ethnic",)),
        ("người dân tộc Tày, hộ nghèo", ("poor", "ethnic")),
        ("sống ở xã đảo", ("island",)),
        ("nhà không thuộc hộ nghèo", ("other",)),
        ("đóng bao nhiêu", ()),
    ],
)
def test_support_groups_are_named_in_words(real_kb: KnowledgeBase, text: str, groups: tuple[str, ...]) -> None:
    assert parsing.groups(words(text, real_kb)) == groups


@pytest.mark.parametrize("typed", ["³", "²", "10³", "①", "\U00010a40"])  # superscripts, a circled and a Kharosthi digit
def test_a_digit_int_cannot_read_is_no_number(real_kb: KnowledgeBase, typed: str) -> None:
    assert parsing.number(typed) is None
    assert parsing.duration(typed) is None
    assert parsing.period([typed], (1, 3, 6, 12)) is None
    assert parsing.members([typed, "nguoi"]) is None
