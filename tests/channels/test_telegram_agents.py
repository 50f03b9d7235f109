"""The agents' side end to end: a lead stored as the citizen flow stores it, the outbox worker delivering its
notification through the running Application's bot to the loopback Bot API, and the agent pressing its
buttons there. On SQLite and on PostgreSQL.

The outbox worker runs on a clock the test moves (`Clock`), so a retry's wait is checked to the second
without waiting for it; everything else is waited for on what the bot sends, never for a fixed time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import system_clock
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, running
from bot.channels.telegram.outbox_sender import telegram_sender
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.messages import lead_buttons
from bot.core.leads.records import CITIZEN, LeadAction, LeadRecord, LeadStatus
from bot.core.matcher import Matcher
from bot.shell.desk import NOT_AN_AGENT, NOT_YOURS, Desk
from bot.shell.live_knowledge import Knowledge
from bot.shell.service import Service
from bot.storage import agents, leads, outbox
from bot.storage.db import Database
from bot.storage.leads import HistoryEntry
from bot.workers.background import background
from bot.workers.outbox import OutboxPolicy
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.factories import TODAY
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.fakes.telegram_updates import callback_query, chat, command, text_message
from tests.lead_factories import AREAS, CONTEXT, NAME, NOW, OFFICE_CHAT, PHONE, migrated, new_lead

AGENT_A, AGENT_C, CITIZEN_CHAT = 111, 333, 777  # A serves Xã Tiên Yên, C Phường Hồng Gai
FAST = RetryPolicy(backoff=0.01)
WORKER = OutboxPolicy(backoff=timedelta(seconds=5), lease=timedelta(minutes=2), poll_seconds=0.01)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Office:
    store: Store
    database: Database
    lead: LeadRecord
    clock: Clock

    async def history(self) -> list[HistoryEntry]:
        async with self.database.transaction() as connection:
            return await leads.history(connection, self.lead.id)

    async def notification_row(self) -> outbox.OutboxRow:
        async with self.database.transaction() as connection:
            [row] = await outbox.rows(connection, self.lead.id)
        return row

    async def lead_now(self) -> LeadRecord:
        async with self.database.transaction() as connection:
            return await leads.get(connection, self.lead.id)


@pytest.fixture
async def office(store: Store) -> AsyncIterator[Office]:
    """Agents A and C, and one lead for Xã Tiên Yên stored with its notification to A in the outbox."""
    async with migrated(store) as database:
        async with database.transaction() as connection:
            await agents.add(connection, AGENT_A, "Đại lý A", "qn-tien-yen", NOW)
            await agents.add(connection, AGENT_C, "Đại lý C", "qn-hong-gai", NOW)
            created = await leads.create(connection, new_lead(), CONTEXT, NOW, NOW + timedelta(days=2), CITIZEN)
        yield Office(store, database, created.lead, Clock())


@asynccontextmanager
async def bot_with_workers(
    api: FakeTelegram, office: Office, kb: KnowledgeBase, matcher: Matcher
) -> AsyncIterator[None]:
    """One bot process: its own database connections, the Application with the desk, the workers."""
    async with office.store.open() as database:
        service = Service(database, Knowledge(kb, matcher), lambda: TODAY, CHANNEL, now=system_clock)
        desk = Desk(database, CONTEXT, AREAS, now=office.clock)
        application = build_application(api.token, api.base_url, service.handle, policy=FAST, desk=desk)
        async with (
            running(application, poll_timeout=1),
            background(database, telegram_sender(application.bot), CONTEXT, clock=office.clock, policy=WORKER),
        ):
            yield


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No traceback, no token, and never the citizen's name or phone number, at any level."""
    with clean_logs(caplog, NAME, PHONE, "0912 345 678"):
        yield


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 5.0) -> Any:
    """The check's value once it is truthy, asked again every 10 ms (for what is only seen in the database)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := await check()):
        if loop.time() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        await asyncio.sleep(0.01)
    return result


def labels_and_actions(lead: LeadRecord, status: LeadStatus) -> list[tuple[str, str]]:
    return [(button.label, button.action) for button in lead_buttons(lead.id, status)]


async def press(
    api: FakeTelegram, update_id: int, chat_id: int, message: Sent, label: str, group: bool = False
) -> None:
    """The agent presses the button with this label under the message, as it is shown now (in a group chat:
    the office chat is one)."""
    [data] = [action for shown, action in message.buttons if shown == label]
    update = callback_query(update_id, chat_id, data, message_id=message.message_id)
    if group:
        update["callback_query"]["message"]["chat"] = chat(chat_id, "supergroup")
    api.enqueue(update)


async def edited(api: FakeTelegram, chat_id: int, status: str, count: int) -> Sent:
    """The chat's one message once `count` edits have been made and it shows the status."""
    await api.wait_for_calls("editMessageText", count)
    [message] = await api.wait_until(
        lambda: [m for m in api.sent(chat_id) if status in m.text], 5.0, f"a message showing {status}"
    )
    return message


