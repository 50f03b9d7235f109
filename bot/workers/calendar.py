"""The office's working calendar: Vietnamese public holidays from the `holidays` package.

Kept out of bot.core because the package reads its translation files when a calendar is built.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, time
from zoneinfo import ZoneInfo

import holidays

from bot.core.office_hours import OfficeHours

COUNTRY = "VN"


def vietnam_holidays() -> Container[date]:
    """Every Vietnamese public holiday (Tết, 30/4, 1/5, 2/9, Giỗ Tổ, …, with the days moved in lieu) of any
    year, computed when first asked."""
    return holidays.country_holidays(COUNTRY)


def office_hours(opens: time, closes: time, timezone: str) -> OfficeHours:
    return OfficeHours(opens, closes, ZoneInfo(timezone))
