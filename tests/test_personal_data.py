"""Personal data outside consent (issue 12), through the bot as `python -m bot run` builds it, on SQLite and
PostgreSQL: a name typed inside an ordinary question is kept in the interaction log no longer than
INTERACTION_RETENTION_DAYS, /xoadulieu deletes the chat's questions and no other chat's, the log holds no chat
id, and the consent text says what is kept and for how long."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import Settings
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.consent import ConsentText
from bot.core.matcher import Matcher
from bot.core.types import Button, Inbound, InboundKind, LogInteraction, Outcome
from bot.shell.live_knowledge import Knowledge
from bot.shell.service import Service
from bot.storage import interactions
from bot.storage.knowledge_files import load_leads
from bot.storage.migrations import migrate
from bot.storage.tables import interactions as interactions_table
from tests.apps import app_on
from tests.databases import Store
from tests.factories import KNOWLEDGE_DIR, PROJECT_ROOT, TODAY
from tests.lead_factories import NOW

CITIZEN = "telegram:4242001"
NEIGHBOUR = "telegram:4242002"
STORY = "tôi là Nguyễn Văn Bình sdt 0912 345 678 muốn hỏi bhxh tự nguyện đóng bao nhiêu"


@asynccontextmanager
async def on_migrated(app: App) -> AsyncIterator[None]:
    """The app's database migrated for the block, its engine disposed after."""
    await migrate(app.database)
    try:
        yield
    finally:
        await app.database.dispose()


async def say(app: App, chat: str, text: str, update_id: int, kind: InboundKind = InboundKind.TEXT) -> Outcome:
    outcome = await app.service("telegram").handle(Inbound(chat, kind, text=text), update_id)
    assert outcome is not None
    return outcome


async def stored_questions(app: App) -> list[tuple[str | None, str]]:
    """(chat digest, question) of every logged interaction, oldest first."""
    async with app.database.transaction() as connection:
        return [(record.chat_digest, record.normalised) for record in reversed(await interactions.recent(connection))]


async def test_erasing_deletes_the_chats_questions_and_no_other_chats(store: Store) -> None:
    app = app_on(store)
    async with on_migrated(app):
        await say(app, CITIZEN, STORY, 1)
        await say(app, NEIGHBOUR, "bhyt hộ gia đình bao nhiêu tiền", 2)
        await say(app, CITIZEN, "rút bhxh 1 lần được không", 3)
        before = await stored_questions(app)
        outcome = await say(app, CITIZEN, "", 4, InboundKind.ERASE)
        after = await stored_questions(app)
        assert "đã xóa" in "\n".join(reply.text for reply in outcome.replies)
        assert len(before) == 3 and "nguyen van binh" in before[0][1]
        assert len({digest for digest, _ in before}) == 2 and None not in {digest for digest, _ in before}
        assert after == [before[1]]  # the neighbour's question only


async def test_the_interaction_log_holds_no_chat_id(store: Store) -> None:
    app = app_on(store)
    async with on_migrated(app):
        await say(app, CITIZEN, STORY, 1)
        async with app.database.transaction() as connection:
            rows = [tuple(str(value) for value in row) for row in await connection.execute(select(interactions_table))]
        assert rows
        for row in rows:
            assert not any("4242001" in value or "0912" in value or "345 678" in value for value in row), row


async def test_the_workers_of_a_running_bot_delete_questions_past_the_retention_setting(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = app_on(store, interaction_retention_days=30)
    now = app.clock()

    async def nothing_to_send(chat_id: int, text: str, buttons: tuple[Button, ...]) -> None:
        raise AssertionError("no message is due")

    async def count() -> int:
        async with app.database.transaction() as connection:
            return int(await connection.scalar(select(func.count()).select_from(interactions_table)))

    async with on_migrated(app):
        async with app.database.transaction() as connection:
            for age in (timedelta(days=31), timedelta(days=29)):
                question = LogInteraction("bhyt", "answer", "bhyt.muc-dong-hgd")
                await interactions.log(connection, "telegram", question, now - age)
        async with app.background(nothing_to_send):
            for _ in range(200):  # the retention sweep runs as the workers start, then every hour
                if await count() == 1:
                    break
                await asyncio.sleep(0.02)
        assert await count() == 1
    assert "abandoned-flows" in caplog.text  # its own worker, every few minutes


def test_the_retention_of_interactions_is_90_days_unless_set() -> None:
    assert Settings(_env_file=None).interaction_retention_days == 90
    assert Settings(_env_file=None, interaction_retention_days=30).interaction_retention_days == 30
    with pytest.raises(ValueError):
        Settings(_env_file=None, interaction_retention_days=0)


def test_the_consent_text_says_how_long_the_questions_are_kept_and_the_proof_records_it() -> None:
    consent = load_leads(KNOWLEDGE_DIR).consent
    text = consent.render(180, 90)
    assert "{" not in text
    assert "180 ngày" in text and "90 ngày" in text and "câu hỏi" in text
    assert consent.version != "2026-01"  # the wording changed, so the version did
    assert consent.proof_version(180, 90) == f"{consent.version}/180d/90d"


def test_the_readme_documents_what_is_kept_and_for_how_long() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `INTERACTION_RETENTION_DAYS` | `90` |" in readme


async def test_a_bot_that_takes_no_leads_still_deletes_the_chats_questions(
    store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with store.open() as database:
        await migrate(database)
        service = Service(
            database, Knowledge(real_kb, real_matcher), lambda: TODAY, "telegram", now=lambda: NOW
        )  # no leads
        for update_id, (chat, words) in enumerate([(CITIZEN, STORY), (NEIGHBOUR, "mất thẻ bhyt")], start=1):
            await service.handle(Inbound(chat, InboundKind.TEXT, text=words), update_id)
        await service.handle(Inbound(CITIZEN, InboundKind.ERASE), 3)
        async with database.transaction() as connection:
            [(question, _)] = [(record.normalised, record.decision) for record in await interactions.recent(connection)]
    assert "mat the" in question


def test_a_consent_text_that_does_not_state_how_long_questions_are_kept_keeps_the_older_proof() -> None:
    older = ConsentText("2026-01", "{office} lưu tối đa {retention_days} ngày.", "BHXH tỉnh")
    assert older.render(180, 30) == "BHXH tỉnh lưu tối đa 180 ngày."
    assert older.proof_version(180, 30) == "2026-01/180d"
