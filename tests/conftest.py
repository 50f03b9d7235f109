from __future__ import annotations

import pytest

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.storage.knowledge_files import load_knowledge
from tests.factories import KNOWLEDGE_DIR


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    """The knowledge base as staff keep it in knowledge/."""
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def real_matcher(real_kb: KnowledgeBase) -> Matcher:
    return Matcher(real_kb)
