"""Working time: when a new lead must be contacted by, counting only office hours on working days.

"Two working days" is measured in office time: a lead that arrives on Friday at 16:00 with office hours
07:30-17:00 is due on Tuesday at 16:00; one that arrives on Saturday is due when Tuesday's office closes.
Weekends and public holidays do not count. The holidays come from the shell (the `holidays` package's
Vietnamese calendar reads its translation files, so it is built outside the core and passed in).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

SATURDAY = 5


@dataclass(frozen=True)
class OfficeHours:
    opens: time = time(7, 30)
    closes: time = time(17, 0)
    timezone: tzinfo | None = None  # the office's; None keeps the zone of the times passed in

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("office hours must close after they open")

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)


@dataclass(frozen=True)
class CallPolicy:
    """When agents call back: the office's hours and holidays, and whether calls outside them are accepted
    (LEAD_CALLS_OUTSIDE_HOURS: an evening, a Sunday). bot.core.leads.call_times offers and reads times by it."""

    hours: OfficeHours = OfficeHours()
    holidays: Container[date] = frozenset()
    outside_hours: bool = False


def is_working_day(day: date, holidays: Container[date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def next_working_day(day: date, holidays: Container[date]) -> date:
    """The first working day after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def _local(moment: datetime, hours: OfficeHours) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry their time zone")
    return moment.astimezone(hours.timezone) if hours.timezone is not None else moment


def office_open_from(moment: datetime, hours: OfficeHours, holidays: Container[date]) -> datetime:
    """`moment` if the office is open then, otherwise the next opening time."""
    local = _local(moment, hours)
    day = local.date()
    if is_working_day(day, holidays):
        if local.time() < hours.opens:
            return local.replace(hour=hours.opens.hour, minute=hours.opens.minute, second=0, microsecond=0)
        if local.time() < hours.closes:
            return local
    opening = next_working_day(day, holidays)
    return datetime.combine(opening, hours.opens, tzinfo=local.tzinfo)


def add_working_time(start: datetime, amount: timedelta, hours: OfficeHours, holidays: Container[date]) -> datetime:
    """The moment `amount` of office time after `start`."""
    moment = office_open_from(start, hours, holidays)
    left = amount
    while True:
        closing = datetime.combine(moment.date(), hours.closes, tzinfo=moment.tzinfo)
        if moment + left <= closing:
            return moment + left
        left -= closing - moment
        moment = datetime.combine(next_working_day(moment.date(), holidays), hours.opens, tzinfo=moment.tzinfo)


def contact_due(created: datetime, working_days: int, hours: OfficeHours, holidays: Container[date]) -> datetime:
    """When a lead created at `created` must have been contacted: `working_days` days of office time later."""
    if working_days < 0:
        raise ValueError("working_days cannot be negative")
    return add_working_time(created, hours.day_length * working_days, hours, holidays)
