"""A citizen's way from a question to an agent's call, through the real Application and the loopback Bot API
(tests/fakes), on the real Service over SQLite and PostgreSQL: the answer on contributions, the calculator,
"Hỏi cán bộ tư vấn", consent, the details (the phone number shared with Telegram's contact button), a
restart in the middle, the confirmation; then the outbox worker notifies the area's agent, who claims the
lead and marks it called."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from bot.app import App
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, running
from bot.channels.telegram.outbox_sender import telegram_sender
from bot.core.leads.records import LeadStatus
from bot.storage import agents, leads
from bot.storage.migrations import migrate
from tests.apps import app_on
from tests.channels.conversations import Conversation
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.fakes.telegram_updates import callback_query, contact_message, shared_contact_message
from tests.storage_queries import STAFF

CITIZEN = 3001
AGENT = 3999
OFFICE = -1003
FAST = RetryPolicy(backoff=0.01)
POLL = 0.05  # seconds between the outbox worker's passes (2 in production): the agent hears at once


@asynccontextmanager
async def bot_process(api: FakeTelegram, store: Store) -> AsyncIterator[App]:
    """One bot process as `python -m bot run` builds it (service, agents' desk, outbox and deadline workers),
    with its own connections, on the fake Bot API."""
    app = app_on(store, office_chat_id=OFFICE, outbox_poll_seconds=POLL)
    await migrate(app.database)
    try:
        service = app.service(CHANNEL)
        application = build_application(api.token, api.base_url, service.handle, policy=FAST, desk=app.desk(CHANNEL))
        async with running(application, poll_timeout=1), app.background(telegram_sender(application.bot)):
            yield app
    finally:
        await app.database.dispose()


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No traceback, no token, and never the citizen's name or phone number, at any level."""
    with clean_logs(caplog, "Lê Thị Mai", "Mai", "912345678", "912 345 678"):
        yield


def with_button(messages: list[Sent], label: str) -> Sent:
    return next(m for m in messages if any(text == label for text, _ in m.buttons))


async def test_from_a_question_to_the_agents_phone(fake_api: FakeTelegram, store: Store) -> None:
    talk = Conversation(fake_api, CITIZEN)
    async with bot_process(fake_api, store) as app:
        async with app.database.transaction() as connection:
            await agents.add(connection, AGENT, "Trần Văn Hòa", "qn-tien-yen", app.clock())

        answer = await talk.say("bhxh tu nguyen dong bao nhieu 1 thang")
        income = await talk.press(with_button(answer, "Tính cho tôi"), "Tính cho tôi")
        assert "mức thu nhập" in income[-1].text
        group = await talk.say("3tr")
        months = await talk.press(group[-1], "Không thuộc nhóm nào")
        result = await talk.press(months[-1], "12 tháng")
        assert "Hỏi cán bộ tư vấn" in [label for label, _ in result[-1].buttons]

        consent = await talk.press(result[-1], "Hỏi cán bộ tư vấn")
        assert "91/2025/QH15" in consent[-1].text and "180 ngày" in consent[-1].text
        name = await talk.press(consent[-1], "Đồng ý")
        assert "họ tên" in name[-1].text
        phone = await talk.say("Lê Thị Mai")
        assert phone[-1].asks_for_contact  # Telegram's "share my number" button under the text field

    # The bot restarts while the citizen looks for the button: the flow waits in the database.
    async with bot_process(fake_api, store) as app:
        area = await talk.send(contact_message, CITIZEN, "+84 912 345 678")
        assert area[0].remove_keyboard and "xã, phường" in area[-1].text
        interest = await talk.say("x tien yen")
        time_to_call = await talk.press(interest[-1], "BHXH tự nguyện")
        done = await talk.press(time_to_call[-1], "Bất kỳ lúc nào")
        confirmation = "\n".join(message.text for message in done)
        assert "Trần Văn Hòa" in confirmation and "Xã Tiên Yên" in confirmation and "0912 345 678" in confirmation
        assert "/xoadulieu" in confirmation

        async with app.database.transaction() as connection:
            (lead,) = await leads.open_leads(connection, STAFF)
        assert lead.status is LeadStatus.NEW and lead.calculator is not None
        assert "BHXH tự nguyện, thu nhập 3.000.000 đồng/tháng, 12 tháng" in lead.calculator["summary"]

        [notice] = await fake_api.wait_for_replies(AGENT, 1)
        assert f"#{lead.id}" in notice.text and "Lê Thị Mai" in notice.text and "0912 345 678" in notice.text
        assert "BHXH tự nguyện, thu nhập 3.000.000 đồng/tháng" in notice.text
        assert [label for label, _ in notice.buttons][:2] == ["Nhận", "Đã gọi"]

        fake_api.enqueue(agent_press(900, notice, "Nhận"))
        claimed = await fake_api.wait_until(lambda: shown(fake_api, "Đã nhận"), 5.0, "the lead shown as claimed")
        fake_api.enqueue(agent_press(901, claimed, "Đã gọi"))
        await fake_api.wait_until(lambda: shown(fake_api, "Đã gọi"), 5.0, "the lead shown as called")

        async with app.database.transaction() as connection:
            history = await leads.history(connection, lead.id)
        assert [(h.from_status, h.to_status) for h in history] == [
            (None, LeadStatus.NEW),
            (LeadStatus.NEW, LeadStatus.CLAIMED),
            (LeadStatus.CLAIMED, LeadStatus.CALLED),
        ]
        assert {h.actor for h in history[1:]} == {f"agent:{AGENT}"}
    assert len(fake_api.sent(AGENT)) == 1  # one notification, edited in place: never a second copy


def agent_press(update_id: int, message: Sent, label: str) -> dict:
    [data] = [action for text, action in message.buttons if text == label]
    return callback_query(update_id, AGENT, data, message_id=message.message_id)


def shown(api: FakeTelegram, status: str) -> Sent | None:
    """The agent's notification once it shows the status."""
    return next((m for m in api.sent(AGENT) if status in m.text), None)


async def test_someone_elses_contact_card_is_not_taken_as_the_citizens_number(
    fake_api: FakeTelegram, store: Store
) -> None:
    talk = Conversation(fake_api, CITIZEN)
    async with bot_process(fake_api, store):
        consent = await talk.say("nhờ cán bộ gọi lại cho tôi")
        await talk.press(consent[-1], "Đồng ý")
        phone = await talk.say("Lê Thị Mai")
        assert phone[-1].asks_for_contact

        confirm = await talk.send(shared_contact_message, CITIZEN, "+84 987 654 321", CITIZEN + 1)
        assert "0987 654 321" in confirm[-1].text and not confirm[-1].asks_for_contact
        assert [label for label, _ in confirm[-1].buttons][:2] == ["Đúng, đây là số của tôi", "Không, tôi nhập số khác"]
        again = await talk.press(confirm[-1], "Không, tôi nhập số khác")
        assert again[-1].asks_for_contact  # the citizen's own number is asked for again

        area = await talk.send(contact_message, CITIZEN, "+84 912 345 678")
        assert "xã, phường" in area[-1].text
        interest = await talk.say("x tien yen")
        time_to_call = await talk.press(interest[-1], "BHYT hộ gia đình")
        done = "\n".join(message.text for message in await talk.press(time_to_call[-1], "Bất kỳ lúc nào"))
    assert "0912 345 678" in done and "0987 654 321" not in done
