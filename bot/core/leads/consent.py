"""Consent comes first (Luật 91/2025/QH15, Điều 9; Nghị định 356/2025/NĐ-CP): a lead is only created with the
consent it was given under (text version, time, channel, or oral consent taken by an agent). The consent text
is knowledge/leads.yaml's; its version and the retention periods it promised are stored with every lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ConsentChannel(StrEnum):
    TELEGRAM = "telegram"
    ZALO = "zalo"
    WEB = "web"
    CONSOLE = "console"
    ORAL = "oral"  # taken by an agent on the phone or in person (/themlead)


# How long the interaction log keeps a question (INTERACTION_RETENTION_DAYS); the consent text may state it.
DEFAULT_INTERACTION_RETENTION_DAYS = 90
INTERACTION_DAYS_PLACEHOLDER = "{interaction_days}"


@dataclass(frozen=True)
class ConsentText:
    """The consent text of knowledge/leads.yaml; its version changes with every edit of the wording."""

    version: str
    template: str  # with {retention_days}, {office} and optionally {interaction_days}
    office: str
    agree: str = "Đồng ý"
    decline: str = "Không, cảm ơn"

    def render(self, retention_days: int, interaction_days: int = DEFAULT_INTERACTION_RETENTION_DAYS) -> str:
        return self.template.format(
            retention_days=retention_days, office=self.office, interaction_days=interaction_days
        )

    def proof_version(self, retention_days: int, interaction_days: int = DEFAULT_INTERACTION_RETENTION_DAYS) -> str:
        """What is stored with a lead: the text version and the retention periods it promised ("2026-02/180d",
        and "/90d" for the questions when the text states that period too)."""
        stated = f"/{interaction_days}d" if INTERACTION_DAYS_PLACEHOLDER in self.template else ""
        return f"{self.version}/{retention_days}d{stated}"


@dataclass(frozen=True)
class Consent:
    """Proof of consent kept with a lead."""

    version: str  # ConsentText.proof_version, or "oral" wording for /themlead
    at: datetime
    channel: ConsentChannel
    oral: bool = False
