"""What the lead-capture flow and the interest signals need besides the FAQ: the consent text, the areas
served, the retention period it promises, the rule for offering a call-back and which answers are signals.

Built by the composition root from knowledge/leads.yaml, knowledge/areas.yaml and the settings, and kept on
the KnowledgeBase (`kb.leads`), so the engine stays pure. Without it (None) the bot answers questions and
runs the calculators, but takes no leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.areas import Area
from bot.core.leads.consent import DEFAULT_INTERACTION_RETENTION_DAYS, ConsentText
from bot.core.leads.interest import InterestRule, SignalKind

# Signals an answer can give (the explicit request and the offer are recorded by the engine itself).
TOPIC_KINDS = (SignalKind.ASKED_HOW_TO_REGISTER, SignalKind.ASKED_CONTRIBUTION, SignalKind.ASKED_HOUSEHOLD_BHYT)


class LeadSetupError(ValueError):
    pass


@dataclass(frozen=True)
class LeadSetup:
    consent: ConsentText
    areas: tuple[Area, ...]
    retention_days: int
    rule: InterestRule = field(default_factory=InterestRule)
    signal_topics: Mapping[str, SignalKind] = field(default_factory=dict)  # entry id -> the signal its answer gives
    interaction_retention_days: int = DEFAULT_INTERACTION_RETENTION_DAYS  # how long a question is logged

    def consent_text(self) -> str:
        """The consent text with the retention periods the bot runs with."""
        return self.consent.render(self.retention_days, self.interaction_retention_days)

    def consent_proof(self) -> str:
        """The version stored with a lead as proof of the text accepted (ConsentText.proof_version)."""
        return self.consent.proof_version(self.retention_days, self.interaction_retention_days)

    def area(self, code: str) -> Area | None:
        return next((area for area in self.areas if area.code == code), None)


def parse_signal_topics(document: Mapping[str, Any] | None) -> dict[str, SignalKind]:
    """The `signals:` section of leads.yaml: {kind: [entry id, ...]} -> {entry id: kind}."""
    raw = document.get("signals") if isinstance(document, Mapping) else None
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise LeadSetupError("leads.yaml: signals phải là một bảng {loại tín hiệu: [mã câu hỏi, ...]}")
    topics: dict[str, SignalKind] = {}
    known = ", ".join(kind.value for kind in TOPIC_KINDS)
    for name, entry_ids in raw.items():
        try:
            kind = SignalKind(str(name))
        except ValueError:
            raise LeadSetupError(f"leads.yaml: không có loại tín hiệu {name!r} (có: {known})") from None
        if kind not in TOPIC_KINDS:
            raise LeadSetupError(f"leads.yaml: {name!r} không dùng được trong signals (có: {known})")
        if not isinstance(entry_ids, list):
            raise LeadSetupError(f"leads.yaml: signals.{name} phải là danh sách mã câu hỏi")
        for entry_id in entry_ids:
            topics[str(entry_id)] = kind
    return topics
