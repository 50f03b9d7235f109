"""Telling a question from an answer while a flow waits (bot.core.flows.questions)."""

from __future__ import annotations

import pytest

from bot.core.flows.questions import looks_like_question


@pytest.mark.parametrize(
    "text", ["có mất phí không?", "co mat phi ko", "đăng ký ở đâu", "bhyt hộ gia đình bao nhiêu", "làm sao để đăng ký"]
)
def test_question_marks_question_words_and_yes_no_particles_make_a_question(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize(
    "text", ["Nguyễn Thị Hồng", "0912 345 678", "chiều mai", "sau 5h chiều", "thứ bảy", "Tiên Yên"]
)
def test_names_numbers_times_and_places_are_not_questions(text: str) -> None:
    assert not looks_like_question(text)
