"""Numbers the way citizens type them in a chat, alone as an answer or inside a question: member counts
("nhà 4 người", "5 thành viên", "bốn người"), payment periods ("1 năm", "6 tháng", "nửa năm", "hằng
tháng"), money (bot.core.calc.money), durations ("10 năm 6 tháng", "10n6t"), dates ("12/3/1975",
"1975"), months ("3/2024") and support groups ("hộ nghèo", "cận nghèo", "dân tộc", "xã đảo").

Words are read after bot.core.text normalisation (no diacritics, teencode and abbreviations expanded by the
lexicon), so "nha 4 ng", "nhà 4 người" and "NHÀ 4 NGƯỜI" read the same. Each function returns None (or an
empty result) when it finds nothing; none raises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.core.calc.common import add_months
from bot.core.calc.money import parse_money
from bot.core.calc.support import SupportGroup
from bot.core.text import Lexicon, fold, normalise

# Number words, folded. "nam" (năm = five) and "tu" (tư = four) are numbers only before a unit word.
NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9}
NUMBER_WORDS |= {"muoi": 10}
MEMBER_UNITS = (("nguoi",), ("thanh", "vien"), ("tv",), ("nhan", "khau"), ("khau",), ("mieng",), ("vo", "chong"))
MONEY_WORDS = frozenset({"trieu", "tr", "cu", "nghin", "ngan", "k", "vnd", "ty"})  # not "dong": also "đóng"
EVERY = frozenset({"moi", "hang", "tung", "theo"})  # "mỗi tháng", "hằng tháng", "từng quý", "theo quý"

_UNIT = r"(?:ty|trieu|tr|cu|nghin|ngan|k)"
_AMOUNT = r"\d+(?:[.,]\d+)*"
# A money amount inside a sentence: "5 triệu", "3tr5", "3,5 triệu", "2 triệu rưỡi", "2 triệu 500 nghìn",
# "3000k", "3.000.000", "3000000 đồng". Handed to parse_money, which reads it exactly.
MONEY_SPAN = re.compile(
    rf"(?<![\d.,]){_AMOUNT}\s*{_UNIT}(?![a-z])(?:\s*ruoi\b|\s*{_AMOUNT}\s*{_UNIT}\b|(?<=[a-z])\d{{1,3}}\b)?"
    rf"|(?<![\d.,])\d{{1,3}}(?:[.,]\d{{3}}){{2,}}(?![\d.,])(?:\s*(?:dong|d|vnd)\b)?"
    rf"|(?<![\d.,])\d{{6,}}(?:\s*(?:dong|d|vnd)\b)?"
)
# A duration: "10 năm 6 tháng", "10 năm", "6 tháng", "10n6t", "10 năm rưỡi" (folded). Numbers of more than
# MAX_DIGITS digits are no part of one.
DURATION = re.compile(
    r"(?<![\d.,/])(?:(\d{1,6})\s*(?:nam|n)\b\s*(?:(\d{1,6})\s*(?:thang|t)\b|(ruoi)\b)?"
    r"|(\d{1,6})\s*n\s*(\d{1,6})\s*t\b|(\d{1,6})\s*(?:thang|t)\b)"
)
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?!\d)")
_MONTH_YEAR = re.compile(r"(?<![\d/.\-])(\d{1,2})\s*(?:[/.\-]|nam)\s*(\d{4})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


def words(text: str, lexicon: Lexicon) -> list[str]:
    return normalise(text, lexicon)


MAX_DIGITS = 6  # no count, period or duration a citizen gives has more: longer digits are not read as one


def integer(text: str) -> int | None:
    """Decimal digits as a whole number; None for anything else, such as a superscript or circled digit
    ("³", "①": `isdigit` accepts them, `int` refuses them) or more than MAX_DIGITS digits."""
    return int(text) if text.isdecimal() and len(text) <= MAX_DIGITS else None


def number(word: str) -> int | None:
    """A number in digits or in words ("4", "bốn" folded)."""
    found = integer(word)
    return found if found is not None else NUMBER_WORDS.get(word)


def _followed_by(tokens: Sequence[str], index: int, units: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(tokens[index : index + len(unit)]) == unit for unit in units)


def members(tokens: Sequence[str]) -> int | None:
    """The first "<number> người / thành viên / nhân khẩu / miệng ăn / vợ chồng" in the words."""
    for i, word in enumerate(tokens):
        count = number(word)
        if count is not None and _followed_by(tokens, i + 1, MEMBER_UNITS):
            return count
    return None


def periods(tokens: Sequence[str]) -> list[int]:
    """Payment periods mentioned, in months, in order: "6 tháng" 6, "1 năm"/"một năm"/"cả năm" 12,
    "nửa năm" 6, "quý" 3. "mỗi tháng"/"hằng tháng" count as 1 unless they follow a money amount ("5 triệu
    mỗi tháng" is an income)."""
    found: list[int] = []
    for i, word in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        count = number(before) if before else None
        if word == "thang" and count is not None and not (i >= 2 and tokens[i - 2] in MONEY_WORDS):
            found.append(count)
        elif word == "nam" and before in {"nua"}:
            found.append(6)
        elif word == "nam" and (count is not None or before == "ca") and before != "nam":
            found.append(12 * (count or 1))
        elif word == "quy" and (count is not None or before in EVERY):
            found.append(3 * (count or 1))
    if not found:
        for i, word in enumerate(tokens):
            if word == "thang" and i and tokens[i - 1] in EVERY and not (i >= 2 and tokens[i - 2] in MONEY_WORDS):
                found.append(1)
    return found


def period(tokens: Sequence[str], allowed: Sequence[int]) -> int | None:
    """The first period mentioned that is one of `allowed`; a bare number ("6") when it is all there is."""
    for months in periods(tokens):
        if months in allowed:
            return months
    bare = integer(tokens[0]) if len(tokens) == 1 else None
    return bare if bare in allowed else None


def money_in(text: str) -> int | None:
    """The first money amount in a sentence, in đồng."""
    for match in MONEY_SPAN.finditer(fold(text)):
        try:
            return parse_money(match.group())
        except ValueError:
            continue
    return None


def duration(text: str) -> int | None:
    """A duration typed alone, in months: "10 năm 6 tháng", "10n6t", "6 tháng", "10" (years), "0"/"không"."""
    folded = " ".join(fold(text).replace(",", " ").split())
    if folded in {"0", "khong", "ko", "k", "chua", "khong co"}:
        return 0
    if (years := integer(folded)) is not None:
        return years * 12
    found = durations(folded)
    return found[0] if len(found) == 1 else None


def durations(text: str) -> list[int]:
    """Every duration in a text, in months, in order."""
    found = []
    for match in DURATION.finditer(fold(text)):
        years, months, half, short_years, short_months, only_months = match.groups()
        if short_years is not None:
            found.append(int(short_years) * 12 + int(short_months))
        elif only_months is not None:
            found.append(int(only_months))
        else:
            found.append(int(years) * 12 + (int(months) if months else 6 if half else 0))
    return found


def birth(text: str) -> str | None:
    """A date of birth as ISO text: "12/3/1975" -> "1975-03-12", "3/1975" -> "1975-03", "1975" -> "1975"."""
    folded = fold(text)
    if match := _DAY_MONTH_YEAR.search(folded):
        day_, month_, year_ = (int(part) for part in match.groups())
        try:
            return date(year_, month_, day_).isoformat()
        except ValueError:
            return None
    if match := _MONTH_YEAR.search(folded):
        month_, year_ = int(match.group(1)), int(match.group(2))
        return f"{year_:04d}-{month_:02d}" if 1 <= month_ <= 12 else None
    if match := _YEAR.search(folded):
        return match.group(1)
    return None


def birth_date(value: str) -> date:
    """The date a stored birth stands for: a year alone is taken as 1 July, a month as its first day."""
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        return date(parts[0], 7, 1)
    if len(parts) == 2:
        return date(parts[0], parts[1], 1)
    return date(parts[0], parts[1], parts[2])


def month(text: str, today: date) -> str | None:
    """A month as "YYYY-MM": "3/2024", "tháng 3 năm 2024", "6 tháng trước", "1 năm trước", "tháng trước"."""
    folded = " ".join(fold(text).split())
    if match := _MONTH_YEAR.search(folded.replace("thang ", "")):
        month_, year_ = int(match.group(1)), int(match.group(2))
        return f"{year_:04d}-{month_:02d}" if 1 <= month_ <= 12 else None
    if folded.endswith("truoc"):
        ago = 1 if folded in {"thang truoc", "truoc"} else next(iter(durations(folded)), None)
        if ago is not None:
            return f"{add_months(today, -ago):%Y-%m}"
    return None


_NEGATED_POOR = re.compile(r"\bkhong (?:thuoc |phai |la |co |o )*(?:ho |dien |gia dinh )*(?:can )?ngheo\b")


def groups(tokens: Sequence[str]) -> tuple[str, ...]:
    """Support groups named in the words (codes of bot.core.calc.support.SupportGroup), in declared order;
    ("other",) when the citizen says they are in none ("không thuộc hộ nghèo")."""
    text = f" {' '.join(tokens)} "
    negated = bool(_NEGATED_POOR.search(text))
    text = _NEGATED_POOR.sub(" ", text)
    found = set()
    if " can ngheo " in text:
        found.add(SupportGroup.NEAR_POOR)
        text = text.replace(" can ngheo ", " ")
    if " ngheo " in text:
        found.add(SupportGroup.POOR)
    if " dan toc " in text:
        found.add(SupportGroup.ETHNIC)
    if any(f" {phrase} " in text for phrase in ("xa dao", "huyen dao", "dac khu", "o dao", "tren dao")):
        found.add(SupportGroup.ISLAND)
    if not found and (negated or " binh thuong " in text or " khong thuoc nhom nao " in text):
        found.add(SupportGroup.OTHER)
    return tuple(group.value for group in SupportGroup if group in found)
