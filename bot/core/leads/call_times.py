"""When the agent should call: a date and a part of the day, offered as dated buttons or read from text.

    slots(now, setup)                 -> the next two office slots: "Sáng mai 08/12", "Chiều mai 08/12"
    read_call_time("chiều thứ 2", …)  -> CallTime("Chiều thứ Hai 07/12/2026", date(2026, 12, 7), "pm")

The citizen's confirmation and the agent's card both show `CallTime.text`, so the promise is the one asked
for. A time outside office hours (an evening, "sau 17h", a Sunday or a holiday) is taken only when the office
allows calls then (LEAD_CALLS_OUTSIDE_HOURS); otherwise the citizen is offered the next office slot. Text that
names no day and no part of a day is kept as typed ("khi nào rảnh thì gọi").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.core.knowledge import KnowledgeBase
from bot.core.leads.office_hours import CallPolicy, OfficeHours, is_working_day
from bot.core.text import fold
from bot.core.types import Answer

AM, PM, EVENING, ANY = "am", "pm", "eve", "any"
NOON, AFTERNOON, EVENING_FROM, EVENING_UNTIL = time(12, 0), time(13, 0), time(19, 0), time(21, 0)
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
SLOTS_SHOWN = 2
_LOOK_AHEAD_DAYS = 31  # a month of Tết holidays is the longest the office is ever closed


@dataclass(frozen=True)
class CallTime:
    """A time to call: `text` as the citizen and the agent read it; `on` and `part` when it names them
    (`part`: am, pm, eve, any, or "h17" for "from 17:00"; "" when the text was kept as typed)."""

    text: str
    on: date | None = None
    part: str = ""

    def answer(self) -> Answer:
        return (self.text, self.on.isoformat() if self.on else "", self.part)

    @classmethod
    def from_answer(cls, answer: Answer | None) -> CallTime:
        """The step's answer; a plain text from a session saved before times were read is kept as typed."""
        if isinstance(answer, tuple) and len(answer) == 3:
            text, on, part = answer
            return cls(text, date.fromisoformat(on) if on else None, part)
        return cls(str(answer or ""))


def _window(part: str, hours: OfficeHours) -> tuple[time, time]:
    """The clock times a part of the day covers."""
    if part == AM:
        return hours.opens, min(NOON, hours.closes)
    if part == PM:
        return max(AFTERNOON, hours.opens), hours.closes
    if part == EVENING:
        return EVENING_FROM, EVENING_UNTIL
    if part.startswith("h"):
        start = time(int(part[1:]))
        return start, hours.closes if start < hours.closes else time(23, 59)
    return hours.opens, hours.closes


def in_office_hours(on: date, part: str, policy: CallPolicy) -> bool:
    if not is_working_day(on, policy.holidays):
        return False
    start, end = _window(part, policy.hours)
    return policy.hours.opens <= start < policy.hours.closes and start < end


def local(now: datetime, policy: CallPolicy) -> datetime:
    zone = policy.hours.timezone
    return now.astimezone(zone) if zone is not None and now.tzinfo is not None else now


def upcoming(on: date, part: str, now: datetime, policy: CallPolicy) -> bool:
    """The part of that day has not ended yet (a slot offered as a button must not have begun)."""
    moment = local(now, policy)
    _, end = _window(part, policy.hours)
    return datetime.combine(on, end) > moment.replace(tzinfo=None)


def slots(now: datetime, policy: CallPolicy) -> tuple[tuple[date, str], ...]:
    """The next office slots (mornings and afternoons of working days) that have not begun."""
    moment = local(now, policy).replace(tzinfo=None)
    found: list[tuple[date, str]] = []
    for offset in range(_LOOK_AHEAD_DAYS):
        on = moment.date() + timedelta(days=offset)
        for part in (AM, PM):
            start, _ = _window(part, policy.hours)
            if in_office_hours(on, part, policy) and datetime.combine(on, start) > moment:
                found.append((on, part))
        if len(found) >= SLOTS_SHOWN:
            break
    return tuple(found[:SLOTS_SHOWN])


def describe(kb: KnowledgeBase, on: date | None, part: str) -> str:
    """ "Sáng thứ Hai 07/12/2026", "Sau 17h thứ Hai 07/12/2026", "Bất kỳ lúc nào"."""
    if on is None:
        return kb.message("lead_time_any_text")
    day = f"{WEEKDAYS[on.weekday()]} {on:%d/%m/%Y}"
    if part.startswith("h"):
        return kb.message("lead_time_from").format(hour=int(part[1:]), day=day)
    key = {AM: "lead_time_am", PM: "lead_time_pm", EVENING: "lead_time_eve"}.get(part, "lead_time_day")
    text = kb.message(key).format(day=day)
    return text[:1].upper() + text[1:]


