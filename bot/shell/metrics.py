"""What GET /metrics reports, in Prometheus' text exposition format (version 0.0.4), counted in this process.

    bot_messages_total{channel,decision}   messages handled and committed by the service ("duplicate": an update
                                           delivered again, nothing sent)
    bot_reply_seconds                      histogram: from the service taking a message to its commit
    bot_send_errors_total{channel}         replies given up on (bot/channels/telegram/delivery.py)
    bot_outbox_pending                     gauge: outbox rows neither sent nor failed, read from the database at
                                           each scrape (so every instance reports the same shared depth)

Counters are per process, as Prometheus expects: it scrapes every instance and sums. METRICS is the process's
one registry, as prometheus_client's default registry is; nothing here does I/O.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable

from bot.core.types import LogInteraction, Outcome

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; most replies are decided and committed in a few milliseconds (bench/bench_e2e.py), a retried
# transaction in seconds.
REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
NO_DECISION = "none"  # a message that logged no question (a button in a flow, a command)
DUPLICATE = "duplicate"


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    pairs = [f'{name}="{_escaped(value)}"' for name, value in zip(names, values, strict=True)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(value)


class Counter:
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...]) -> None:
        self.name, self.help, self.label_names = name, help_text, labels
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, *labels: str, amount: float = 1) -> None:
        self.values[labels] = self.values.get(labels, 0) + amount

    def value(self, *labels: str) -> float:
        return self.values.get(labels, 0)

    def lines(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in sorted(self.values.items()):
            yield f"{self.name}{_labels(self.label_names, labels)} {_number(value)}"


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one: above every bucket
        self.count = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.count += 1
        self.sum += value

    def lines(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        cumulative = 0
        for bound, count in zip((*self.buckets, math.inf), self.counts, strict=True):
            cumulative += count
            yield f'{self.name}_bucket{{le="{_number(bound)}"}} {cumulative}'
        yield f"{self.name}_sum {_number(self.sum)}"
        yield f"{self.name}_count {self.count}"


def decision_of(outcome: Outcome | None) -> str:
    """The label of a handled message: what the engine decided for its question (answer, suggest, fallback, …)."""
    if outcome is None:
        return DUPLICATE
    logged = [effect.decision for effect in outcome.effects if isinstance(effect, LogInteraction)]
    return logged[0] if logged else NO_DECISION


class Metrics:
    def __init__(self) -> None:
        self.messages = Counter(
            "bot_messages_total", "Messages handled and committed, by channel and decision.", ("channel", "decision")
        )
        self.reply_seconds = Histogram(
            "bot_reply_seconds", "Seconds from taking a message to committing its replies.", REPLY_BUCKETS
        )
        self.send_errors = Counter("bot_send_errors_total", "Replies given up on, by channel.", ("channel",))

    def handled(self, channel: str, outcome: Outcome | None, seconds: float) -> None:
        """One message committed by the service (outcome None: a duplicate update, nothing sent)."""
        self.messages.inc(channel, decision_of(outcome))
        if outcome is not None:
            self.reply_seconds.observe(seconds)

    def send_failed(self, channel: str) -> None:
        self.send_errors.inc(channel)

    def exposition(self, outbox_pending: int | None) -> str:
        """The text GET /metrics answers; `outbox_pending` None when the database did not answer (left out)."""
        lines = [*self.messages.lines(), *self.reply_seconds.lines(), *self.send_errors.lines()]
        if outbox_pending is not None:
            lines += [
                "# HELP bot_outbox_pending Outbox rows neither sent nor failed (all instances).",
                "# TYPE bot_outbox_pending gauge",
                f"bot_outbox_pending {outbox_pending}",
            ]
        return "\n".join(lines) + "\n"


METRICS = Metrics()
