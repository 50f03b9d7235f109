"""Figures as citizens read them, and answer templates filled from the policy.

Money is held in integer đồng. The one rounding rule: a computed amount is rounded to the nearest
đồng, halves up (ROUND_HALF_UP), when it is shown or returned as money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.core.policy import Figure, Policy, PolicyError

PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)(?:@(\d{4}-\d{2}-\d{2}))?\s*\}\}")
UNCERTAIN_MARK = "(*)"


def to_dong(value: Decimal | int) -> int:
    """Round an amount to whole đồng, halves up: the only rounding rule for money."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def group_thousands(number: int) -> str:
    """1263600 -> "1.263.600" (Vietnamese thousands separator)."""
    return f"{number:,}".replace(",", ".")


def money(amount: Decimal | int) -> str:
    """1263600 -> "1.263.600 đồng"."""
    return f"{group_thousands(to_dong(amount))} đồng"


def decimal_text(value: Decimal) -> str:
    """4.5 -> "4,5"; 22 -> "22"; 0.03 -> "0,03" (Vietnamese decimal comma)."""
    text = format(value.normalize(), "f")
    if "." in text:
        whole, frac = text.split(".")
        return f"{group_thousands(int(whole))},{frac.rstrip('0')}".rstrip(",")
    return group_thousands(int(text))


def percent(value: Decimal) -> str:
    return f"{decimal_text(value)}%"


def age(months: int) -> str:
    """738 -> "61 tuổi 6 tháng"; 744 -> "62 tuổi"."""
    years, rest = divmod(int(months), 12)
    return f"{years} tuổi {rest} tháng" if rest else f"{years} tuổi"


def day(value: date) -> str:
    """Dates as dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y")


def format_figure(figure: Figure) -> str:
    value = figure.value
    formatted = {
        "dong": lambda: money(value),
        "percent": lambda: percent(value),
        "months": lambda: f"{decimal_text(value)} tháng",
        "years": lambda: f"{decimal_text(value)} năm",
        "times": lambda: f"{decimal_text(value)} lần",
        "age_months": lambda: age(int(value)),
        "number": lambda: decimal_text(value),
    }[figure.unit]()
    return f"{formatted} {UNCERTAIN_MARK}" if figure.uncertain else formatted


@dataclass(frozen=True)
class Rendered:
    text: str
    caveats: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()


def render_source(source: str, policy: Policy, today: date) -> str:
    """A legal source line; {{name}} in it becomes the legal basis of that figure on the date, so a
    source such as "{{luong_co_so}}" names the decree in force instead of going stale."""

    def basis(match: re.Match[str]) -> str:
        when = match.group(2)
        return "; ".join(policy.figure(match.group(1), date.fromisoformat(when) if when else today).bases)

    return PLACEHOLDER.sub(basis, source)


def placeholders(template: str) -> list[tuple[str, date | None]]:
    """The (name, date or None) of every {{name}} or {{name@YYYY-MM-DD}} in a template."""
    found = []
    for match in PLACEHOLDER.finditer(template):
        name, when = match.group(1), match.group(2)
        found.append((name, date.fromisoformat(when) if when else None))
    return found


def render_template(template: str, policy: Policy, today: date) -> Rendered:
    """Fill {{name}} placeholders with the figures in force today (or on the date given after @)."""
    caveats: list[str] = []
    bases: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name, when = match.group(1), match.group(2)
        try:
            on = date.fromisoformat(when) if when else today
        except ValueError as exc:
            raise PolicyError(f"ngày không hợp lệ trong {{{{{name}@{when}}}}}") from exc
        figure = policy.figure(name, on)
        caveats.extend(figure.caveats)
        bases.extend(figure.bases)
        return format_figure(figure)

    text = PLACEHOLDER.sub(fill, template)
    if "{{" in text or "}}" in text:
        raise PolicyError("có chỗ {{...}} viết sai (chỉ dùng chữ thường, số và dấu _)")
    return Rendered(text, tuple(dict.fromkeys(caveats)), tuple(dict.fromkeys(bases)))