async def nhan_then_da_goi(api: FakeTelegram, office: Office, notice: Sent) -> None:
    await press(api, 1, AGENT_A, notice, "Nhận")
    claimed = await edited(api, AGENT_A, "Đã nhận", 1)
    assert claimed.message_id == notice.message_id
    assert claimed.buttons == labels_and_actions(office.lead, LeadStatus.CLAIMED)
    await press(api, 2, AGENT_A, claimed, "Đã gọi")
    called = await edited(api, AGENT_A, f"Yêu cầu #{office.lead.id} · Đã gọi", 2)
    assert called.buttons == labels_and_actions(office.lead, LeadStatus.CALLED)
    history = await office.history()
    assert [(h.from_status, h.to_status, h.actor) for h in history] == [
        (None, LeadStatus.NEW, "citizen"),
        (LeadStatus.NEW, LeadStatus.CLAIMED, f"agent:{AGENT_A}"),
        (LeadStatus.CLAIMED, LeadStatus.CALLED, f"agent:{AGENT_A}"),
    ]
    assert len(api.sent(AGENT_A)) == 1  # every change shown in the notification itself


# -- the lead reaches the agent, who works it from the notification ------------------------------------


async def test_the_agent_gets_the_lead_and_presses_nhan_then_da_goi(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with FakeTelegram() as api, bot_with_workers(api, office, real_kb, real_matcher):
        [notice] = await api.wait_for_replies(AGENT_A, 1)
        assert f"Yêu cầu tư vấn mới #{office.lead.id}" in notice.text
        assert NAME in notice.text and "0912 345 678" in notice.text
        assert notice.buttons == labels_and_actions(office.lead, LeadStatus.NEW)
        await nhan_then_da_goi(api, office, notice)
    assert (await office.notification_row()).attempts == 1


async def test_a_500_then_a_429_delay_the_notification_by_the_backoff_then_exactly_the_retry_after(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with FakeTelegram() as api, bot_with_workers(api, office, real_kb, real_matcher):
        api.fail("sendMessage", 500, chat_id=AGENT_A)
        api.fail("sendMessage", 429, retry_after=30, chat_id=AGENT_A)

        async def rescheduled(attempts: int, error: str) -> outbox.OutboxRow | None:
            row = await office.notification_row()
            return row if row.attempts == attempts and error in (row.last_error or "") else None

        first = await eventually(lambda: rescheduled(1, "NetworkError"), "the 500 recorded")
        assert first.next_attempt_at == NOW + WORKER.backoff
        office.clock.now = first.next_attempt_at
        second = await eventually(lambda: rescheduled(2, "429"), "the 429 recorded")
        assert second.next_attempt_at == office.clock.now + timedelta(seconds=30)
        assert api.sent(AGENT_A) == []
        office.clock.now = second.next_attempt_at
        [notice] = await api.wait_for_replies(AGENT_A, 1)
        await nhan_then_da_goi(api, office, notice)
    assert [call.status for call in api.calls_of("sendMessage")] == [500, 429, 200]


async def test_a_send_lost_with_the_bot_stopping_is_delivered_once_after_the_restart(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with FakeTelegram() as api:
        api.fail("sendMessage", 0, chat_id=AGENT_A)  # the connection drops: was it sent? the outbox tries again
        async with bot_with_workers(api, office, real_kb, real_matcher):
            await api.wait_for_calls("sendMessage", 1)
        assert api.sent(AGENT_A) == []
        office.clock.now += timedelta(minutes=5)  # the backoff, or a dead worker's lease, is over
        async with bot_with_workers(api, office, real_kb, real_matcher):
            [notice] = await api.wait_for_replies(AGENT_A, 1)
            await nhan_then_da_goi(api, office, notice)
        async with bot_with_workers(api, office, real_kb, real_matcher):  # and once more: nothing is resent
            api.enqueue(command(3, AGENT_A, "leads"))
            await api.wait_for_replies(AGENT_A, 2)
    assert len(api.sent(AGENT_A)) == 2 and "Yêu cầu đang mở của anh/chị (1)" in api.sent(AGENT_A)[1].text
    assert [call.status for call in api.calls_of("sendMessage") if call.params["chat_id"] == AGENT_A] == [0, 200, 200]


async def test_a_notification_claimed_by_a_process_that_died_is_sent_once_when_its_lease_ends(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with office.database.transaction() as connection:  # a worker claims the row, then its process dies
        await outbox.claim_due(connection, NOW, WORKER.batch, WORKER.lease)
    async with FakeTelegram() as api, bot_with_workers(api, office, real_kb, real_matcher):
        api.enqueue(command(1, AGENT_A, "leads"))  # the bot is up and its worker has passed over the row
        [listing] = await api.wait_for_replies(AGENT_A, 1)
        assert "Yêu cầu đang mở" in listing.text
        office.clock.now = NOW + WORKER.lease
        [_, notice] = await api.wait_for_replies(AGENT_A, 2)
        assert notice.buttons == labels_and_actions(office.lead, LeadStatus.NEW)
    row = await office.notification_row()
    assert (row.attempts, row.sent_at) == (2, NOW + WORKER.lease)
    assert len(api.calls_of("sendMessage")) == 2  # the listing and the notification, once


# -- who may press ------------------------------------------------------------------------------------


async def test_a_button_pressed_by_another_areas_agent_does_nothing_but_say_so(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with FakeTelegram() as api, bot_with_workers(api, office, real_kb, real_matcher):
        [notice] = await api.wait_for_replies(AGENT_A, 1)
        forwarded = f"lead:{office.lead.id}:{LeadAction.CLAIM.value}"
        api.enqueue(callback_query(1, AGENT_C, forwarded, message_id=77))
        [reply] = await api.wait_for_replies(AGENT_C, 1)
        api.enqueue(callback_query(2, CITIZEN_CHAT, forwarded, message_id=78))
        [citizen_reply] = await api.wait_for_replies(CITIZEN_CHAT, 1)
    assert reply.text == citizen_reply.text == NOT_YOURS
    assert reply.buttons == []
    assert api.calls_of("editMessageText") == []
    assert api.sent(AGENT_A) == [notice]
    assert (await office.lead_now()).status == LeadStatus.NEW
    assert len(await office.history()) == 1


async def test_a_forged_lead_button_with_a_huge_id_gets_a_polite_answer_not_busy(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with FakeTelegram() as api, bot_with_workers(api, office, real_kb, real_matcher):
        await api.wait_for_replies(AGENT_A, 1)
        api.enqueue(callback_query(1, AGENT_A, f"lead:{'9' * 30}:claim", message_id=77))
        [_, reply] = await api.wait_for_replies(AGENT_A, 2)
    assert reply.text == "Nút này không còn dùng được."
    assert (await office.lead_now()).status == LeadStatus.NEW


# -- commands -----------------------------------------------------------------------------------------


def command_with(update_id: int, chat_id: int, name: str, argument: str) -> dict[str, Any]:
    """/name argument, as Telegram sends it (the entity covers the command only)."""
    update = text_message(update_id, chat_id, f"/{name} {argument}")
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(name) + 1}]
    return update


async def test_themlead_then_ghichu_then_leads_from_the_agents_chat(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with FakeTelegram() as api, bot_with_workers(api, office, real_kb, real_matcher):
        await api.wait_for_replies(AGENT_A, 1)
        api.enqueue(command_with(1, AGENT_A, "themlead", "Lê Văn Cường, 0987 654 321, Tiên Yên, bhxh"))
        [_, registered] = await api.wait_for_replies(AGENT_A, 2)
        assert "đồng ý bằng lời nói" in registered.text and registered.buttons[0][0] == "Nhận"
        api.enqueue(command_with(2, AGENT_A, "ghichu", "2 Gặp ở chợ, hẹn tối gọi"))
        api.enqueue(command(3, AGENT_A, "leads"))
        [*_, noted, listing] = await api.wait_for_replies(AGENT_A, 4)
        api.enqueue(command(4, CITIZEN_CHAT, "leads"), command(5, CITIZEN_CHAT, "start"))
        [refused, greeting] = await api.wait_for_replies(CITIZEN_CHAT, 2)
    assert "Đã ghi chú vào yêu cầu #2" in noted.text
    assert "Yêu cầu đang mở của anh/chị (2)" in listing.text and "Lê Văn Cường" in listing.text
    assert [label for label, _ in listing.buttons] == [f"#1 {NAME}", "#2 Lê Văn Cường"]
    assert refused.text == f"{NOT_AN_AGENT}\nMã chat của anh/chị: {CITIZEN_CHAT}"
    assert greeting.text == real_kb.message("greeting")  # the citizen's path is untouched
    async with office.database.transaction() as connection:
        [_, note] = await leads.history(connection, 2)
    assert note.note == "Gặp ở chợ, hẹn tối gọi"


# -- deadlines and the office chat --------------------------------------------------------------------


async def test_an_overdue_lead_is_reminded_to_the_agent_and_the_office_chat_hands_it_to_its_queue(
    office: Office, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    assert office.lead.due_at is not None
    office.clock.now = office.lead.due_at + timedelta(minutes=1)
    async with FakeTelegram() as api, bot_with_workers(api, office, real_kb, real_matcher):
        [_, reminder] = await api.wait_for_replies(AGENT_A, 2)
        [escalation] = await api.wait_for_replies(OFFICE_CHAT, 1)
        assert f"Nhắc lại: yêu cầu #{office.lead.id} đã quá hạn" in reminder.text
        assert "quá hạn liên hệ (đại lý Đại lý A)" in escalation.text
        await press(api, 1, OFFICE_CHAT, escalation, "Chuyển", group=True)
        menu = await edited(api, OFFICE_CHAT, "Chuyển cho ai?", 1)
        assert [label for label, _ in menu.buttons] == ["Văn phòng", "Quay lại"]
        await press(api, 2, OFFICE_CHAT, menu, "Văn phòng", group=True)
        moved = await edited(api, OFFICE_CHAT, "Đã chuyển yêu cầu", 2)
        [_, queued] = await api.wait_for_replies(OFFICE_CHAT, 2)
    assert moved.buttons == labels_and_actions(office.lead, LeadStatus.NEW)  # staff may still act on it
    assert "Chưa có đại lý phụ trách" in queued.text
    lead = await office.lead_now()
    assert (lead.agent_id, lead.status) == (None, LeadStatus.NEW)
    assert [(h.from_status, h.to_status, h.actor) for h in await office.history()][1:] == [
        (LeadStatus.NEW, LeadStatus.NEW, f"staff:{OFFICE_CHAT}")
    ]
