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
from bot.core.file_schema import KnowledgeFileError, validated
from bot.core.knowledge_schema import LeadsFile
from bot.core.leads.consent import DEFAULT_INTERACTION_RETENTION_DAYS, ConsentText
from bot.core.leads.interest import InterestRule, SignalKind
from bot.core.leads.office_hours import CallPolicy

# Signals an answer can give (the explicit request and the offer are recorded by the engine itself).


class LeadSetupError(KnowledgeFileError):
    """leads.yaml cannot be used (its faults name the line), or the settings for leads are wrong."""


@dataclass(frozen=True)
class LeadSetup:
    consent: ConsentText
    areas: tuple[Area, ...]
    retention_days: int
    rule: InterestRule = field(default_factory=InterestRule)
    signal_topics: Mapping[str, SignalKind] = field(default_factory=dict)  # entry id -> the signal its answer gives
    interaction_retention_days: int = DEFAULT_INTERACTION_RETENTION_DAYS  # how long a question is logged
    calls: CallPolicy = field(default_factory=CallPolicy)  # office hours, holidays: the call-back times taken

    def consent_text(self) -> str:
        """The consent text with the retention periods the bot runs with."""
        return self.consent.render(self.retention_days, self.interaction_retention_days)

    def consent_proof(self) -> str:
        """The version stored with a lead as proof of the text accepted (ConsentText.proof_version)."""
        return self.consent.proof_version(self.retention_days, self.interaction_retention_days)

    def area(self, code: str) -> Area | None:
        return next((area for area in self.areas if area.code == code), None)


@dataclass(frozen=True)
class LeadsDocument:
    """What knowledge/leads.yaml says: the consent text and which answers are interest signals."""

    consent: ConsentText
    signal_topics: Mapping[str, SignalKind]  # entry id -> the signal its answer gives


def parse_leads(document: Any, file: str = "leads.yaml") -> LeadsDocument:
    """leads.yaml; LeadSetupError naming the file and line of every fault."""
    spec = validated(LeadsFile, document, file, LeadSetupError)
    consent = spec.consent
    text = ConsentText(
        consent.version,
        consent.text,
        spec.office,
        consent.agree or ConsentText.agree,
        consent.decline or ConsentText.decline,
    )
    topics = {
        entry_id: SignalKind(kind)
        for kind, entry_ids in spec.signals.model_dump(by_alias=True).items()
        for entry_id in entry_ids
    }
    return LeadsDocument(text, topics)
