"""What people type into a lead is tidied and checked where it is taken (bot.core.leads.fields)."""

from __future__ import annotations

import unicodedata

import pytest

from bot.core.leads.fields import MAX_CALL_TIME, call_time, person_name, tidy


def test_control_and_invisible_characters_are_dropped_and_spaces_collapsed() -> None:
    assert tidy(" Nguyễn\u200b  Văn\tAn\x00 \u202e") == "Nguyễn Văn An"


def test_a_name_typed_in_decomposed_unicode_becomes_the_composed_name() -> None:
    typed = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    assert typed != "Nguyễn Thị Lan"
    assert person_name(typed) == "Nguyễn Thị Lan"


def test_notes_keep_their_lines_without_control_characters() -> None:
    assert tidy("Gọi lần 1:\x07 máy bận\r\n\n\n\nGọi lần 2: hẹn\u200b tối", keep_lines=True) == (
        "Gọi lần 1: máy bận\n\nGọi lần 2: hẹn tối"
    )


@pytest.mark.parametrize(
    "name",
    ["=HYPERLINK(1)", "@SUM(A1)", "Nguyễn Văn 3", "A", "x" * 61, "An Bình Chi Dũng Em Phúc Giang Hà", "<b>An</b>"],
)
def test_what_is_not_a_persons_name_is_refused(name: str) -> None:
    assert person_name(name) is None


@pytest.mark.parametrize("name", ["Nguyễn Thị Lan", "H'Hen Niê", "Lê Văn A.", "Phan-Nguyễn Bảo Châu"])
def test_names_of_people_are_taken(name: str) -> None:
    assert person_name(name) == name


@pytest.mark.parametrize("text", ["sau 17h", "8h-10h sáng", "17:30 thứ 2/4/6", "tối (trừ CN), sau 19 giờ"])
def test_times_to_call_as_people_write_them_are_taken(text: str) -> None:
    assert call_time(text) == text


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://e.example/x","Gọi")', "+1 sáng", "@chiều", "-2+3", "", "  ", "s" * (MAX_CALL_TIME + 1)]
)
def test_a_time_to_call_that_could_be_a_formula_or_is_too_long_is_refused(text: str) -> None:
    assert call_time(text) is None
