"""Money the way people type it: "3 triệu", "3tr", "3tr5", "3.000.000", "3,5 triệu", "3000k", "3 củ",
"1,5tr", "500 nghìn", "2 triệu rưỡi", "2 triệu 500 nghìn", plain digits."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from bot.core.render import to_dong
from bot.core.text import fold

HELP = "Bạn gõ số tiền như: 3 triệu, 3tr5, 3.000.000, 3,5 triệu, 3000k hoặc 500 nghìn nhé."

# Units after a number, folded (no diacritics). "củ" is slang for a million.
UNITS = {"ty": 10**9, "trieu": 10**6, "tr": 10**6, "cu": 10**6, "nghin": 10**3, "ngan": 10**3, "k": 10**3}
HALF = frozenset({"ruoi"})  # "2 triệu rưỡi": and a half
CURRENCY = frozenset({"dong", "d", "vnd"})
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+|\s+")
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+")  # 3.000.000 or 3,000,000
_DECIMAL = re.compile(r"\d+[.,]\d+")  # 3,5 or 1.5 (only before a unit)
# More than any income or contribution by far: a larger amount is a typing mistake (or an attack), refused
# before it is computed with.
MAX_AMOUNT = 10**15
MAX_DIGITS = len(str(MAX_AMOUNT))


def parse_money(text: str) -> int:
    """An amount typed by a citizen, in whole đồng; raises ValueError with a friendly message."""
    tokens = _tokens(text)
    while tokens and tokens[-1] in CURRENCY:
        tokens.pop()
    if not tokens:
        raise ValueError(f"Mình chưa thấy số tiền. {HELP}")
    total, last_unit, i = Decimal(0), None, 0
    while i < len(tokens):
        number = _number(tokens[i], text, with_unit=i + 1 < len(tokens) and tokens[i + 1] in UNITS)
        i += 1
        if i == len(tokens):  # a bare number ends the amount: plain đồng, below the last unit
            if last_unit is not None and number >= last_unit:
                raise _not_understood(text)
            return _amount(total + number, text)
        unit = UNITS.get(tokens[i])
        if unit is None or (last_unit is not None and unit >= last_unit):
            raise _not_understood(text)
        total += number * unit
        last_unit, i = unit, i + 1
        if i < len(tokens) and tokens[i] in HALF:  # "2 triệu rưỡi"
            total, i = total + Decimal(unit) / 2, i + 1
            last_unit = unit // 10  # only smaller places may follow
        elif i + 1 == len(tokens) and tokens[i].isdecimal():  # "3tr5", "2 triệu 500": the next places
            tail = tokens[i]
            if len(tail) >= len(str(unit)):
                raise _not_understood(text)
            return _amount(total + Decimal(tail) * unit / 10 ** len(tail), text)
    return _amount(total, text)


def _amount(value: Decimal, text: str) -> int:
    if value > MAX_AMOUNT:
        raise _not_understood(text)
    return to_dong(value)


def _tokens(text: str) -> list[str]:
    folded = fold(unicodedata.normalize("NFKC", text)).replace("₫", " d ").strip()
    folded = re.sub(r"\s*/\s*thang$", "", folded)  # "5 triệu/tháng"
    tokens: list[str] = []
    position = 0
    while position < len(folded):
        match = _TOKEN.match(folded, position)
        if match is None:
            raise _not_understood(text)
        if not match.group().isspace():
            tokens.append(match.group())
        position = match.end()
    return tokens


def _number(token: str, text: str, with_unit: bool) -> Decimal:
    if sum(char.isdigit() for char in token) > MAX_DIGITS:
        raise _not_understood(text)
    if token.isdecimal():
        return Decimal(token)
    if _GROUPED.fullmatch(token):  # thousands separators, with or without a unit ("1.500 nghìn")
        return Decimal(re.sub(r"[.,]", "", token))
    if with_unit and _DECIMAL.fullmatch(token):  # a decimal part needs a unit: "3,5 triệu"
        return Decimal(token.replace(",", "."))
    raise _not_understood(text)


def _not_understood(text: str) -> ValueError:
    return ValueError(f"Mình chưa hiểu số tiền “{text.strip()}”. {HELP}")
