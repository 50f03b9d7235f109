"""What every calculator shares: the error it raises, a policy reader that remembers what it read,
and month arithmetic."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.core.policy import Figure, Policy, PolicyError
from bot.core.render import day


class CalcError(ValueError):
    """Input a calculator cannot compute; the message is Vietnamese, fit to show a citizen."""


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Scheme(StrEnum):
    COMPULSORY = "compulsory"  # BHXH bắt buộc
    VOLUNTARY = "voluntary"  # BHXH tự nguyện


class Figures:
    """Reads policy figures and remembers the legal basis and caveat of every figure read, in order."""

    def __init__(self, policy: Policy, parent: Figures | None = None) -> None:
        self.policy = policy
        self._parent = parent
        self._bases: dict[str, None] = {}
        self._caveats: dict[str, None] = {}

    def part(self) -> Figures:
        """A reader for one part of a result (its lump sum, its pension): it remembers what that part
        rests on, and this reader remembers it too."""
        return Figures(self.policy, parent=self)

    def value(self, name: str, on: date) -> Decimal:
        """The figure in force on a date; a date it has no value for is a CalcError naming the figure."""
        return self.figure(name, on).value

    def figure(self, name: str, on: date) -> Figure:
        """As `value`, with the figure's unit, bases and caveats (to mark it where it is shown)."""
        try:
            figure = self.policy.figure(name, on)
        except PolicyError as exc:
            if name not in self.policy.names():
                raise
            raise CalcError(f"Chưa có số liệu “{self.policy.title(name)}” áp dụng ngày {day(on)}.") from exc
        return self.remember(figure)

    def remember(self, figure: Figure) -> Figure:
        """Count a figure read some other way (Policy.confirmed_figure) among those the result rests on."""
        self._bases.update(dict.fromkeys(figure.bases))
        self._caveats.update(dict.fromkeys(figure.caveats))
        if self._parent is not None:
            self._parent.remember(figure)
        return figure

    def first_day(self, name: str) -> date:
        """The day a parameter's first value starts (before it the parameter has no value)."""
        return self.policy.params[name].values[0].start

    def cite(self, basis: str) -> None:
        """A legal basis of a rule coded in the calculator rather than held as a figure."""
        self._bases[basis] = None
        if self._parent is not None:
            self._parent.cite(basis)

    @property
    def bases(self) -> tuple[str, ...]:
        return tuple(self._bases)

    @property
    def caveats(self) -> tuple[str, ...]:
        return tuple(self._caveats)


def joined(*caveats: Iterable[str]) -> tuple[str, ...]:
    """The caveats of several figures a result rests on, each once, in order."""
    return tuple(dict.fromkeys(caveat for group in caveats for caveat in group))


def percent_of(amount: Decimal | int, rate: Decimal) -> Decimal:
    """rate % of an amount, exact (rounding happens once, when a result is returned as money)."""
    return Decimal(amount) * rate / 100


# -- months ----------------------------------------------------------------------------------
# A month is held as an integer index, year * 12 + (month - 1), so that months add and subtract.


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> date:
    year, month = index // 12, index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31/01 + 1 -> 28/02)."""
    index = month_index(day) + months
    return month_start(index).replace(day=min(day.day, month_end(index).day))


def years_and_months(months: int) -> tuple[int, int]:
    return divmod(months, 12)


def duration_text(months: int) -> str:
    """62 -> "5 năm 2 tháng"; 24 -> "2 năm"; 8 -> "8 tháng"."""
    years, rest = years_and_months(months)
    parts = ([f"{years} năm"] if years else []) + ([f"{rest} tháng"] if rest or not years else [])
    return " ".join(parts)


HALF_YEAR_MONTHS = 6  # Law 41/2024 Art 5(6): up to 6 odd months count as half a year


def counted_years(months: int) -> Decimal:
    """Contribution time as counted for an amount (Law 41/2024 Art 5(6)): whole years, and odd months
    of 1 to 6 count as half a year, 7 to 11 as a whole year. 16 years 3 months -> 16.5."""
    years, odd = divmod(months, 12)
    if odd == 0:
        return Decimal(years)
    return Decimal(years) + (Decimal("0.5") if odd <= HALF_YEAR_MONTHS else Decimal(1))
