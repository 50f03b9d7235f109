from __future__ import annotations

import pytest

from bot.app import lead_setup, with_leads
from bot.config import Settings
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher


@pytest.fixture(scope="session")
def kb(real_kb: KnowledgeBase) -> KnowledgeBase:
    """The knowledge base as the running bot has it: with knowledge/leads.yaml and areas.yaml, so the
    call-back flow and the interest offer are there (a test module may define its own `kb`)."""
    return with_leads(real_kb, lead_setup(Settings(_env_file=None)))


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)
