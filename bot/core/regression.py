"""The check before a knowledge revision is published: replay questions against the live and the new knowledge.

Questions come labelled (the development set, the knowledge's own checks.jsonl: each with the entries that
answer it, or "none") or unlabelled (the latest real questions from the interaction log). Every question whose
decision or entry changes is reported: moved from one entry to another, newly unanswered, newly answered. A
labelled question is *worse* when its outcome ranks lower than before:

    in the field:  answered right 3 > its entry offered among "did you mean" 2 > not answered 1 > answered wrong 0
    out of scope ("none"):  not answered 2 > "did you mean" 1 > answered 0

Publishing is refused when more labelled questions get worse than `allowed_worse` (the office's setting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.evaluation import OUT_OF_SCOPE
from bot.core.matcher import Decision

ANSWER = "answer"
SUGGEST = "suggest"
MOVED = "moved"
NEWLY_UNANSWERED = "newly_unanswered"
NEWLY_ANSWERED = "newly_answered"
SUGGESTIONS_CHANGED = "suggestions_changed"
CHANGE_LABELS = {
    MOVED: "đổi câu trả lời",
    NEWLY_UNANSWERED: "không còn được trả lời",
    NEWLY_ANSWERED: "nay được trả lời",
    SUGGESTIONS_CHANGED: "đổi gợi ý",
}


@dataclass(frozen=True)
class Question:
    text: str
    expect: tuple[str, ...] = ()  # the entries that answer it, ("none",) out of scope; () unlabelled
    source: str = ""  # "dev", "checks" or "real"

    @property
    def labelled(self) -> bool:
        return bool(self.expect)


@dataclass(frozen=True)
class Seen:
    """A decision as the report shows it: its kind and the entry answered, or the entries offered."""

    kind: str
    entries: tuple[str, ...] = ()

    @classmethod
    def of(cls, decision: Decision) -> Seen:
        if decision.kind == ANSWER and decision.entry_id:
            return cls(ANSWER, (decision.entry_id,))
        if decision.kind == SUGGEST:
            return cls(SUGGEST, tuple(s.id for s in decision.ranked))
        return cls(decision.kind)

    @property
    def answered(self) -> bool:
        return self.kind == ANSWER

    def describe(self) -> str:
        if self.kind == ANSWER:
            return self.entries[0]
        if self.kind == SUGGEST:
            return "gợi ý " + ", ".join(self.entries)
        return {"uncovered": "chưa có câu trả lời", "fallback": "không hiểu"}.get(self.kind, self.kind)


def rank(question: Question, seen: Seen) -> int:
    """How good an outcome is for a labelled question (higher is better; see the module's docstring)."""
    if OUT_OF_SCOPE in question.expect:
        return 0 if seen.answered else 1 if seen.kind == SUGGEST else 2
    if seen.answered:
        return 3 if seen.entries[0] in question.expect else 0
    if seen.kind == SUGGEST and any(entry in question.expect for entry in seen.entries):
        return 2
    return 1


@dataclass(frozen=True)
class Difference:
    question: Question
    before: Seen
    after: Seen
    change: str  # MOVED, NEWLY_UNANSWERED, NEWLY_ANSWERED or SUGGESTIONS_CHANGED
    verdict: str = ""  # labelled questions: "worse" | "better" | "" (as good as before)

    def as_dict(self) -> dict[str, Any]:
        return {
            "q": self.question.text,
            "source": self.question.source,
            "expect": list(self.question.expect),
            "before": self.before.describe(),
            "after": self.after.describe(),
            "change": self.change,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class RegressionReport:
    questions: int
    labelled: int
    differences: tuple[Difference, ...]
    allowed_worse: int
    right_before: int = 0  # labelled questions answered right (or, out of scope, not answered)
    right_after: int = 0
    by_source: Mapping[str, int] = field(default_factory=dict)

    @property
    def worse(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.verdict == "worse")

    @property
    def better(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.verdict == "better")

    @property
    def refused(self) -> bool:
        return len(self.worse) > self.allowed_worse

    def counts(self) -> dict[str, int]:
        changes = {kind: sum(d.change == kind for d in self.differences) for kind in CHANGE_LABELS}
        return {
            "questions": self.questions,
            "labelled": self.labelled,
            "changed": len(self.differences),
            **changes,
            "worse": len(self.worse),
            "better": len(self.better),
            "right_before": self.right_before,
            "right_after": self.right_after,
            "allowed_worse": self.allowed_worse,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "sources": dict(self.by_source),
            "refused": self.refused,
            "differences": [d.as_dict() for d in self.differences],
        }


def _change(before: Seen, after: Seen) -> str:
    if before.answered and after.answered:
        return MOVED
    if before.answered:
        return NEWLY_UNANSWERED
    if after.answered:
        return NEWLY_ANSWERED
    return SUGGESTIONS_CHANGED


def distinct(questions: Iterable[Question]) -> list[Question]:
    """Each question text once, the first (labelled) occurrence kept."""
    kept: dict[str, Question] = {}
    for question in questions:
        kept.setdefault(" ".join(question.text.split()).casefold(), question)
    return list(kept.values())


def compare(
    questions: Iterable[Question],
    before: Callable[[str], Decision],
    after: Callable[[str], Decision],
    allowed_worse: int = 0,
) -> RegressionReport:
    """Replay `questions` (each text once) through the live matcher `before` and the new one `after`."""
    differences: list[Difference] = []
    replayed = distinct(questions)
    right_before = right_after = 0
    by_source: dict[str, int] = {}
    for question in replayed:
        by_source[question.source] = by_source.get(question.source, 0) + 1
        old, new = Seen.of(before(question.text)), Seen.of(after(question.text))
        verdict = ""
        if question.labelled:
            top = 2 if OUT_OF_SCOPE in question.expect else 3
            old_rank, new_rank = rank(question, old), rank(question, new)
            right_before += old_rank == top
            right_after += new_rank == top
            verdict = "worse" if new_rank < old_rank else "better" if new_rank > old_rank else ""
        if old != new:
            differences.append(Difference(question, old, new, _change(old, new), verdict))
    labelled = sum(q.labelled for q in replayed)
    differences.sort(key=lambda d: (d.verdict != "worse", d.verdict != "better", not d.question.labelled))
    return RegressionReport(
        len(replayed), labelled, tuple(differences), allowed_worse, right_before, right_after, by_source
    )
