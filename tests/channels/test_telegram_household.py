"""The household BHYT calculator through the real Application and the loopback Bot API (tests/fakes), on the real
Service over SQLite and PostgreSQL: a household described member by member (some of whom do not buy at the
household rate), then a follow-up that changes the period, kept across a restart of the bot."""

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

CHAT = 2014
FAST = RetryPolicy(backoff=0.01)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def bot_process(api: FakeTelegram, store: Store, kb: KnowledgeBase, matcher: Matcher) -> AsyncIterator[Handle]:
    database = store.open()
    await migrate(database)
    try:
        service = Service(
            database, Knowledge(kb, matcher), lambda: TODAY, CHANNEL, now=lambda: NOW, flow_idle=timedelta(hours=1)
        )
        application = build_application(api.token, api.base_url, service.handle, policy=FAST)
        async with running(application, poll_timeout=1):
            yield service.handle
    finally:
        await database.dispose()


def pressing(buttons: list[tuple[str, str]], label: str) -> str:
    found = [data for text, data in buttons if text == label]
    assert found, f"no button {label!r} in {buttons}"
    return found[0]


async def test_a_household_with_members_who_do_not_pay_and_a_follow_up_after_a_restart(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    three_for_a_year = household_contribution(real_kb.policy, TODAY, 3, 12)
    three_for_half_a_year = household_contribution(real_kb.policy, TODAY, 3, 6)
    async with bot_process(fake_api, store, real_kb, real_matcher):
        described = "tinh bhyt ca nha 5 nguoi: 2 vo chong, me chong 70 tuoi, con 8 tuoi di hoc va con 3 tuoi"
        fake_api.enqueue(text_message(1, CHAT, described))
        [months] = await fake_api.wait_for_replies(CHAT, 1)
        assert months.text.endswith(real_kb.message("calc_hgd_months_q"))

        fake_api.enqueue(callback_query(2, CHAT, pressing(months.buttons, "12 tháng"), message_id=months.message_id))
        [*_, result] = await fake_api.wait_for_replies(CHAT, 2)
        assert f"Tổng cộng: {money(three_for_a_year.total)}" in result.text
        assert "• Người thứ 3 – Mẹ chồng 70 tuổi (60% người thứ nhất)" in result.text
        assert "• Con 8 tuổi: học sinh, sinh viên mua BHYT ở trường" in result.text
        assert "• Con 3 tuổi: trẻ em dưới 6 tuổi (*) được Nhà nước cấp thẻ BHYT miễn phí" in result.text

    # The bot restarts; the citizen's follow-up is still read against the result.
    async with bot_process(fake_api, store, real_kb, real_matcher):
        fake_api.enqueue(text_message(3, CHAT, "nếu đóng 6 tháng thì sao"))
        [*_, again] = await fake_api.wait_for_replies(CHAT, 3)
        assert f"Tổng cộng: {money(three_for_half_a_year.total)}" in again.text
        assert "• Con 3 tuổi: trẻ em dưới 6 tuổi" in again.text

    database = store.open()
    try:
        async with database.transaction() as connection:
            session = await sessions.load(connection, chat_key(CHAT))
    finally:
        await database.dispose()
    assert session is not None and session.flow is None and session.last_flow == "household"
    assert dict(session.last_inputs)["months"] == 6
