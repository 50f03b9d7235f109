"""A citizen's call-back request through the real service on SQLite and PostgreSQL: consent first, then the
details; the lead, its proof of consent, its history and the agent's notification are stored together;
declining stores nothing personal; /xoadulieu erases it; no name or phone number reaches the log."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.core.leads.consent import ConsentChannel
from bot.core.leads.records import Interest, LeadStatus
from bot.core.types import Inbound, InboundKind, Outcome
from bot.shell.service import Service
from bot.storage import agents, leads, outbox, sessions
from bot.storage.migrations import migrate
from bot.storage.tables import interest_signals
from bot.storage.tables import leads as leads_table
from tests.apps import app_on
from tests.databases import Store
from tests.storage_queries import STAFF, signals_of

CHAT = "telegram:4242"
AGENT_CHAT = 777001
OFFICE_CHAT = -100900
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
NAME, PHONE_TYPED, PHONE = "nguyễn thị lan", "0912 345 678", "+84912345678"


@pytest.fixture
async def app(store: Store) -> AsyncIterator[App]:
    """The bot as `python -m bot run` builds it (knowledge/, leads.yaml, areas.yaml), on the migrated test
    database (tests/apps.py); its engine is disposed after the test."""
    built = app_on(store, office_chat_id=OFFICE_CHAT)
    await migrate(built.database)
    try:
        yield built
    finally:
        await built.database.dispose()


class Chat:
    """One citizen talking to the service, update ids counting up, the clock standing still."""

    def __init__(self, service: Service, chat: str = CHAT) -> None:
        self.service = service
        self.chat = chat
        self.update_id = 1000

    async def send(self, kind: InboundKind, text: str = "", action: str = "") -> Outcome:
        self.update_id += 1
        outcome = await self.service.handle(Inbound(self.chat, kind, text=text, action=action), self.update_id)
        assert outcome is not None
        return outcome

    async def say(self, text: str) -> Outcome:
        return await self.send(InboundKind.TEXT, text)

    async def press(self, label: str, outcome: Outcome) -> Outcome:
        buttons = {button.label: button.action for reply in outcome.replies for button in reply.buttons}
        assert label in buttons, f"no button {label!r} in {list(buttons)}"
        return await self.send(InboundKind.ACTION, action=buttons[label])


def text_of(outcome: Outcome) -> str:
    return "\n".join(reply.text for reply in outcome.replies)


def service_at(app: App, now: datetime = NOW) -> Service:
    service = app.service("telegram")
    service.now = lambda: now
    return service


async def add_agent(app: App, area: str = "qn-tien-yen") -> None:
    async with app.database.transaction() as connection:
        await agents.add(connection, AGENT_CHAT, "Trần Văn Hòa", area, NOW)


async def lead_count(app: App) -> int:
    async with app.database.transaction() as connection:
        return int(await connection.scalar(select(func.count()).select_from(leads_table)))


async def ask_for_a_call(chat: Chat) -> Outcome:
    """From the question to the consent text."""
    outcome = await chat.say("toi muon dang ky, nho can bo goi lai tu van")
    assert "Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15" in text_of(outcome)
    return outcome


async def agree_and_give_a_name(chat: Chat) -> Outcome:
    """From the question to the phone number's question."""
    await chat.press("Đồng ý", await ask_for_a_call(chat))
    return await chat.say(NAME)


async def give_details(chat: Chat, consent: Outcome) -> Outcome:
    outcome = await chat.press("Đồng ý", consent)
    assert "họ tên" in text_of(outcome)
    outcome = await chat.say(NAME)
    assert any(reply.contact_request for reply in outcome.replies)  # the "share my number" button
    outcome = await chat.send(InboundKind.CONTACT, PHONE_TYPED)
    assert outcome.replies[0].clear_keyboard
    outcome = await chat.say("tien yen")
    outcome = await chat.press("BHXH tự nguyện", outcome)
    return await chat.press("Sáng mai 08/12", outcome)  # NOW is Monday 07/12/2026, 09:00


