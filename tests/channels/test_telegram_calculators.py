"""A calculator conversation through the real Application and the loopback Bot API (tests/fakes), on the real
Service over SQLite and PostgreSQL (the `store` fixture): buttons, typed answers, a bad input, Back, a
restart of the bot in the middle of the flow, the result, Cancel and a stale button.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from bot.channels.telegram import CHANNEL, Handle, RetryPolicy, build_application, chat_key, running
from bot.core.calc.household import household_contribution
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.render import money
from bot.shell.live_knowledge import Knowledge
from bot.shell.service import Service
from bot.storage import sessions
from bot.storage.migrations import migrate
from tests.databases import Store
from tests.factories import TODAY
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_query, text_message

CHAT = 2001
FAST = RetryPolicy(backoff=0.01)
IDLE = timedelta(minutes=30)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def bot_process(
    api: FakeTelegram, store: Store, kb: KnowledgeBase, matcher: Matcher, clock: Clock
) -> AsyncIterator[Handle]:
    """One bot process: its own database connections, Service and Application on the same Bot API."""
    database = store.open()
    await migrate(database)
    try:
        service = Service(database, Knowledge(kb, matcher), lambda: TODAY, CHANNEL, now=clock, flow_idle=IDLE)
        application = build_application(api.token, api.base_url, service.handle, policy=FAST)
        async with running(application, poll_timeout=1):
            yield service.handle
    finally:
        await database.dispose()


def action(buttons: list[tuple[str, str]], label: str) -> str:
    found = [data for text, data in buttons if text == label]
    assert found, f"no button {label!r} in {buttons}"
    return found[0]


async def test_a_household_calculation_with_a_bad_input_a_back_and_a_restart_in_the_middle(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    clock = Clock()
    members_question = real_kb.message("calc_hgd_members_q")
    months_question = real_kb.message("calc_hgd_months_q")

    async with bot_process(fake_api, store, real_kb, real_matcher, clock):
        fake_api.enqueue(text_message(1, CHAT, "tính tiền bhyt cho cả nhà"))
        [start] = await fake_api.wait_for_replies(CHAT, 1)
        assert start.text == f"{real_kb.message('calc_hgd_intro')}\n\n{members_question}"
        assert [label for label, _ in start.buttons] == ["1 người", "2 người", "3 người", "4 người", "5 người", "Hủy"]

        fake_api.enqueue(text_message(2, CHAT, "nhiều lắm"))  # a bad input
        [*_, bad] = await fake_api.wait_for_replies(CHAT, 2)
        assert bad.text == f"{real_kb.message('calc_hgd_invalid_members')}\n\n{members_question}"

        fake_api.enqueue(callback_query(3, CHAT, action(start.buttons, "3 người"), message_id=start.message_id))
        [*_, months] = await fake_api.wait_for_replies(CHAT, 3)
        assert months.text == months_question

        fake_api.enqueue(callback_query(4, CHAT, action(months.buttons, "« Quay lại"), message_id=months.message_id))
        [*_, back] = await fake_api.wait_for_replies(CHAT, 4)
        assert back.text == members_question

    # The bot restarts while the citizen is thinking: the flow waits in the database.
    clock.now += timedelta(minutes=5)
    async with bot_process(fake_api, store, real_kb, real_matcher, clock):
        fake_api.enqueue(text_message(5, CHAT, "nhà mình 4 người"))
        [*_, resumed] = await fake_api.wait_for_replies(CHAT, 5)
        assert resumed.text == months_question

        fake_api.enqueue(callback_query(6, CHAT, action(resumed.buttons, "12 tháng"), message_id=resumed.message_id))
        [*_, result] = await fake_api.wait_for_replies(CHAT, 6)
        expected = household_contribution(real_kb.policy, TODAY, 4, 12)
        assert f"Tổng cộng: {money(expected.total)}" in result.text
        assert "tính theo quy định ngày 23/11/2026" in result.text and "Căn cứ:" in result.text
        labels = [label for label, _ in result.buttons]
        assert labels == ["Tính lại", "Hỏi cán bộ tư vấn", "Xem căn cứ pháp lý", "Menu chính"]

        fake_api.enqueue(callback_query(7, CHAT, action(months.buttons, "6 tháng"), message_id=months.message_id))
        [*_, stale] = await fake_api.wait_for_replies(CHAT, 7)
        assert stale.text == real_kb.message("flow_stale")

        fake_api.enqueue(callback_query(8, CHAT, action(result.buttons, "Tính lại"), message_id=result.message_id))
        [*_, again] = await fake_api.wait_for_replies(CHAT, 8)
        assert again.text.endswith(members_question)

        fake_api.enqueue(callback_query(9, CHAT, action(again.buttons, "Hủy"), message_id=again.message_id))
        [*_, cancelled] = await fake_api.wait_for_replies(CHAT, 9)
        assert cancelled.text == real_kb.message("flow_cancelled")

    database = store.open()
    try:
        async with database.transaction() as connection:
            session = await sessions.load(connection, chat_key(CHAT))
    finally:
        await database.dispose()
    assert session is not None and session.flow is None and session.turns == 9


async def test_a_question_with_the_numbers_gets_the_result_at_once_and_an_idle_flow_expires(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    clock = Clock()
    async with bot_process(fake_api, store, real_kb, real_matcher, clock):
        fake_api.enqueue(text_message(1, CHAT, "nha 4 nguoi mua bhyt 1 nam het bao nhieu"))
        [result] = await fake_api.wait_for_replies(CHAT, 1)
        assert f"Tổng cộng: {money(household_contribution(real_kb.policy, TODAY, 4, 12).total)}" in result.text

        fake_api.enqueue(callback_query(2, CHAT, action(result.buttons, "Tính lại"), message_id=result.message_id))
        [_, question] = await fake_api.wait_for_replies(CHAT, 2)
        clock.now += IDLE + timedelta(minutes=1)
        fake_api.enqueue(callback_query(3, CHAT, action(question.buttons, "2 người"), message_id=question.message_id))
        [*_, expired] = await fake_api.wait_for_replies(CHAT, 3)
    assert expired.text == real_kb.message("flow_expired")
