"""A question typed in the middle of the call-back form, through the real Application and the loopback Bot
API (tests/fakes) on the real Service over SQLite and PostgreSQL: the question is answered with a button
back to the form (never "Số điện thoại chỉ gồm chữ số"), the form resumes where it was, and the request is
confirmed with the dated time the citizen pressed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from bot.app import App
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, running
from bot.storage import leads
from bot.storage.migrations import migrate
from tests.apps import app_on
from tests.channels.conversations import Conversation
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.storage_queries import STAFF

CITIZEN = 3101
OFFICE = -1031
FAST = RetryPolicy(backoff=0.01)


@asynccontextmanager
async def bot_process(api: FakeTelegram, store: Store) -> AsyncIterator[App]:
    app = app_on(store, office_chat_id=OFFICE)
    await migrate(app.database)
    try:
        application = build_application(api.token, api.base_url, app.service(CHANNEL).handle, policy=FAST)
        async with running(application, poll_timeout=1):
            yield app
    finally:
        await app.database.dispose()


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with clean_logs(caplog, "Lê Thị Mai", "912345678", "912 345 678"):
        yield


def labels(messages: list[Sent]) -> list[str]:
    return [text for message in messages for text, _ in message.buttons]


async def test_a_question_typed_mid_form_is_answered_and_the_form_resumes(fake_api: FakeTelegram, store: Store) -> None:
    talk = Conversation(fake_api, CITIZEN)
    async with bot_process(fake_api, store) as app:
        resume = app.kb.message("lead_resume")
        await talk.say("nhờ cán bộ gọi lại tư vấn cho tôi")
        await talk.say("đồng ý")
        phone = await talk.say("Lê Thị Mai")
        assert "Số điện thoại" in phone[0].text

        answered = await talk.say("đăng ký thì có mất phí không?")
        said = "\n".join(message.text for message in answered)
        assert resume in labels(answered) and "chỉ gồm chữ số" not in said

        again = await talk.press(answered, resume)
        assert app.kb.message("lead_phone_q") in "\n".join(message.text for message in again)
        await talk.say("0912 345 678")
        interest = await talk.say("tien yen")
        when = await talk.press(interest, "BHYT hộ gia đình")
        slot = next(label for label in labels(when) if label.startswith(("Sáng", "Chiều")))
        done = await talk.press(when, slot)

        async with app.database.transaction() as connection:
            (lead,) = await leads.open_leads(connection, STAFF)
    confirmation = "\n".join(message.text for message in done)
    assert lead.call_time is not None and lead.call_time in confirmation and lead.call_on is not None
    assert f"{lead.call_on:%d/%m}" in slot
