"""The legal basis one tap away and /dulieu through the real Application and the loopback Bot API (tests/fakes),
on the real Service over SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, running
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.shell.live_knowledge import Knowledge
from bot.shell.service import Service
from bot.storage.migrations import migrate
from tests.databases import Store
from tests.factories import TODAY
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_query, command, text_message

CHAT = 2014
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PHONE_SCREEN = 1500  # characters at most in one answer


async def test_the_basis_button_under_an_answer_lists_its_legal_basis_and_dulieu_answers(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    database = store.open()
    await migrate(database)
    try:
        service = Service(database, Knowledge(real_kb, real_matcher), lambda: TODAY, CHANNEL, now=lambda: NOW)
        application = build_application(
            fake_api.token, fake_api.base_url, service.handle, policy=RetryPolicy(backoff=0.01)
        )
        async with running(application, poll_timeout=1):
            fake_api.enqueue(text_message(1, CHAT, "muc dong bhxh tu nguyen"))
            [answer] = await fake_api.wait_for_replies(CHAT, 1)
            assert len(answer.text) <= PHONE_SCREEN and answer.text.count("Căn cứ: ") == 1
            basis = dict(answer.buttons)["Xem căn cứ pháp lý"]
            fake_api.enqueue(callback_query(2, CHAT, basis, message_id=answer.message_id))
            [_, listing] = await fake_api.wait_for_replies(CHAT, 2)
            assert listing.text.startswith("Căn cứ pháp lý của “Mức đóng BHXH tự nguyện”")
            assert "Luật BHXH 41/2024/QH15, Điều 31 khoản 2 (áp dụng từ" in listing.text
            assert [label for label, _ in listing.buttons] == ["« Xem lại câu trả lời", "Menu chính"]

            fake_api.enqueue(command(3, CHAT, "dulieu"))
            [*_, mine] = await fake_api.wait_for_replies(CHAT, 3)
            assert real_kb.message("my_data_none") in mine.text and "/xoadulieu" in mine.text
    finally:
        await database.dispose()
