"""Scoring a matcher on labelled questions (the format of ../shared/eval/dev.jsonl).

Each line: {"q": question, "expect": [topic ids] or ["none"], "style": "dau" | "khongdau" | ...}.
In-scope lines count top-1 and top-3 (any expected id among the best ranked answerable entries),
answered-right and answered-wrong (the bot answered with an expected or another id);
"none" lines count how often the bot did not answer (fell back, or said the question is not covered yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.matcher import Decision

OUT_OF_SCOPE = "none"
NOT_ANSWERED = ("fallback", "uncovered")


@dataclass(frozen=True)
class Example:
    question: str
    expect: tuple[str, ...]
    style: str = ""

    @property
    def in_scope(self) -> bool:
        return OUT_OF_SCOPE not in self.expect

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Example:
        expect = raw.get("expect") or (OUT_OF_SCOPE,)
        if isinstance(expect, str):
            expect = (expect,)
        return cls(str(raw["q"]), tuple(str(e) for e in expect), str(raw.get("style", "")))


@dataclass
class Tally:
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    answered_right: int = 0
    answered_wrong: int = 0
    suggested: int = 0
    out_of_scope: int = 0
    fell_back: int = 0

    def add(self, example: Example, decision: Decision) -> None:
        ranked = [s.id for s in decision.ranked]
        if example.in_scope:
            self.in_scope += 1
            self.top1 += bool(ranked[:1]) and ranked[0] in example.expect
            self.top3 += any(i in example.expect for i in ranked[:3])
            if decision.kind == "answer":
                if decision.entry_id in example.expect:
                    self.answered_right += 1
                else:
                    self.answered_wrong += 1
            self.suggested += decision.kind == "suggest"
        else:
            self.out_of_scope += 1
            self.fell_back += decision.kind in NOT_ANSWERED

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    def rates(self) -> dict[str, float | int | None]:
        n, m = self.in_scope, self.out_of_scope
        return {
            "in_scope": n,
            "top1": self._rate(self.top1, n),
            "top3": self._rate(self.top3, n),
            "answered_right": self._rate(self.answered_right, n),
            "answered_wrong": self._rate(self.answered_wrong, n),
            "suggested": self._rate(self.suggested, n),
            "none_lines": m,
            "none_fallback": self._rate(self.fell_back, m),
        }


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_style: dict[str, Tally] = field(default_factory=dict)
    misses: list[tuple[Example, Decision]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.rates(),
            "by_style": {style: t.rates() for style, t in sorted(self.by_style.items())},
        }


def evaluate(examples: Iterable[Example], match: Callable[[str], Decision]) -> Report:
    report = Report()
    for example in examples:
        decision = match(example.question)
        report.overall.add(example, decision)
        report.by_style.setdefault(example.style or "-", Tally()).add(example, decision)
        wrong = (
            decision.entry_id not in example.expect if decision.kind == "answer" else decision.kind not in NOT_ANSWERED
        )
        if (example.in_scope and decision.entry_id not in example.expect) or (not example.in_scope and wrong):
            report.misses.append((example, decision))
    return report


def _cell(value: float | int | None) -> str:
    return "-" if value is None else str(value)


def format_table(report: Report) -> str:
    """A plain-text table: one row per style and the overall row, rates in percent."""
    columns = [
        "in_scope",
        "top1",
        "top3",
        "answered_right",
        "answered_wrong",
        "suggested",
        "none_lines",
        "none_fallback",
    ]
    header = ["style", "n", "top-1%", "top-3%", "right%", "wrong%", "suggest%", "none n", "none→fallback%"]
    rows = [[style, *(_cell(t.rates()[c]) for c in columns)] for style, t in sorted(report.by_style.items())]
    rows.append(["ALL", *(_cell(report.overall.rates()[c]) for c in columns)])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).rjust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
