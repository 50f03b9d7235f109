"""Read the knowledge folder (YAML files) into a KnowledgeBase."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.core.knowledge import KnowledgeBase, KnowledgeError, parse_knowledge


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
