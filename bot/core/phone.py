"""Vietnamese phone numbers as citizens type them, to E.164 ("0912 345 678" -> "+84912345678").

Parsing and validity come from `phonenumbers` (libphonenumber's metadata: which prefixes are mobile,
fixed-line, toll-free, ...). A call-back needs a number a person answers, so mobile and fixed-line numbers
are accepted; toll-free, premium-rate (1800/1900) and foreign numbers are refused with a reason the bot
can show. A number is never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

REGION = "VN"
COUNTRY_CODE = 84
CALLABLE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_ALLOWED_CHARACTERS = re.compile(r"^[\d\s().+\-]+$")
MIN_DIGITS, MAX_DIGITS = 8, 13  # "1900 9068" up to "+84 2xx xxxx xxxx" with its country code


class PhoneProblem(StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not-a-number"
    TOO_SHORT = "too-short"
    TOO_LONG = "too-long"
    FOREIGN = "foreign"
    NOT_CALLABLE = "not-callable"  # toll-free, premium rate, ...
    INVALID = "invalid"


PROBLEM_TEXT = {
    PhoneProblem.EMPTY: "Bạn chưa gõ số điện thoại.",
    PhoneProblem.NOT_A_NUMBER: "Số điện thoại chỉ gồm chữ số, ví dụ 0912 345 678.",
    PhoneProblem.TOO_SHORT: "Số điện thoại hơi ngắn, bạn kiểm tra lại giúp mình (ví dụ 0912 345 678).",
    PhoneProblem.TOO_LONG: "Số điện thoại hơi dài, bạn kiểm tra lại giúp mình (ví dụ 0912 345 678).",
    PhoneProblem.FOREIGN: "Mình chỉ nhận số điện thoại Việt Nam.",
    PhoneProblem.NOT_CALLABLE: "Số này không gọi lại được (tổng đài, số dịch vụ). Bạn cho mình số di động nhé.",
    PhoneProblem.INVALID: "Số điện thoại chưa đúng, bạn kiểm tra lại giúp mình (ví dụ 0912 345 678).",
}


class PhoneError(ValueError):
    def __init__(self, problem: PhoneProblem) -> None:
        super().__init__(PROBLEM_TEXT[problem])
        self.problem = problem


@dataclass(frozen=True)
class Phone:
    e164: str  # "+84912345678"
    mobile: bool

    @property
    def national(self) -> str:
        """As Vietnamese people write it: "0912 345 678"."""
        return phonenumbers.format_number(phonenumbers.parse(self.e164), PhoneNumberFormat.NATIONAL)


def parse_phone(text: str) -> Phone:
    """The number in E.164, or PhoneError saying what is wrong with it."""
    typed = text.strip()
    if not typed:
        raise PhoneError(PhoneProblem.EMPTY)
    if not _ALLOWED_CHARACTERS.match(typed):
        raise PhoneError(PhoneProblem.NOT_A_NUMBER)
    digits = re.sub(r"\D", "", typed)
    if len(digits) < MIN_DIGITS:
        raise PhoneError(PhoneProblem.TOO_SHORT)
    if len(digits) > MAX_DIGITS:
        raise PhoneError(PhoneProblem.TOO_LONG)
    try:
        number = phonenumbers.parse(typed, REGION)
    except NumberParseException:
        raise PhoneError(PhoneProblem.INVALID) from None
    if number.country_code != COUNTRY_CODE:
        raise PhoneError(PhoneProblem.FOREIGN)
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(PhoneProblem.INVALID)
    kind = phonenumbers.number_type(number)
    if kind not in CALLABLE_TYPES:
        raise PhoneError(PhoneProblem.NOT_CALLABLE)
    return Phone(phonenumbers.format_number(number, PhoneNumberFormat.E164), kind == PhoneNumberType.MOBILE)
