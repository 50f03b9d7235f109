"""The office's working calendar: Vietnamese public holidays from the `holidays` package.

Kept out of bot.core because the package reads its translation files when a calendar is built.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import holidays

from bot.core.leads.office_hours import OfficeHours, contact_due

COUNTRY = "VN"


def vietnam_holidays() -> Container[date]:
    """Every Vietnamese public holiday (Tết, 30/4, 1/5, 2/9, Giỗ Tổ, …, with the days moved in lieu) of any
    year, computed when first asked."""
    return holidays.country_holidays(COUNTRY)


def office_hours(opens: time, closes: time, timezone: str) -> OfficeHours:
    return OfficeHours(opens, closes, ZoneInfo(timezone))


@dataclass(frozen=True)
class ContactDeadline:
    """When a lead must have been contacted by: `working_days` days of office time after it was created,
    counting only office hours on working days (weekends and Vietnamese public holidays do not count).

        due_at = deadline(created_at)     # what bot.storage.leads.create stores as the lead's due_at
    """

    working_days: int
    hours: OfficeHours
    holidays: Container[date]

    def __call__(self, created: datetime) -> datetime:
        return contact_due(created, self.working_days, self.hours, self.holidays)


def contact_deadline(working_days: int, opens: time, closes: time, timezone: str) -> ContactDeadline:
    """The deadline rule of the settings (LEAD_CONTACT_WORKING_DAYS, OFFICE_OPENS, OFFICE_CLOSES, TIMEZONE)."""
    return ContactDeadline(working_days, office_hours(opens, closes, timezone), vietnam_holidays())