async def test_a_citizen_who_says_cho_bac_hoi_is_called_bac_in_the_lead_s_confirmation_too(app: App) -> None:
    await add_agent(app)
    chat = Chat(service_at(app))
    consent = await chat.say("cho bac hoi, muon dang ky, nho can bo goi lai tu van")
    done = await give_details(chat, consent)
    said = text_of(done)
    assert "Trần Văn Hòa" in said and "bác" in said
    assert re.search(r"(?<!\w)[bB]ạn(?!\w)", said) is None


async def test_a_lead_is_stored_with_its_consent_and_the_agent_is_notified_in_the_same_transaction(app: App) -> None:
    await add_agent(app)
    chat = Chat(service_at(app))
    done = await give_details(chat, await ask_for_a_call(chat))

    said = text_of(done)
    assert "Trần Văn Hòa" in said and "Xã Tiên Yên" in said and "0912 345 678" in said
    assert "/xoadulieu" in said
    assert "trước 09:00 ngày 09/12/2026" in said  # Monday 09:00 + two working days of office time
    async with app.database.transaction() as connection:
        (lead,) = await leads.open_leads(connection, STAFF)
        queued = await outbox.rows(connection, lead.id)
        history = await leads.history(connection, lead.id)
        session = await sessions.load(connection, CHAT)
    assert (lead.name, lead.phone_e164, lead.area_code) == ("Nguyễn Thị Lan", PHONE, "qn-tien-yen")
    assert lead.interest is Interest.VOLUNTARY_BHXH and lead.call_time == "Sáng thứ Ba 08/12/2026"
    assert (lead.call_on, lead.call_part, lead.place_typed) == (date(2026, 12, 8), "am", None)
    assert "Sáng thứ Ba 08/12/2026" in said and "Sáng thứ Ba 08/12/2026" in queued[0].payload["text"]
    assert lead.consent_channel is ConsentChannel.TELEGRAM and not lead.consent_oral
    assert lead.consent_version == "2026-02/180d/90d"
    assert lead.consent_at == NOW
    assert lead.status is LeadStatus.NEW and lead.due_at is not None
    assert [row.chat_id for row in queued] == [AGENT_CHAT]
    assert "Nguyễn Thị Lan" in queued[0].payload["text"]
    assert [(h.from_status, h.to_status) for h in history] == [(None, LeadStatus.NEW)]
    assert session is not None and session.flow is None and session.callback_offered


async def test_an_area_without_an_agent_goes_to_the_office_queue(app: App) -> None:
    chat = Chat(service_at(app))
    done = await give_details(chat, await ask_for_a_call(chat))
    assert "Bảo hiểm xã hội tỉnh Quảng Ninh" in text_of(done)
    async with app.database.transaction() as connection:
        (lead,) = await leads.open_leads(connection, STAFF)
        queued = await outbox.rows(connection, lead.id)
    assert lead.agent_id is None
    assert [row.chat_id for row in queued] == [OFFICE_CHAT]


async def test_declining_consent_stores_nothing_personal(app: App) -> None:
    chat = Chat(service_at(app))
    outcome = await chat.press("Không, cảm ơn", await ask_for_a_call(chat))
    assert "không lưu thông tin" in text_of(outcome)
    assert await lead_count(app) == 0
    async with app.database.transaction() as connection:
        session = await sessions.load(connection, CHAT)
    assert session is not None and session.flow is None


async def test_anything_but_the_agree_button_does_not_count_as_consent(app: App) -> None:
    chat = Chat(service_at(app))
    consent = await ask_for_a_call(chat)
    outcome = await chat.say(NAME)  # a name typed before agreeing is not taken
    assert "Đồng ý" in text_of(outcome)
    async with app.database.transaction() as connection:
        session = await sessions.load(connection, CHAT)
    assert session is not None and session.flow is not None and session.flow.step == "consent"
    assert "Lan" not in repr(session.flow.answers)
    assert (await chat.press("Đồng ý", consent)).replies


async def test_a_misspelt_area_offers_choices_and_a_choice_is_taken(app: App) -> None:
    chat = Chat(service_at(app))
    await agree_and_give_a_name(chat)
    await chat.say(PHONE_TYPED)
    outcome = await chat.say("mong cai")
    labels = [button.label for reply in outcome.replies for button in reply.buttons]
    assert "Phường Móng Cái 1" in labels and "Phường Móng Cái 2" in labels
    outcome = await chat.press("Phường Móng Cái 2", outcome)
    assert "nội dung nào" in text_of(outcome)


