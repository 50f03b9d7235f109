"""Vietnamese phone numbers as citizens type them."""

from __future__ import annotations

import pytest

from bot.core.phone import PhoneError, PhoneProblem, parse_phone


@pytest.mark.parametrize("typed", ["0912 345 678", "+84912345678", "84912345678", "091.234.5678", "0912-345-678",
                                   "+84 (0) 912 345 678", " 0912345678 "])  # fmt: skip
def test_a_mobile_number_in_any_usual_shape_becomes_e164(typed: str) -> None:
    phone = parse_phone(typed)
    assert phone.e164 == "+84912345678"
    assert phone.mobile
    assert phone.national == "0912 345 678"


def test_a_landline_is_accepted_since_someone_answers_it() -> None:
    phone = parse_phone("(024) 3826 1234")
    assert phone.e164 == "+842438261234"
    assert not phone.mobile


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", PhoneProblem.EMPTY),
        ("số của tôi", PhoneProblem.NOT_A_NUMBER),
        ("0912", PhoneProblem.TOO_SHORT),
        ("09123456789012", PhoneProblem.TOO_LONG),
        ("+1 650 253 0000", PhoneProblem.FOREIGN),
        ("1900 9068", PhoneProblem.NOT_CALLABLE),
        ("0123456789", PhoneProblem.INVALID),
    ],
)
def test_a_number_that_cannot_be_called_back_is_refused_with_a_reason(typed: str, problem: PhoneProblem) -> None:
    with pytest.raises(PhoneError) as caught:
        parse_phone(typed)
    assert caught.value.problem == problem
    assert str(caught.value)  # a sentence the bot can show
