"""Hostile and odd input through the real Application and the loopback Bot API, on the real Service and
Desk over SQLite and PostgreSQL: names typed in decomposed Unicode, an old message edited into "đồng ý",
the agents' commands in groups, /themlead sent again and again."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import Update

from bot.app import App
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, running
from bot.channels.telegram.outbox_sender import telegram_sender
from bot.core.leads.records import LeadStatus
from bot.storage import agents, leads, sessions
from bot.storage.migrations import migrate
from tests.apps import app_on
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.fakes.telegram_updates import callback_query, chat, edited_message, text_message
from tests.storage_queries import STAFF

CITIZEN = 5001
AGENT = 5999  # serves Xã Tiên Yên
OFFICE = -1005  # the office chat: a group
STRANGERS = -1009  # a group the bot was added to by someone
FAST = RetryPolicy(backoff=0.01)
QUIET = 0.15  # seconds without a new message after which nothing more is taken to come
SETTLE = 0.05  # once the update is confirmed: seconds without a new message after which its reply is complete
POLL = 0.05  # seconds between the outbox worker's passes (2 in production): the agent hears at once
NAME = "Nguyễn Thị Lan"
DECOMPOSED = unicodedata.normalize("NFD", NAME)  # as Unikey's "tổ hợp" types it


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with clean_logs(caplog, NAME, DECOMPOSED, "912345678", "912 345 678"):
        yield


@asynccontextmanager
async def bot_process(api: FakeTelegram, store: Store, **settings: Any) -> AsyncIterator[App]:
    """One bot process as `python -m bot run` builds it, with agent AGENT registered."""
    app = app_on(store, office_chat_id=OFFICE, outbox_poll_seconds=POLL, **settings)
    await migrate(app.database)
    async with app.database.transaction() as connection:
        if await agents.by_chat(connection, AGENT) is None:
            await agents.add(connection, AGENT, "Trần Văn Hòa", "qn-tien-yen", app.clock())
    try:
        application = build_application(
            api.token, api.base_url, app.service(CHANNEL).handle, policy=FAST, desk=app.desk(CHANNEL)
        )
        async with running(application, poll_timeout=1), app.background(telegram_sender(application.bot)):
            yield app
    finally:
        await app.database.dispose()


class Chat:
    """One chat's updates, numbered from `first_update`, and the messages they were answered with."""

    def __init__(self, api: FakeTelegram, chat_id: int, first_update: int) -> None:
        self.api, self.chat_id, self.update_id, self.seen = api, chat_id, first_update, 0

    async def send(self, update: dict[str, Any]) -> list[Sent]:
        """Deliver one update; the messages it was answered with: once the bot has confirmed the update (its
        handler has returned and queued every part of the reply) and no more come for a moment."""
        self.api.enqueue(update)
        await self.api.wait_for_replies(self.chat_id, self.seen + 1)
        await self.api.wait_until(lambda: self.api.queued == 0, 5.0, "the update confirmed")
        count = -1
        while count != len(self.api.sent(self.chat_id)):
            count = len(self.api.sent(self.chat_id))
            await asyncio.sleep(SETTLE)
        new = self.api.sent(self.chat_id)[self.seen :]
        self.seen += len(new)
        return new

    def next_id(self) -> int:
        self.update_id += 1
        return self.update_id

    async def say(self, text: str) -> list[Sent]:
        return await self.send(text_message(self.next_id(), self.chat_id, text))

    async def press(self, message: Sent, label: str) -> list[Sent]:
        [data] = [action for shown, action in message.buttons if shown == label]
        return await self.send(callback_query(self.next_id(), self.chat_id, data, message.message_id))

    async def command(self, name: str, argument: str = "") -> list[Sent]:
        return await self.send(command_in(self.next_id(), self.chat_id, name, argument))


def command_in(update_id: int, chat_id: int, name: str, argument: str = "", chat_type: str = "private") -> dict:
    """/name argument as Telegram sends it (the entity covers the command), in a private chat or a group."""
    update = text_message(update_id, chat_id, f"/{name} {argument}".strip(), chat_type=chat_type)
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(name) + 1}]
    return update


async def to_the_consent(talk: Chat) -> list[Sent]:
    consent = await talk.say("cho tôi gặp cán bộ tư vấn, gọi lại cho tôi")
    assert [label for label, _ in consent[-1].buttons][:2] == ["Đồng ý", "Không, cảm ơn"]
    return consent


def assert_still_asked_to_consent(app: App, reply: Sent) -> None:
    """The reply asks again for the "Đồng ý" button; it does not go on to the name."""
    assert reply.text.startswith(app.kb.message("lead_consent_again"))
    assert app.kb.message("lead_name_q") not in reply.text


async def lead_names(app: App) -> list[str | None]:
    async with app.database.transaction() as connection:
        return [lead.name for lead in await leads.open_leads(connection, STAFF)]


# -- decomposed Unicode ----------------------------------------------------------------------------------


