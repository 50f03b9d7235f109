"""Consent comes first (Luật 91/2025/QH15, Điều 9; Nghị định 356/2025/NĐ-CP): a lead is only created with the
consent it was given under (text version, time, channel, or oral consent taken by an agent). The consent text
is knowledge/leads.yaml's; its version and the retention periods it promised are stored with every lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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


class ConsentTextError(ValueError):
    pass


def parse_consent_text(document: Mapping[str, Any] | None) -> ConsentText:
    """The consent section of leads.yaml; ConsentTextError naming what is missing."""
    consent = document.get("consent") if isinstance(document, Mapping) else None
    if not isinstance(consent, Mapping) or not consent.get("version") or not consent.get("text"):
        raise ConsentTextError("leads.yaml: cần có consent.version và consent.text")
    office = str(document.get("office") or "").strip() if isinstance(document, Mapping) else ""
    if not office:
        raise ConsentTextError("leads.yaml: cần có office (tên cơ quan BHXH)")
    text = ConsentText(
        str(consent["version"]),
        str(consent["text"]).strip(),
        office,
        str(consent.get("agree") or ConsentText.agree),
        str(consent.get("decline") or ConsentText.decline),
    )
    try:
        text.render(0)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConsentTextError(
            f"leads.yaml: consent.text chỉ dùng {{retention_days}}, {{interaction_days}} và {{office}} ({exc})"
        ) from None
    return text


@dataclass(frozen=True)
class Consent:
    """Proof of consent kept with a lead."""

    version: str  # ConsentText.proof_version, or "oral" wording for /themlead
    at: datetime
    channel: ConsentChannel
    oral: bool = False
