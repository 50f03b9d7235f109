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
from dataclasses import dataclass
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
        # "5 triệu 1 tháng" is an income per month; "3 triệu 3 tháng" an income and a period
        if word == "thang" and count is not None and not (count == 1 and i >= 2 and tokens[i - 2] in MONEY_WORDS):
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


# -- household members described in words --------------------------------------------------------------
# "5 người: 2 vợ chồng, mẹ chồng 70 tuổi, con 8 tuổi đi học và con 3 tuổi", "bố đang hưởng lương hưu",
# "chồng làm công ty có BHYT". Each part between commas (or "và", "với", "+") names one role, with a count,
# an age and what already pays their card, if said.

# Roles, folded, longest first; a pair names two people ("vợ chồng" is the wife and the husband).
ROLES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("ba", "me", "chong"), ("Bố chồng", "Mẹ chồng")),
    (("bo", "me", "chong"), ("Bố chồng", "Mẹ chồng")),
    (("ba", "me", "vo"), ("Bố vợ", "Mẹ vợ")),
    (("bo", "me", "vo"), ("Bố vợ", "Mẹ vợ")),
    (("me", "chong"), ("Mẹ chồng",)),
    (("bo", "chong"), ("Bố chồng",)),
    (("cha", "chong"), ("Cha chồng",)),
    (("me", "vo"), ("Mẹ vợ",)),
    (("bo", "vo"), ("Bố vợ",)),
    (("cha", "vo"), ("Cha vợ",)),
    (("ong", "noi"), ("Ông nội",)),
    (("ba", "noi"), ("Bà nội",)),
    (("ong", "ngoai"), ("Ông ngoại",)),
    (("ba", "ngoai"), ("Bà ngoại",)),
    (("con", "dau"), ("Con dâu",)),
    (("con", "re"), ("Con rể",)),
    (("con", "trai"), ("Con trai",)),
    (("con", "gai"), ("Con gái",)),
    (("em", "chong"), ("Em chồng",)),
    (("em", "vo"), ("Em vợ",)),
    (("vo", "chong"), ("Vợ", "Chồng")),
    (("bo", "me"), ("Bố", "Mẹ")),
    (("cha", "me"), ("Cha", "Mẹ")),
    (("ba", "ma"), ("Ba", "Má")),
    (("ba", "me"), ("Ba", "Mẹ")),
    (("ong", "ba"), ("Ông", "Bà")),
    (("vo",), ("Vợ",)),
    (("chong",), ("Chồng",)),
    (("bo",), ("Bố",)),
    (("me",), ("Mẹ",)),
    (("cha",), ("Cha",)),
    (("ma",), ("Má",)),
    (("ong",), ("Ông",)),
    (("con",), ("Con",)),
    (("chau",), ("Cháu",)),
    (("be",), ("Bé",)),
    (("toi",), ("Bạn",)),
    (("tui",), ("Bạn",)),
)
_ROLE_NOISE = frozenset({"dua", "be", "nguoi"})  # "2 đứa con", "1 bé"
_PARTS = re.compile(r"[,;:\n+()?!]|\.(?!\d)|\s(?:va|voi|cung|con lai)\s", re.IGNORECASE)
# What already pays a member's card, by the code of bot.core.calc.household.Cover. Checked in this order on the
# folded words of the part (so "hưu trí xã hội" is not read as a pension, "chưa có thẻ" not as a card).
_NO_CARD = re.compile(r"\b(?:chua|khong|ko|k) (?:co )?(?:the|bhyt|bao hiem)\b")
STATUS_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("social", ("huu tri xa hoi", "tro cap hang thang", "bao tro xa hoi", "tro cap xa hoi")),
    ("pension", ("luong huu", "ve huu", "nghi huu", "huu tri", "tro cap bhxh", "mat suc")),
    ("near-poor", ("can ngheo",)),
    ("poor", ("ho ngheo",)),
    ("student", ("di hoc", "hoc sinh", "sinh vien", "dang hoc", "hs", "sv", "hoc lop", "dai hoc", "mau giao")),
    (
        "employee",
        (
            "cong ty",
            "di lam co",
            "bat buoc",
            "cong chuc",
            "vien chuc",
            "doanh nghiep",
            "xi nghiep",
            "bo doi",
            "cong an",
        ),
    ),
    ("card", ("co bhyt", "co the", "co bao hiem", "da co")),
)
_AGE = re.compile(r"\b(duoi )?(\d{1,3}) tuoi\b")  # "dưới 6 tuổi" is read as 5
_BABY = re.compile(r"\b(?:\d{1,2} thang tuoi|so sinh|moi sinh|moi de|moi sanh)\b")


