"""Typed words work like a calculator's buttons through the real Application and the loopback Bot API
(tests/fakes), on the real Service over SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, chat_key, running
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.shell.live_knowledge import Knowledge
from bot.shell.service import Service
from bot.storage import sessions
from bot.storage.migrations import migrate
from tests.databases import Store
from tests.factories import TODAY
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import text_message

CHAT = 2002
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_typing_huy_without_diacritics_mid_calculator_cancels_it(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    database = store.open()
    await migrate(database)
    try:
        service = Service(
            database,
            Knowledge(real_kb, real_matcher),
            lambda: TODAY,
            CHANNEL,
            now=lambda: NOW,
            flow_idle=timedelta(minutes=30),
        )
        application = build_application(
            fake_api.token, fake_api.base_url, service.handle, policy=RetryPolicy(backoff=0.01)
        )
        async with running(application, poll_timeout=1):
            fake_api.enqueue(text_message(1, CHAT, "tính tiền bhyt cho cả nhà"))
            fake_api.enqueue(text_message(2, CHAT, "3 người"))
            [_, months] = await fake_api.wait_for_replies(CHAT, 2)
            assert months.text == real_kb.message("calc_hgd_months_q")

            fake_api.enqueue(text_message(3, CHAT, "huy"))
            [*_, cancelled] = await fake_api.wait_for_replies(CHAT, 3)
            assert cancelled.text == real_kb.message("flow_cancelled")
            assert [label for label, _ in cancelled.buttons] == ["Tính lại", "Menu chính"]
        async with database.transaction() as connection:
            session = await sessions.load(connection, chat_key(CHAT))
    finally:
        await database.dispose()
    assert session is not None and session.flow is None
