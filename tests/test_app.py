"""The composition root: build(settings) wires the database and the service of each channel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import build
from bot.config import Settings
from bot.core.knowledge import KnowledgeBase
from bot.core.types import Inbound, InboundKind
from bot.storage.migrations import head_revision
from tests.databases import Store


async def test_migrations_and_messages_may_run_on_different_event_loops(
    empty_store: Store, real_kb: KnowledgeBase
) -> None:
    settings = Settings(_env_file=None)
    app = build(settings).on(empty_store.open())
    # migrated on an event loop of its own (another thread's), e.g. before the Telegram application starts its loop
    assert await asyncio.to_thread(asyncio.run, app.start()) == head_revision()
    try:
        outcome = await app.service("telegram").handle(Inbound("telegram:1", InboundKind.START), update_id=1)
    finally:
        await app.close()
    assert outcome is not None


async def test_build_keeps_conversations_where_database_url_says(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.db"
    app = build(Settings(_env_file=None, database_url=f"sqlite:///{path}"))
    await app.start()
    assert path.is_file()


def test_the_database_defaults_to_an_sqlite_file_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TELEGRAM_API_BASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///data/bot.db"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
