"""The console's dashboard as figures: questions per office day, the shares of what the bot decided, leads
past their first-contact time. Pure: the moments come from bot.storage.dashboard, the day and zone from the
caller."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

ANSWER = "answer"
SUGGEST = "suggest"
UNCOVERED = "uncovered"
FALLBACK = "fallback"
OUT_OF_SCOPE = "out-of-scope"
QUESTION_DECISIONS = (ANSWER, SUGGEST, UNCOVERED, FALLBACK, OUT_OF_SCOPE)  # a typed question, as logged
DECISION_LABELS = {
    ANSWER: "Trả lời được",
    SUGGEST: "Gợi ý “có phải bạn muốn hỏi”",
    UNCOVERED: "Chưa có câu trả lời",
    FALLBACK: "Không hiểu câu hỏi",
    OUT_OF_SCOPE: "Ngoài phạm vi",
}
DAYS = 14


@dataclass(frozen=True)
class DayCount:
    day: date
    questions: int
    percent_of_busiest: int  # for a bar: 100 on the busiest day (0 when there were no questions)


@dataclass(frozen=True)
class Share:
    decision: str
    label: str
    count: int
    percent: int  # rounded; 0 when there were no questions


def first_day(today: date, days: int = DAYS) -> date:
    """The first of the `days` office days ending today."""
    return today - timedelta(days=days - 1)


def per_day(moments: Iterable[datetime], today: date, timezone: tzinfo, days: int = DAYS) -> list[DayCount]:
    """How many questions were asked on each of the `days` office days ending today, oldest first (0 for a day
    without any); a moment outside those days is not counted."""
    first = first_day(today, days)
    counted = Counter(moment.astimezone(timezone).date() for moment in moments)
    series = [(first + timedelta(days=n), counted.get(first + timedelta(days=n), 0)) for n in range(days)]
    busiest = max((count for _, count in series), default=0)
    return [DayCount(day, count, round(100 * count / busiest) if busiest else 0) for day, count in series]


def shares(by_decision: Mapping[str, int]) -> list[Share]:
    """Each question decision's count and share of all typed questions, in QUESTION_DECISIONS order."""
    total = sum(by_decision.get(decision, 0) for decision in QUESTION_DECISIONS)
    return [
        Share(
            decision,
            DECISION_LABELS[decision],
            by_decision.get(decision, 0),
            round(100 * by_decision.get(decision, 0) / total) if total else 0,
        )
        for decision in QUESTION_DECISIONS
    ]


def overdue(due_at: datetime | None, first_contact_at: datetime | None, is_open: bool, now: datetime) -> bool:
    """A lead past its first-contact time with nobody having contacted the citizen (as the deadline worker
    escalates them: bot.storage.leads.escalate_overdue)."""
    return is_open and first_contact_at is None and due_at is not None and due_at <= now
