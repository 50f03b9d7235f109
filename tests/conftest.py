from __future__ import annotations

import pytest

from bot.app import matcher_config
from bot.config import Settings
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
    """The matcher as the running bot builds it: the decision rule comes from the default Settings."""
    return Matcher(real_kb, matcher_config(Settings(_env_file=None)))
