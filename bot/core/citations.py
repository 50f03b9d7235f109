"""The legal basis of an answer: one short "Căn cứ" line under it, the full list one tap away.

Under an answer the bot writes the one or two most relevant citations (the entry's first sources, each naming
its law or decree); the "Xem căn cứ pháp lý" button shows every citation the answer rests on: the entry's
`sources` and the legal basis of each figure it states (policy.yaml), each once, with the date from which it
applies (the entry's `effective` date, or the date the figure's value took effect).

A source or basis may hold several citations separated by ";" ("Luật BHXH 41/2024/QH15, Điều 31 khoản 2;
Nghị định 07/2021/NĐ-CP, Điều 3 khoản 1"): each is listed on its own and counted once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.core.actions import MENU, ShowBasis
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.policy import Policy, PolicyError, formula_names
from bot.core.render import PLACEHOLDER, render_source
from bot.core.types import Button

# A citation names its instrument with its number: "Luật BHXH 41/2024/QH15", "Nghị định 159/2025/NĐ-CP",
# "Công văn 3758/BHXH-TT"; or, while its number is not confirmed, with who adopted it and when ("Nghị quyết
# của Quốc hội … (thông qua 11/12/2025 …)"). Tests check every citation of the knowledge base against it.
INSTRUMENT = re.compile(
    r"\b(?:Bộ luật|Luật|Nghị định|Thông tư|Quyết định|Nghị quyết|Công văn)\b[^;]*?\b\d+/(?:\d{4}/)?[A-ZĐ][\wĐđ-]*"
    r"|\b(?:Nghị quyết|Nghị định|Quyết định|Thông tư) của (?:Quốc hội|Chính phủ|Thủ tướng|Bộ)"
    r"[^;]*?\d{1,2}/\d{1,2}/\d{4}"
)
MAX_SHORT_LINE = 110  # the "Căn cứ" line under an answer: a second citation only if the line stays this short


@dataclass(frozen=True)
class Citation:
    text: str  # "Luật BHXH 41/2024/QH15, Điều 31 khoản 2"
    since: date | None = None  # from when the rule cited applies, when known


def split_citations(text: str) -> tuple[str, ...]:
    """The citations of one source line, split at ";" outside parentheses, without a closing full stop; a part
    that names no law ("…; Điều 11 khoản 2") is of the law named before it."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == ";" and depth <= 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    cited: list[str] = []
    for part in parts:
        cleaned = " ".join(part.split()).rstrip(".")
        if cleaned and cited and not INSTRUMENT.search(cleaned):  # "…; Điều 11 khoản 2": of the law before
            cleaned = f"{instrument(cited[-1])}, {cleaned}"
        if cleaned:
            cited.append(cleaned)
    return tuple(cited)


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def distinct(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    """Each citation once (the first time it appears, with its date), whatever its spacing or case."""
    seen: dict[str, Citation] = {}
    for citation in citations:
        seen.setdefault(_key(citation.text), citation)
    return tuple(seen.values())


def instrument(citation: str) -> str:
    """The law or decree a citation names ("Luật BHXH 41/2024/QH15"), or the citation itself."""
    found = INSTRUMENT.search(citation)
    return found.group(0) if found else citation


def _dated_bases(policy: Policy, name: str, on: date, depth: int = 0) -> list[Citation]:
    """The legal bases of one figure on a date, each dated from the value it rests on (a derived figure's own
    basis from its latest input)."""
    if depth > 10:
        raise PolicyError(f"{name}: công thức lồng nhau quá sâu")
    if name in policy.params:
        values = [dated for dated in policy.params[name].values if dated.start <= on]
        if not values:
            raise PolicyError(f"{name} chưa có giá trị vào ngày {on:%d/%m/%Y}")
        return [Citation(text, values[-1].start) for text in split_citations(values[-1].basis)]
    derived = policy.derived.get(name)
    if derived is None:
        raise PolicyError(f"không có tham số {name!r} trong policy.yaml")
    inputs = [c for used in sorted(formula_names(derived.formula)) for c in _dated_bases(policy, used, on, depth + 1)]
    latest = max((c.since for c in inputs if c.since), default=None)
    return [*(Citation(text, latest) for text in split_citations(derived.basis)), *inputs]


def figure_citations(templates: Iterable[str], policy: Policy, today: date) -> tuple[Citation, ...]:
    """The legal bases of every {{figure}} in these texts, on the date each is stated for."""
    found: list[Citation] = []
    for template in templates:
        for match in PLACEHOLDER.finditer(template):
            when = match.group(2)
            found += _dated_bases(policy, match.group(1), date.fromisoformat(when) if when else today)
    return tuple(found)


def source_citations(sources: Iterable[str], policy: Policy, today: date, since: date | None) -> tuple[Citation, ...]:
    """An entry's `sources` as citations dated `since`; a source that is only a {{figure}} names that figure's
    bases, dated as the figure's value."""
    found: list[Citation] = []
    for source in sources:
        if PLACEHOLDER.fullmatch(source.strip()):
            found += figure_citations((source,), policy, today)
        else:
            found += [Citation(text, since) for text in split_citations(render_source(source, policy, today))]
    return tuple(found)


def short_line(citations: Iterable[Citation]) -> str:
    """The one or two most relevant citations, for the line under an answer: the first, and the next one of
    another law or decree when the line stays short."""
    listed = distinct(citations)
    if not listed:
        return ""
    first = listed[0].text
    for other in listed[1:]:
        if instrument(other.text) != instrument(first):
            both = f"{first}; {other.text}"
            return both if len(both) <= MAX_SHORT_LINE else first
    return first


def calculator_entry(flow: str, kb: KnowledgeBase) -> Entry | None:
    """The entry of kind "flow" that starts a calculator (calc.tn, …): its legal basis is the calculator's."""
    return next((e for e in kb.entries.values() if e.kind == "flow" and e.flow == flow), None)


def with_basis_button(buttons: tuple[Button, ...], flow: str, kb: KnowledgeBase) -> tuple[Button, ...]:
    """A calculator result's buttons with "Xem căn cứ pháp lý" (its calculator entry's full list) added before
    "Menu chính"; unchanged when no entry starts this calculator."""
    entry = calculator_entry(flow, kb)
    if entry is None:
        return buttons
    basis = Button(kb.message("basis_button"), ShowBasis(entry.id).data())
    menu = MENU.data()
    at = next((i for i, button in enumerate(buttons) if button.action == menu), len(buttons))
    return (*buttons[:at], basis, *buttons[at:])