def button_label(kb: KnowledgeBase, on: date, part: str, today: date) -> str:
    """ "Sáng mai 08/12", "Chiều nay 07/12", "Sáng thứ Hai 14/12"."""
    when = {0: "nay", 1: "mai"}.get((on - today).days, WEEKDAYS[on.weekday()])
    key = "lead_time_button_am" if part == AM else "lead_time_button_pm"
    return kb.message(key).format(when=when, date=f"{on:%d/%m}")


def slot_code(on: date, part: str) -> str:
    return f"{on:%Y%m%d}{part}"


def from_code(code: str) -> tuple[date, str] | None:
    """A slot button's code back to its date and part (None: not one)."""
    found = re.fullmatch(r"(\d{8})(am|pm)", code)
    if found is None:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y%m%d").date(), found.group(2)
    except ValueError:
        return None


# -- reading a typed time --------------------------------------------------------------------------------

_WEEKDAY_WORDS = {
    "thu 2": 0, "thu hai": 0, "t2": 0, "thu 3": 1, "thu ba": 1, "t3": 1, "thu 4": 2, "thu tu": 2, "t4": 2,
    "thu 5": 3, "thu nam": 3, "t5": 3, "thu 6": 4, "thu sau": 4, "t6": 4, "thu 7": 5, "thu bay": 5, "t7": 5,
    "chu nhat": 6, "cn": 6,
}  # fmt: skip
_RELATIVE_DAYS = {"hom nay": 0, "nay": 0, "ngay mai": 1, "mai": 1, "ngay kia": 2, "ngay mot": 2}
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(_WEEKDAY_WORDS, key=len, reverse=True)) + r")\b")
_RELATIVE = re.compile(r"\b(" + "|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True)) + r")\b")
_DATE = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?\b")
_HOUR = re.compile(r"\b(\d{1,2})\s*(?:h|g|gio|:\d{2})(?:\s*\d{2})?\b")
_ANY = re.compile(r"\b(luc nao|bat ky|bat cu|gio nao|khi nao)\b.*\b(cung|duoc)\b|\bbat ky luc nao\b")
_PARTS = ((r"\b(?:sang)\b", AM), (r"\b(?:trua|chieu)\b", PM), (r"\b(?:toi|dem)\b", EVENING))


def _typed_date(text: str, today: date) -> date | None:
    found = _DATE.search(text)
    if found is not None:
        day_number, month, year = int(found.group(1)), int(found.group(2)), found.group(3)
        try:
            on = date(int(year) if year else today.year, month, day_number)
        except ValueError:
            return None
        return on if year or on >= today else on.replace(year=today.year + 1)
    found = _WEEKDAY.search(text)
    if found is not None:
        return today + timedelta(days=(_WEEKDAY_WORDS[found.group(1)] - today.weekday()) % 7)
    found = _RELATIVE.search(text)
    if found is not None:
        return today + timedelta(days=_RELATIVE_DAYS[found.group(1)])
    return None


def _typed_part(text: str) -> str:
    without_dates = _DATE.sub(" ", text)
    hour = _HOUR.search(without_dates)
    afternoon = re.search(r"\b(?:chieu|toi|pm)\b", without_dates) is not None
    if hour is not None and 0 <= int(hour.group(1)) <= 23:
        value = int(hour.group(1))
        return f"h{value + 12 if afternoon and value < 12 else value}"
    for pattern, part in _PARTS:
        if re.search(pattern, without_dates):
            return part
    return ANY if _ANY.search(without_dates) else ""


@dataclass(frozen=True)
class Reading:
    """What a typed time says: a day and a part (None and "" where it names none)."""

    on: date | None
    part: str
    weekday_named: bool


def read(text: str, today: date) -> Reading:
    folded = " ".join(re.sub(r"[^\w/.:-]+", " ", fold(text)).split())
    on = _typed_date(folded, today)
    return Reading(on, _typed_part(folded), _WEEKDAY.search(folded) is not None and _DATE.search(folded) is None)


def first_day(reading: Reading, now: datetime, policy: CallPolicy) -> date | None:
    """The day a reading means: the one it names (a weekday already over this week: the next one), or for a
    part of the day alone the first day it is still ahead (and, unless allowed otherwise, the office open)."""
    today = local(now, policy).date()
    part = reading.part or ANY
    if reading.on is not None:
        if reading.weekday_named and reading.on == today and not upcoming(reading.on, part, now, policy):
            return reading.on + timedelta(days=7)
        return reading.on
    days = (today + timedelta(days=offset) for offset in range(_LOOK_AHEAD_DAYS))
    ahead = [on for on in days if upcoming(on, part, now, policy)]
    open_days = [on for on in ahead if policy.outside_hours or in_office_hours(on, part, policy)]
    found = open_days or ahead
    return found[0] if found else None
