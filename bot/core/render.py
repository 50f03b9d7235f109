"""Figures as citizens read them, answer templates filled from the policy, and the marks and numbered
caveats of uncertain figures.

Money is held in integer đồng. The one rounding rule: a computed amount is rounded to the nearest
đồng, halves up (ROUND_HALF_UP), when it is shown or returned as money.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from string import Formatter

from bot.core.policy import Figure, Policy, PolicyError

PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)(?:@(\d{4}-\d{2}-\d{2}))?\s*\}\}")
UNCERTAIN_MARK = "(*)"


def to_dong(value: Decimal | int) -> int:
    """Round an amount to whole đồng, halves up: the only rounding rule for money. Any size is rounded
    (`quantize` would refuse an amount of more digits than the decimal context's precision)."""
    return int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP))


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
    """A figure in its unit, without the mark of an uncertain value (see `Mark`)."""
    value = figure.value
    return {
        "dong": lambda: money(value),
        "percent": lambda: percent(value),
        "months": lambda: f"{decimal_text(value)} tháng",
        "years": lambda: f"{decimal_text(value)} năm",
        "times": lambda: f"{decimal_text(value)} lần",
        "age_months": lambda: age(int(value)),
        "number": lambda: decimal_text(value),
    }[figure.unit]()


# -- uncertain figures: marks beside them, caveats under the reply ----------------------------
# Every uncertain figure is marked beside it and its caveat is written under the reply. With one caveat
# in the whole reply the mark is "(*)"; with several, each caveat has a number in the order it first
# appears, the figure carries the numbers of its own caveats ("(2)", or "(1, 2)" for a figure resting on
# two), and the caveats under the reply carry the same numbers. Since a mark depends on every caveat of
# the reply, text is built as segments and the marks are written once the whole reply is known.


@dataclass(frozen=True)
class Mark:
    """The place of an uncertain figure's mark, right after the figure."""

    caveats: tuple[str, ...]


Segment = str | Mark


@dataclass(frozen=True)
class Rendered:
    """Text with the marks of its uncertain figures still to be written, the caveats of those figures (in
    the order they first appear) and the legal bases of every figure."""

    segments: tuple[Segment, ...] = ()
    caveats: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The text as a reply of its own (its caveats numbered among themselves)."""
        return Footnotes.of(self).write(self)


def marked(text: str, caveats: Iterable[str] = ()) -> Rendered:
    """A figure a calculator writes itself ("1.980.000 đồng"), with the caveats it rests on."""
    distinct = tuple(dict.fromkeys(caveats))
    return Rendered((text, Mark(distinct)) if distinct else (text,), distinct)


def compose(*parts: str | Rendered) -> Rendered:
    """Plain text and rendered pieces, one after the other, as one Rendered."""
    segments: list[Segment] = []
    caveats: dict[str, None] = {}
    bases: dict[str, None] = {}
    for part in parts:
        if isinstance(part, str):
            segments.append(part)
            continue
        segments.extend(part.segments)
        caveats.update(dict.fromkeys(part.caveats))
        bases.update(dict.fromkeys(part.bases))
    return Rendered(tuple(segments), tuple(caveats), tuple(bases))


def join(separator: str, parts: Iterable[str | Rendered]) -> Rendered:
    """Pieces with a separator between them ("; ", or a line break)."""
    joined: list[str | Rendered] = []
    for part in parts:
        joined += [separator, part] if joined else [part]
    return compose(*joined)


def lines(parts: Iterable[str | Rendered]) -> Rendered:
    """Pieces on lines of their own."""
    return join("\n", parts)


def fill(template: str, **values: str | Rendered) -> Rendered:
    """A message of bot.yaml ("… {minimum} …") filled with values that may be marked figures."""
    parts: list[str | Rendered] = []
    for literal, field, _, _ in Formatter().parse(template):
        parts.append(literal)
        if field is not None:
            parts.append(values[field])
    return compose(*parts)


def sentence(text: str) -> str:
    """A caveat as a sentence: a capital first letter (the rest as written) and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


@dataclass(frozen=True)
class Footnotes:
    """The caveats of one reply, numbered in the order they first appear."""

    caveats: tuple[str, ...] = ()

    @classmethod
    def of(cls, *parts: Rendered, also: Iterable[str] = ()) -> Footnotes:
        """The caveats of the parts of one reply, in order, then any others it rests on (`also`)."""
        return cls(tuple(dict.fromkeys([*(c for part in parts for c in part.caveats), *also])))

    def __bool__(self) -> bool:
        return bool(self.caveats)

    def mark(self, caveats: Iterable[str]) -> str:
        """ "(*)" when the reply has one caveat; else the numbers of these caveats: "(2)", "(1, 3)"."""
        if len(self.caveats) == 1:
            return UNCERTAIN_MARK
        numbers = sorted({self.caveats.index(caveat) + 1 for caveat in caveats})
        return f"({', '.join(str(number) for number in numbers)})"

    def write(self, rendered: Rendered) -> str:
        """The text with the marks of this reply."""
        return "".join(
            segment if isinstance(segment, str) else f" {self.mark(segment.caveats)}" if segment.caveats else ""
            for segment in rendered.segments
        )

    def lines(self) -> tuple[str, ...]:
        """The caveats as they are written under the reply, each after its mark."""
        if len(self.caveats) == 1:
            return (f"{UNCERTAIN_MARK} {sentence(self.caveats[0])}",)
        return tuple(f"({number}) {sentence(caveat)}" for number, caveat in enumerate(self.caveats, start=1))


def render_source(source: str, policy: Policy, today: date) -> str:
    """A legal source line; {{name}} in it becomes the legal basis of that figure on the date, so a
    source such as "{{luong_co_so}}" names the decree in force instead of going stale."""

    def basis(match: re.Match[str]) -> str:
        when = match.group(2)
        return "; ".join(policy.figure(match.group(1), date.fromisoformat(when) if when else today).bases)

    return PLACEHOLDER.sub(basis, source)


def render_template(template: str, policy: Policy, today: date) -> Rendered:
    """Fill {{name}} placeholders with the figures in force today (or on the date given after @); an
    uncertain figure is followed by its Mark."""
    parts: list[str | Rendered] = []
    bases: list[str] = []
    last = 0
    for match in PLACEHOLDER.finditer(template):
        name, when = match.group(1), match.group(2)
        try:
            on = date.fromisoformat(when) if when else today
        except ValueError as exc:
            raise PolicyError(f"ngày không hợp lệ trong {{{{{name}@{when}}}}}") from exc
        figure = policy.figure(name, on)
        bases.extend(figure.bases)
        parts += [template[last : match.start()], marked(format_figure(figure), figure.caveats)]
        last = match.end()
    parts.append(template[last:])
    rendered = compose(*parts)
    if any("{{" in s or "}}" in s for s in rendered.segments if isinstance(s, str)):
        raise PolicyError("có chỗ {{...}} viết sai (chỉ dùng chữ thường, số và dấu _)")
    return Rendered(rendered.segments, rendered.caveats, tuple(dict.fromkeys(bases)))
