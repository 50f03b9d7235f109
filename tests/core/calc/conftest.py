from __future__ import annotations

import pytest

from bot.core.knowledge import KnowledgeBase
from bot.core.policy import Policy


@pytest.fixture(scope="session")
def policy(real_kb: KnowledgeBase) -> Policy:
    """The policy as staff keep it in knowledge/policy.yaml: the calculators' figures are the real ones."""
    return real_kb.policy
