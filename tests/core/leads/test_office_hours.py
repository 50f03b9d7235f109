"""When a lead must be contacted by: working days of office time, skipping weekends and Vietnamese holidays."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.core.leads.office_hours import OfficeHours, contact_due, is_working_day, office_open_from
from bot.shell.calendar import office_hours, vietnam_holidays
from tests.lead_factories import OFFICE_TZ

HOURS = office_hours(time(7, 30), time(17, 0), "Asia/Ho_Chi_Minh")
VN = vietnam_holidays()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OFFICE_TZ)


def test_a_lead_on_a_tuesday_morning_is_due_on_thursday_at_the_same_time() -> None:
    assert contact_due(at(2026, 11, 3, 9), 2, HOURS, VN) == at(2026, 11, 5, 9)


def test_a_friday_afternoon_lead_skips_the_weekend() -> None:
    assert contact_due(at(2026, 11, 13, 16), 2, HOURS, VN) == at(2026, 11, 17, 16)


def test_a_saturday_lead_starts_counting_on_monday_morning() -> None:
    assert contact_due(at(2026, 11, 14, 10), 2, HOURS, VN) == at(2026, 11, 17, 17)


def test_an_evening_lead_starts_counting_the_next_morning() -> None:
    assert contact_due(at(2026, 11, 3, 20), 1, HOURS, VN) == at(2026, 11, 4, 17)
    assert office_open_from(at(2026, 11, 3, 6), HOURS, VN) == at(2026, 11, 3, 7, 30)


def test_reunification_and_labour_day_are_skipped() -> None:
    # Wednesday 29/04/2026: 30/4 and 1/5 are holidays, then the weekend.
    assert contact_due(at(2026, 4, 29, 10), 2, HOURS, VN) == at(2026, 5, 5, 10)


def test_the_tet_holiday_week_is_skipped() -> None:
    # Friday 13/02/2026; Tết runs 16-20/02/2026.
    assert contact_due(at(2026, 2, 13, 9), 2, HOURS, VN) == at(2026, 2, 24, 9)


def test_national_day_is_skipped() -> None:
    assert not is_working_day(date(2026, 9, 2), VN)
    # Friday 28/08/2026: 31/8 (a day moved in lieu), 1/9 and 2/9 are off.
    assert contact_due(at(2026, 8, 28, 10), 1, HOURS, VN) == at(2026, 9, 3, 10)


def test_the_office_hours_and_the_holidays_are_arguments() -> None:
    long_day = OfficeHours(time(8, 0), time(20, 0), OFFICE_TZ)
    assert contact_due(at(2026, 11, 3, 19), 1, long_day, set()) == at(2026, 11, 4, 19)
    assert contact_due(at(2026, 11, 3, 9), 1, HOURS, {date(2026, 11, 4)}) == at(2026, 11, 5, 9)


def test_times_without_a_zone_and_backwards_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        contact_due(datetime(2026, 11, 3, 9), 1, HOURS, VN)
    with pytest.raises(ValueError):
        OfficeHours(time(17, 0), time(7, 30))