@dataclass(frozen=True)
class Person:
    """A member of a household as the citizen described them."""

    role: str  # shown to the citizen, e.g. "Mẹ chồng"
    age: int | None  # in years, if said
    status: str  # what already pays their card ("student", "pension", …), or ""


def people(text: str, lexicon: Lexicon) -> list[Person]:
    """The household members described in a text, in order; empty when it names no role (a bare count)."""
    found: list[Person] = []
    for part in _PARTS.split(f" {fold(text)} "):
        earlier = len(found)  # the members of earlier parts ("2 đứa con" is two children, not one named twice)
        for person in _people_in(normalise(part, lexicon)):
            _add(found, person, earlier)
    return found


_SAME_ROLE = {"Bé": "Con"}  # "2 đứa con …, bé út 3 tuổi": the little one is one of the children


def _add(found: list[Person], person: Person, earlier: int) -> None:
    """A member named again ("bố mẹ, …. Bố có lương hưu", "còn lại mẹ em") is the one named before: what the
    new mention adds (an age, a status) completes the first such member not yet described; a mention that adds
    nothing is not another member."""
    role = _SAME_ROLE.get(person.role, person.role)
    same = [i for i, known in enumerate(found[:earlier]) if _SAME_ROLE.get(known.role, known.role) == role]
    if not same:
        found.append(person)
        return
    if person.age is None and not person.status:
        return
    bare = next((i for i in same if found[i].age is None and not found[i].status), None)
    if bare is None:
        found.append(person)
        return
    known = found[bare]
    found[bare] = Person(known.role, person.age, person.status)


def _people_in(words_: list[str]) -> list[Person]:
    for i in range(len(words_)):
        for phrase, roles in ROLES:
            if tuple(words_[i : i + len(phrase)]) != phrase:
                continue
            # A one-word role also folds from other words ("mà", "vô", "bỏ", "chống", "còn"): it names a member only
            # at the start of a part, after a count ("2 đứa con"), or before an age ("mẹ 70 tuổi").
            aged = len(words_) > i + 2 and number(words_[i + 1]) is not None and words_[i + 2] == "tuoi"
            if len(phrase) == 1 and not aged and not all(_leading(word) for word in words_[:i]):
                continue
            if phrase == ("con",) and _is_still(words_[i + 1 : i + 3]):
                continue
            count = _count_before(words_, i)
            text = " ".join(words_)
            said = [int(age) - (1 if under else 0) for under, age in _AGE.findall(text)]
            ages: list[int | None] = [max(age, 0) for age in said] or [0 if _BABY.search(text) else None]
            status = _status(text)
            if len(roles) == 2:  # a pair: "2 vợ chồng", "bố mẹ"
                return [Person(role, _nth(ages, n), status) for n, role in enumerate(roles)]
            if not (count or ages[0] is not None or status or len(phrase) == 2 or phrase[0] not in {"con", "be"}):
                continue
            return [Person(roles[0], _nth(ages, n), status) for n in range(max(count or 1, len(ages)))]
    return []


_LEADING = frozenset({"nha", "co", "gom", "them", "va", "voi", "cho", "ca", "con", "lai", "em", "minh"})


def _leading(word: str) -> bool:
    """A word that may come before a one-word role at the start of a part: a count, "đứa", "nhà có", "thêm"."""
    return word in _LEADING or word in {"dua", "be"} or number(word) is not None  # "6 người mà…" is no "má"


_STILL_NEXT = frozenset({"ho", "neu", "thi", "lai", "nua", "bao", "may", "muon", "phai", "duoc", "co", "khong"})


def _is_still(following: list[str]) -> bool:
    """ "còn" (still, and what about) folds to "con" (child): "còn hộ cận nghèo thì sao", "còn 3 người"."""
    if not following:
        return False
    if following[0] in _STILL_NEXT:
        return True
    return number(following[0]) is not None and following[1:2] != ["tuoi"]


def _nth(ages: list[int | None], n: int) -> int | None:
    """The age of the n-th person of a part: one age for all ("2 con 8 tuổi"), or one each ("2 con 3, 7 tuổi")."""
    return ages[0] if len(ages) == 1 else ages[n] if n < len(ages) else None


def _count_before(words_: list[str], index: int) -> int | None:
    j = index - 1
    while j >= 0 and words_[j] in _ROLE_NOISE:
        j -= 1
    count = number(words_[j]) if j >= 0 else None
    return count if count is not None and 1 <= count <= 20 else None


def _status(text: str) -> str:
    folded = f" {text} "
    if _NO_CARD.search(folded):
        folded = _NO_CARD.sub(" ", folded)
    for code, cues in STATUS_CUES:
        if any(f" {cue} " in folded for cue in cues):
            return code
    return ""