async def test_a_bad_phone_number_is_explained_and_asked_again(app: App) -> None:
    chat = Chat(service_at(app))
    await agree_and_give_a_name(chat)
    outcome = await chat.say("1900 9068")
    assert "không gọi lại được" in text_of(outcome)
    assert any(reply.contact_request for reply in outcome.replies)


async def test_the_calculator_result_goes_with_the_lead(app: App) -> None:
    chat = Chat(service_at(app))
    result = await chat.say("nhà 4 người mua bhyt 12 tháng hết bao nhiêu")
    consent = await chat.press("Hỏi cán bộ tư vấn", result)
    await give_details(chat, consent)
    async with app.database.transaction() as connection:
        (lead,) = await leads.open_leads(connection, STAFF)
    assert lead.calculator is not None and "BHYT hộ gia đình, 4 người, 12 tháng" in lead.calculator["summary"]


async def test_interest_signals_lead_to_one_offer_of_a_call_back(app: App) -> None:
    chat = Chat(service_at(app))
    first = await chat.say("muc dong bhxh tu nguyen la bao nhieu")
    assert "Tư vấn cho tôi" not in [b.label for r in first.replies for b in r.buttons]
    second = await chat.say("dang ky bhxh tu nguyen o dau")
    assert "Tư vấn cho tôi" in [b.label for r in second.replies for b in r.buttons]
    third = await chat.say("bhyt ho gia dinh dong bao nhieu")  # more interest, but no second offer
    assert "Tư vấn cho tôi" not in [b.label for r in third.replies for b in r.buttons]
    async with app.database.transaction() as connection:
        recorded = await signals_of(connection, CHAT)
    kinds = [signal.kind.value for signal in recorded]
    assert kinds == ["asked-contribution", "asked-how-to-register", "offered", "asked-household-bhyt"]


async def test_erasing_anonymises_the_lead_and_tells_the_agent(app: App) -> None:
    await add_agent(app)
    chat = Chat(service_at(app))
    await give_details(chat, await ask_for_a_call(chat))
    outcome = await chat.send(InboundKind.ERASE)
    assert "đã xóa" in text_of(outcome)
    async with app.database.transaction() as connection:
        (row,) = (await connection.execute(select(leads_table))).all()
        remaining_signals = await connection.scalar(select(func.count()).select_from(interest_signals))
        lead = await leads.get(connection, row.id)
        queued = await outbox.rows(connection, lead.id)
    assert (lead.name, lead.phone_e164, lead.session_key) == (None, None, None)
    assert lead.status is LeadStatus.WITHDRAWN
    assert remaining_signals == 0
    assert any("rút lại đồng ý" in row.payload["text"] for row in queued)


async def test_erasing_is_understood_in_words_too(app: App) -> None:
    chat = Chat(service_at(app))
    outcome = await chat.say("xoa du lieu cua toi")
    outcome = await chat.press("Xóa", outcome)  # asked once: "Xóa" / "Không"
    assert "đã xóa" in text_of(outcome)


async def test_an_idle_lead_flow_forgets_what_it_collected(app: App) -> None:
    chat = Chat(service_at(app))
    await agree_and_give_a_name(chat)
    chat.service = service_at(app, NOW + timedelta(hours=2))
    await chat.say("bhyt hộ gia đình")
    async with app.database.transaction() as connection:
        session = await sessions.load(connection, CHAT)
    assert session is not None and (session.flow is None or session.flow.name != "lead")
    assert "Lan" not in repr(session)


async def test_no_name_or_phone_number_reaches_the_log(app: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await add_agent(app)
    chat = Chat(service_at(app))
    await give_details(chat, await ask_for_a_call(chat))
    await chat.send(InboundKind.ERASE)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "lead" in logged  # the lead's creation is logged, by id
    for secret in ("Lan", "nguyễn", "0912", "345 678", "912345678", "Hòa"):
        assert secret.lower() not in logged.lower()
