from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import matcher_config
from bot.config import Settings
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.storage.db import POSTGRESQL, SQLITE
from bot.storage.knowledge_files import load_knowledge
from tests.cli import BotCli
from tests.databases import Store, drop, postgres_store, require_postgres, sqlite_store
from tests.factories import KNOWLEDGE_DIR


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    """The knowledge base as staff keep it in knowledge/."""
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def real_matcher(real_kb: KnowledgeBase) -> Matcher:
    """The matcher as the running bot builds it: the decision rule comes from the default Settings."""
    return Matcher(real_kb, matcher_config(Settings(_env_file=None)))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_reachable() -> None:
    """Checked once per run: skips PostgreSQL tests with the reason, or fails them when CI is set."""
    await require_postgres()


@pytest.fixture(params=[SQLITE, POSTGRESQL])
def database_kind(request: pytest.FixtureRequest) -> str:
    """SQLITE, then POSTGRESQL (only where it answers: `postgres_reachable`)."""
    if request.param == POSTGRESQL:
        request.getfixturevalue("postgres_reachable")
    return request.param


@pytest.fixture
async def store(database_kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    """An empty database, once as an SQLite file in tmp_path and once as a fresh PostgreSQL schema."""
    if database_kind == SQLITE:
        yield sqlite_store(tmp_path)
        return
    created, drop_statement = await postgres_store()
    try:
        yield created
    finally:
        await drop(drop_statement)


@pytest.fixture
def run_bot(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> BotCli:
    """`python -m bot ...` run in this process, in tmp_path, output captured (tests/cli.py)."""
    return BotCli(capsys, monkeypatch, tmp_path)