async def test_a_name_typed_in_decomposed_unicode_is_taken(api: FakeTelegram, store: Store) -> None:
    talk = Chat(api, CITIZEN, 0)
    async with bot_process(api, store) as app:
        consent = await to_the_consent(talk)
        name = await talk.press(consent[-1], "Đồng ý")
        assert "họ tên" in name[-1].text
        phone = await talk.say(DECOMPOSED)
        assert phone[-1].asks_for_contact, phone[-1].text  # on to the phone number: the name was taken
        agent = Chat(api, AGENT, 100)
        [registered] = await agent.command("themlead", f"{DECOMPOSED}, 0912 345 678, Tiên Yên, bhyt")
        assert "Đã ghi nhận yêu cầu" in registered.text
        assert await lead_names(app) == [NAME]  # stored composed: found by search, equal to itself


# -- edits ---------------------------------------------------------------------------------------------


async def test_editing_an_old_message_into_dong_y_is_not_consent(api: FakeTelegram, store: Store) -> None:
    talk = Chat(api, CITIZEN, 0)
    async with bot_process(api, store) as app:
        await to_the_consent(talk)
        api.enqueue(edited_message(talk.next_id(), CITIZEN, "đồng ý", message_id=1))
        [again] = await talk.say("ok")
        assert_still_asked_to_consent(app, again)
        async with app.database.transaction() as connection:
            session = await sessions.load(connection, f"{CHANNEL}:{CITIZEN}")
    assert session is not None and session.flow is not None and session.flow.step == "consent"
    assert "allowed_updates" in api.calls_of("getUpdates")[0].params
    assert "edited_message" not in api.calls_of("getUpdates")[0].params["allowed_updates"]


async def test_an_edited_message_delivered_anyway_drives_nothing(api: FakeTelegram, store: Store) -> None:
    """Telegram is asked for no edits; one that comes anyway (a webhook set up by hand) is not answered."""
    talk = Chat(api, CITIZEN, 0)
    async with bot_process(api, store) as app:
        await to_the_consent(talk)
        application = build_application(api.token, api.base_url, app.service(CHANNEL).handle, desk=app.desk(CHANNEL))
        async with application:
            edit = edited_message(talk.next_id(), CITIZEN, "đồng ý", message_id=1)
            await application.process_update(Update.de_json(edit, application.bot))
            await asyncio.sleep(QUIET)
        [again] = await talk.say("ok")
        assert_still_asked_to_consent(app, again)
    assert len(api.sent(CITIZEN)) == 2  # the consent question and its reminder: nothing for the edit


# -- groups --------------------------------------------------------------------------------------------


async def test_agents_commands_and_lead_buttons_say_nothing_in_a_group_but_the_office_chat(
    api: FakeTelegram, store: Store
) -> None:
    async with bot_process(api, store) as app:
        agent = Chat(api, AGENT, 0)
        [registered] = await agent.command("themlead", "Lê Văn Cường, 0987 654 321, Tiên Yên, bhxh")
        [data] = [action for label, action in registered.buttons if label == "Nhận"]
        pressed = callback_query(10, STRANGERS, data, message_id=registered.message_id)
        pressed["callback_query"]["message"]["chat"] = chat(STRANGERS, "supergroup")
        api.enqueue(
            command_in(11, STRANGERS, "leads", chat_type="supergroup"),
            command_in(12, STRANGERS, "themlead", "Võ Văn Em, 0987 654 323, Tiên Yên", chat_type="group"),
            command_in(13, STRANGERS, "ghichu", "1 gọi rồi", chat_type="supergroup"),
            pressed,
        )
        office = Chat(api, OFFICE, 20)
        [listing] = await office.send(command_in(21, OFFICE, "leads", chat_type="supergroup"))
        await api.wait_until(lambda: api.queued == 0, 5.0, "every update confirmed")
        await asyncio.sleep(QUIET)
        async with app.database.transaction() as connection:
            [lead] = await leads.open_leads(connection, STAFF)
            history = await leads.history(connection, lead.id)
    assert "Tất cả yêu cầu đang mở (1)" in listing.text  # the office chat acts on every lead
    assert api.sent(STRANGERS) == []
    assert (lead.status, len(history)) == (LeadStatus.NEW, 1)


# -- /themlead limit -----------------------------------------------------------------------------------


async def test_themlead_is_limited_per_agent_and_hour_across_a_restart(api: FakeTelegram, store: Store) -> None:
    agent = Chat(api, AGENT, 0)
    async with bot_process(api, store, themlead_per_hour=2) as app:
        for number in (1, 2):
            [done] = await agent.command("themlead", f"Người Số {'Một' if number == 1 else 'Hai'}, 0912 345 67{number}")
            assert "Đã ghi nhận yêu cầu" in done.text
        [refused] = await agent.command("themlead", "Người Số Ba, 0912 345 673")
    assert "2 yêu cầu trong một giờ" in refused.text
    async with bot_process(api, store, themlead_per_hour=2) as app:  # a restart (or another process)
        [still] = await agent.command("themlead", "Người Số Bốn, 0912 345 674")
        assert "2 yêu cầu trong một giờ" in still.text
        await agent.command("leads")  # the agent's other commands are not limited
        assert len(await lead_names(app)) == 2
