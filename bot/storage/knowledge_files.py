"""Read the knowledge folder (YAML files) into a KnowledgeBase."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.core.areas import Area, AreaError, parse_areas
from bot.core.knowledge import KnowledgeBase, KnowledgeError, parse_knowledge
from bot.core.leads.consent import ConsentText, ConsentTextError, parse_consent_text
from bot.core.leads.interest import SignalKind
from bot.core.leads.setup import LeadSetupError, parse_signal_topics

AREAS_FILE = "areas.yaml"
LEADS_FILE = "leads.yaml"


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path.name}: YAML sai cú pháp: {exc}") from exc
    except OSError as exc:
        raise KnowledgeError(f"không đọc được {path}: {exc.strerror}") from exc


def load_knowledge(directory: Path) -> KnowledgeBase:
    """faq/*.yaml (in file-name order), policy.yaml, lexicon.yaml and bot.yaml from one folder."""
    faq_files = sorted((directory / "faq").glob("*.yaml"))
    if not faq_files:
        raise KnowledgeError(f"không có tệp nào trong {directory / 'faq'}")
    return parse_knowledge(
        [(path.name, _read_yaml(path)) for path in faq_files],
        _read_yaml(directory / "policy.yaml"),
        _read_yaml(directory / "lexicon.yaml"),
        _read_yaml(directory / "bot.yaml"),
    )


def load_areas(directory: Path) -> tuple[Area, ...]:
    """areas.yaml: the xã, phường and đặc khu the office serves (AreaError if it is missing or malformed)."""
    path = directory / AREAS_FILE
    try:
        return parse_areas(_read_yaml(path))
    except KnowledgeError as exc:
        raise AreaError(str(exc)) from None


def load_signal_topics(directory: Path) -> dict[str, SignalKind]:
    """The `signals:` section of leads.yaml: which answers are interest signals (LeadSetupError if malformed)."""
    try:
        return parse_signal_topics(_read_yaml(directory / LEADS_FILE))
    except KnowledgeError as exc:
        raise LeadSetupError(str(exc)) from None


def load_consent_text(directory: Path) -> ConsentText:
    """The consent section of leads.yaml (ConsentTextError if it is missing or malformed)."""
    try:
        return parse_consent_text(_read_yaml(directory / LEADS_FILE))
    except KnowledgeError as exc:
        raise ConsentTextError(str(exc)) from None
