from __future__ import annotations

import gc
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
from tests.databases import (
    PostgresTemplate,
    SqliteTemplate,
    Store,
    drop,
    postgres_store,
    require_postgres,
    sqlite_store,
)
from tests.factories import KNOWLEDGE_DIR


def pytest_configure(config: pytest.Config) -> None:
    """The collector runs less often than CPython's default thresholds ask: the knowledge bases and matcher
    indexes the tests build are large, and with the defaults its full passes over them took about a tenth of
    the run (40 of them, 0.2-0.3 s each); this way a few hundred MB more are held for a while."""
    gc.set_threshold(10_000, 20, 20)


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


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return await SqliteTemplate.create(tmp_path_factory.mktemp("template"))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_template(postgres_reachable: None) -> AsyncIterator[PostgresTemplate]:
    template = await PostgresTemplate.create()
    yield template
    await template.drop()


@pytest.fixture
def template(database_kind: str, request: pytest.FixtureRequest) -> SqliteTemplate | PostgresTemplate:
    """The run's migrated database of this kind (tests/databases.py)."""
    return request.getfixturevalue("sqlite_template" if database_kind == SQLITE else "postgres_template")


@pytest.fixture
async def store(template: SqliteTemplate | PostgresTemplate, tmp_path: Path) -> Store:
    """A database at the newest revision, as if just migrated (calling `migrate` on it does nothing): once a
    copy of the run's SQLite template in tmp_path, once the run's PostgreSQL schema, emptied."""
    if isinstance(template, SqliteTemplate):
        return template.fresh(tmp_path)
    return await template.fresh()


@pytest.fixture
async def empty_store(database_kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    """A database never migrated, once as an SQLite file in tmp_path and once as a new PostgreSQL schema."""
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
