"""Interest signals: what a chat did that shows it may want to enrol, and when to offer a call-back.

A signal holds the session key, its kind, the topic and the time: nothing personal. The rule is
configuration (weights per kind and a threshold): once a chat's signals weigh enough, the bot offers a free
call-back from the local agent, once per chat. An explicit request (the lead.tu-van topic, "tôi muốn đăng
ký", the "Tư vấn cho tôi" button) always leads to the consent question, offered before or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class SignalKind(StrEnum):
    ASKED_FOR_ADVICE = "asked-for-advice"  # explicit: lead.tu-van, "tôi muốn đăng ký", the button
    FINISHED_CALCULATOR = "finished-calculator"
    ASKED_HOW_TO_REGISTER = "asked-how-to-register"
    ASKED_CONTRIBUTION = "asked-contribution"  # mức đóng BHXH tự nguyện
    ASKED_HOUSEHOLD_BHYT = "asked-household-bhyt"
    OFFERED = "offered"  # the bot offered the call-back: it is not offered again


EXPLICIT_KINDS = frozenset({SignalKind.ASKED_FOR_ADVICE})
DEFAULT_WEIGHTS: Mapping[SignalKind, int] = {
    SignalKind.FINISHED_CALCULATOR: 2,
    SignalKind.ASKED_HOW_TO_REGISTER: 2,
    SignalKind.ASKED_CONTRIBUTION: 1,
    SignalKind.ASKED_HOUSEHOLD_BHYT: 1,
}
DEFAULT_THRESHOLD = 3


@dataclass(frozen=True)
class InterestRule:
    weights: Mapping[SignalKind, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    threshold: int = DEFAULT_THRESHOLD


def parse_weights(raw: Mapping[str, int]) -> dict[SignalKind, int]:
    """Weights from configuration ({"finished-calculator": 2, ...}); ValueError naming an unknown kind."""
    weights: dict[SignalKind, int] = {}
    for name, weight in raw.items():
        try:
            kind = SignalKind(name)
        except ValueError:
            known = ", ".join(k.value for k in SignalKind if k not in EXPLICIT_KINDS | {SignalKind.OFFERED})
            raise ValueError(f"unknown interest signal {name!r}; known: {known}") from None
        weights[kind] = int(weight)
    return weights


def weigh(signals: Iterable[tuple[SignalKind, str | None]], rule: InterestRule) -> int:
    """The weight of (kind, topic) pairs, each distinct pair once."""
    return sum(rule.weights.get(kind, 0) for kind, _ in set(signals))


def signal_key(kind: SignalKind, topic: str | None) -> str:
    """How a signal is remembered in the chat's session: "kind|topic"."""
    return f"{kind.value}|{topic or ''}"


def parse_signal_key(key: str) -> tuple[SignalKind, str | None] | None:
    kind, _, topic = key.partition("|")
    try:
        return SignalKind(kind), topic or None
    except ValueError:
        return None


def offer_due(signals: Iterable[tuple[SignalKind, str | None]], rule: InterestRule) -> bool:
    """The same rule over (kind, topic) pairs, as the chat's session keeps them."""
    collected = list(signals)
    if any(kind == SignalKind.OFFERED for kind, _ in collected):
        return False
    return weigh(collected, rule) >= rule.threshold
