"""The agents' desk on SQLite and PostgreSQL: lead buttons, Chuyển, /leads, /ghichu and /themlead, as an
agent, as staff and as someone the desk does not serve."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest

from bot.core.actions import LeadOperation, LeadTransfer, LeadView, parse_action
from bot.core.leads.consent import ConsentChannel
from bot.core.leads.messages import lead_buttons, lead_line
from bot.core.leads.offline import USAGE_OFFLINE, FormError, parse_offline_lead
from bot.core.leads.records import CITIZEN, CLI, Actor, Interest, LeadAction, LeadRecord, LeadStatus
from bot.core.types import Button
from bot.shell.desk import (
    NO_OPEN_LEADS,
    NOT_AN_AGENT,
    NOT_YOURS,
    USAGE_NOTE,
    Desk,
    DeskAnswer,
)
from bot.storage import agents, leads, outbox
from bot.storage.agents import Agent
from bot.storage.db import Database
from bot.storage.leads import HistoryEntry
from tests.databases import Store
from tests.lead_factories import AREAS, CONTEXT, NAME, NOW, OFFICE_CHAT, PHONE, migrated, new_lead
from tests.test_architecture import MODULES, imported_names, within

AGENT_A, AGENT_B, AGENT_C, STAFF, CITIZEN_CHAT = 111, 222, 333, 999, 777
DUE = NOW + timedelta(days=2)


def two_working_days(created: datetime) -> datetime:
    return created + timedelta(days=2)


@dataclass
class Office:
    """A migrated database with agents A and B (Xã Tiên Yên), C (Phường Hồng Gai), one lead of A's, the desk."""

    database: Database
    desk: Desk
    a: Agent
    b: Agent
    c: Agent
    lead: LeadRecord

    async def lead_now(self, lead_id: int | None = None) -> LeadRecord:
        async with self.database.transaction() as connection:
            return await leads.get(connection, lead_id or self.lead.id)

    async def history(self, lead_id: int | None = None) -> list[HistoryEntry]:
        async with self.database.transaction() as connection:
            return await leads.history(connection, lead_id or self.lead.id)

    async def outbox_rows(self) -> list[outbox.OutboxRow]:
        async with self.database.transaction() as connection:
            return await outbox.rows(connection)

    async def press(self, chat_id: int, data: str, update_id: int | None = None) -> DeskAnswer:
        answer = await self.desk.press(chat_id, data, update_id)
        assert answer is not None
        return answer

    async def command(self, chat_id: int, name: str, argument: str = "") -> DeskAnswer:
        answer = await self.desk.command(chat_id, name, argument)
        assert answer is not None
        return answer


@pytest.fixture
async def office(store: Store) -> AsyncIterator[Office]:
    async with migrated(store) as database:
        async with database.transaction() as connection:
            a = await agents.add(connection, AGENT_A, "Đại lý A", "qn-tien-yen", NOW)
            b = await agents.add(connection, AGENT_B, "Đại lý B", "qn-tien-yen", NOW)
            c = await agents.add(connection, AGENT_C, "Đại lý C", "qn-hong-gai", NOW)
            created = await leads.create(connection, new_lead(), CONTEXT, NOW, DUE, CITIZEN)
        assert created.agent == a
        desk = Desk(database, replace(CONTEXT, contact_due=two_working_days), AREAS, {STAFF}, now=lambda: NOW)
        yield Office(database, desk, a, b, c, created.lead)


def transitions(history: list[HistoryEntry]) -> list[tuple[LeadStatus | None, LeadStatus, str]]:
    return [(entry.from_status, entry.to_status, entry.actor) for entry in history]


# -- buttons ------------------------------------------------------------------------------------------


async def test_pressing_nhan_claims_the_lead_and_shows_its_new_status_with_the_buttons_left(office: Office) -> None:
    answer = await office.press(AGENT_A, f"lead:{office.lead.id}:claim", update_id=1)

    assert answer.replies == ()
    assert answer.edit is not None
    assert "Đã nhận" in answer.edit.text and NAME in answer.edit.text
    assert answer.edit.buttons == lead_buttons(office.lead.id, LeadStatus.CLAIMED)
    assert (await office.lead_now()).status == LeadStatus.CLAIMED
    assert transitions(await office.history()) == [
        (None, LeadStatus.NEW, "citizen"),
        (LeadStatus.NEW, LeadStatus.CLAIMED, f"agent:{AGENT_A}"),
    ]


async def test_nhan_then_da_goi_then_da_dang_ky_closes_the_lead_and_takes_its_buttons_away(office: Office) -> None:
    for action in ("claim", "called", "enrolled"):
        answer = await office.press(AGENT_A, f"lead:{office.lead.id}:{action}")
    assert answer.edit is not None and answer.edit.buttons == ()
    assert "Đã đăng ký tham gia" in answer.edit.text
    lead = await office.lead_now()
    assert lead.status == LeadStatus.ENROLLED and lead.first_contact_at == NOW
    assert [entry.to_status for entry in await office.history()][1:] == [
        LeadStatus.CLAIMED,
        LeadStatus.CALLED,
        LeadStatus.ENROLLED,
    ]


async def test_a_button_pressed_by_another_areas_agent_does_nothing_but_say_so(office: Office) -> None:
    answer = await office.press(AGENT_C, f"lead:{office.lead.id}:claim")

    assert [reply.text for reply in answer.replies] == [NOT_YOURS]
    assert answer.edit is None
    assert (await office.lead_now()).status == LeadStatus.NEW
    assert len(await office.history()) == 1


@pytest.mark.parametrize("data", ["claim", "transfer", "open", "back", "to:office"])
async def test_a_forwarded_button_pressed_by_a_chat_that_is_no_agent_does_nothing_but_say_so(
    office: Office, data: str
) -> None:
    answer = await office.press(CITIZEN_CHAT, f"lead:{office.lead.id}:{data}")

    assert [reply.text for reply in answer.replies] == [NOT_YOURS]
    assert answer.edit is None
    assert (await office.lead_now()) == office.lead
    assert len(await office.outbox_rows()) == 1  # the lead's own notification, nothing more


async def test_staff_and_the_office_chat_act_on_any_lead(office: Office) -> None:
    await office.press(STAFF, f"lead:{office.lead.id}:called")
    await office.press(OFFICE_CHAT, f"lead:{office.lead.id}:callback")

    assert transitions(await office.history())[1:] == [
        (LeadStatus.NEW, LeadStatus.CALLED, f"staff:{STAFF}"),
        (LeadStatus.CALLED, LeadStatus.CALLBACK, f"staff:{OFFICE_CHAT}"),
    ]


async def test_a_stale_button_changes_nothing_says_why_and_shows_the_buttons_that_apply(office: Office) -> None:
    await office.press(AGENT_A, f"lead:{office.lead.id}:claim")
    answer = await office.press(AGENT_A, f"lead:{office.lead.id}:claim")

    assert [reply.text for reply in answer.replies] == [
        f"Yêu cầu #{office.lead.id} đang ở trạng thái “Đã nhận”: không thể “Nhận”."
    ]
    assert answer.edit is not None
    assert answer.edit.buttons == lead_buttons(office.lead.id, LeadStatus.CLAIMED)
    assert len(await office.history()) == 2


async def test_a_closed_lead_keeps_its_status_whatever_is_pressed(office: Office) -> None:
    await office.press(AGENT_A, f"lead:{office.lead.id}:declined")
    answer = await office.press(AGENT_A, f"lead:{office.lead.id}:called")

    assert "không thể “Đã gọi”" in answer.replies[0].text
    assert answer.edit is not None and answer.edit.buttons == ()
    assert (await office.lead_now()).status == LeadStatus.DECLINED


async def test_an_unknown_lead_is_answered_politely(office: Office) -> None:
    answer = await office.press(AGENT_A, "lead:4242:claim")
    assert [reply.text for reply in answer.replies] == ["Không tìm thấy yêu cầu #4242."]


@pytest.mark.parametrize(
    "data",
    [
        f"lead:{'9' * 30}:claim",
        f"lead:{2**63}:claim",
        f"lead:{2**63}:to:office",
        "lead:1:to:" + "9" * 30,
        "lead:²:claim",
    ],
)
async def test_a_forged_lead_button_with_a_huge_id_gets_a_polite_answer(office: Office, data: str) -> None:
    answer = await office.press(AGENT_A, data)
    assert [reply.text for reply in answer.replies] == ["Nút này không còn dùng được."]
    assert (await office.lead_now()).status == LeadStatus.NEW


async def test_the_largest_id_a_database_keeps_is_an_unknown_lead(office: Office) -> None:
    answer = await office.press(AGENT_A, f"lead:{2**63 - 1}:claim")
    assert [reply.text for reply in answer.replies] == [f"Không tìm thấy yêu cầu #{2**63 - 1}."]


async def test_the_same_update_delivered_twice_is_applied_and_answered_once(office: Office) -> None:
    assert await office.desk.press(AGENT_A, f"lead:{office.lead.id}:claim", 7) is not None
    assert await office.desk.press(AGENT_A, f"lead:{office.lead.id}:claim", 7) is None
    assert await office.desk.command(AGENT_A, "themlead", "Lê Văn Cường, 0987 654 321", 8) is not None
    assert await office.desk.command(AGENT_A, "themlead", "Lê Văn Cường, 0987 654 321", 8) is None

    assert len(await office.history()) == 2
    async with office.database.transaction() as connection:
        assert len(await leads.open_leads(connection, CLI)) == 2


# -- Chuyển -------------------------------------------------------------------------------------------


async def test_chuyen_offers_the_other_agents_of_the_area_and_the_office(office: Office) -> None:
    answer = await office.press(AGENT_A, f"lead:{office.lead.id}:transfer")

    assert answer.edit is not None and "Chuyển cho ai?" in answer.edit.text
    assert answer.edit.buttons == (
        Button("Đại lý B (0 đang mở)", f"lead:{office.lead.id}:to:{office.b.id}"),
        Button("Văn phòng", f"lead:{office.lead.id}:to:office"),
        Button("Quay lại", f"lead:{office.lead.id}:back"),
    )
    assert (await office.lead_now()).status == LeadStatus.NEW  # nothing changes before the choice


async def test_quay_lai_shows_the_lead_and_its_buttons_again(office: Office) -> None:
    await office.press(AGENT_A, f"lead:{office.lead.id}:transfer")
    answer = await office.press(AGENT_A, f"lead:{office.lead.id}:back")
    assert answer.edit is not None and answer.edit.buttons == lead_buttons(office.lead.id, LeadStatus.NEW)


async def test_chuyen_to_another_agent_hands_the_lead_over_and_notifies_them(office: Office) -> None:
    await office.press(AGENT_A, f"lead:{office.lead.id}:claim")
    answer = await office.press(AGENT_A, f"lead:{office.lead.id}:to:{office.b.id}")

    assert answer.edit is not None
    assert answer.edit.text == f"Đã chuyển yêu cầu #{office.lead.id} cho đại lý Đại lý B."
    assert answer.edit.buttons == ()
    lead = await office.lead_now()
    assert (lead.agent_id, lead.status) == (office.b.id, LeadStatus.NEW)
    *_, notice = await office.outbox_rows()
    assert notice.chat_id == AGENT_B and notice.payload["buttons"][0] == ["Nhận", f"lead:{lead.id}:claim"]
    assert (await office.history())[-1].note == f"chuyển cho đại lý #{office.b.id}"
    again = await office.press(AGENT_A, f"lead:{office.lead.id}:claim")
    assert [reply.text for reply in again.replies] == [NOT_YOURS]


async def test_chuyen_to_the_office_puts_the_lead_in_the_office_queue(office: Office) -> None:
    await office.press(AGENT_A, f"lead:{office.lead.id}:to:office")

    lead = await office.lead_now()
    assert lead.agent_id is None and lead.status == LeadStatus.NEW
    *_, notice = await office.outbox_rows()
    assert notice.chat_id == OFFICE_CHAT


async def test_chuyen_to_an_agent_of_another_area_is_refused_and_offered_again(office: Office) -> None:
    answer = await office.press(AGENT_A, f"lead:{office.lead.id}:to:{office.c.id}")

    assert "không còn nhận yêu cầu" in answer.replies[0].text
    assert answer.edit is not None and "Chuyển cho ai?" in answer.edit.text
    assert (await office.lead_now()).agent_id == office.a.id


def test_every_callback_datum_fits_telegrams_64_bytes() -> None:
    big = 10**18
    for action in (
        LeadTransfer(big, big),
        LeadOperation(big, LeadAction.UNREACHABLE),
        LeadOperation(big, LeadView.BACK),
    ):
        assert len(action.data().encode()) <= 64
        assert parse_action(action.data()) == action
    assert parse_action("lead:1:to:someone") is None
    assert parse_action("lead:x:claim") is None


# -- /leads, /ghichu ----------------------------------------------------------------------------------


async def test_leads_lists_the_agents_own_open_leads_with_a_button_each(office: Office) -> None:
    answer = await office.command(AGENT_A, "leads")

    [reply] = answer.replies
    assert lead_line(office.lead, "Xã Tiên Yên", CONTEXT.timezone) in reply.text
    assert reply.buttons == (Button(f"#{office.lead.id} {NAME}", f"lead:{office.lead.id}:open"),)
    opened = await office.press(AGENT_A, reply.buttons[0].action)
    assert opened.replies[0].buttons == lead_buttons(office.lead.id, LeadStatus.NEW)


async def test_leads_says_so_when_there_is_none_or_the_chat_is_no_agent(office: Office) -> None:
    assert [r.text for r in (await office.command(AGENT_B, "leads")).replies] == [NO_OPEN_LEADS]
    assert [r.text for r in (await office.command(CITIZEN_CHAT, "leads")).replies] == [
        f"{NOT_AN_AGENT}\nMã chat của anh/chị: {CITIZEN_CHAT}"
    ]


async def test_staff_see_every_open_lead(office: Office) -> None:
    async with office.database.transaction() as connection:
        other = await leads.create(connection, new_lead(area_code="qn-hong-gai"), CONTEXT, NOW, DUE, CITIZEN)
    [reply] = (await office.command(STAFF, "leads")).replies
    assert f"#{office.lead.id} " in reply.text and f"#{other.lead.id} " in reply.text
    [only_c] = (await office.command(AGENT_C, "leads")).replies
    assert f"#{office.lead.id} " not in only_c.text and f"#{other.lead.id} " in only_c.text


async def test_ghichu_adds_a_note_to_the_history_and_keeps_the_status(office: Office) -> None:
    answer = await office.command(AGENT_A, "ghichu", f"#{office.lead.id}  Hẹn gọi lại sáng thứ Hai")

    assert "Đã ghi chú" in answer.replies[0].text
    *_, note = await office.history()
    assert (note.from_status, note.to_status, note.actor) == (LeadStatus.NEW, LeadStatus.NEW, f"agent:{AGENT_A}")
    assert note.note == "Hẹn gọi lại sáng thứ Hai"
    assert (await office.lead_now()).status == LeadStatus.NEW


@pytest.mark.parametrize("argument", ["", "12", "abc Gọi lại", "Gọi lại sau"])
async def test_ghichu_without_a_lead_number_and_a_text_explains_how(office: Office, argument: str) -> None:
    assert [r.text for r in (await office.command(AGENT_A, "ghichu", argument)).replies] == [USAGE_NOTE]


async def test_ghichu_on_someone_elses_lead_changes_nothing(office: Office) -> None:
    answer = await office.command(AGENT_C, "ghichu", f"{office.lead.id} ghi bậy")
    assert [r.text for r in answer.replies] == [NOT_YOURS]
    assert len(await office.history()) == 1


async def test_a_lead_withdrawn_by_the_citizen_takes_no_note_and_no_action(office: Office) -> None:
    async with office.database.transaction() as connection:
        await leads.withdraw(connection, "telegram:777", CONTEXT, NOW)
    noted = await office.command(AGENT_A, "ghichu", f"{office.lead.id} số mới 0987")
    pressed = await office.press(AGENT_A, f"lead:{office.lead.id}:called")

    assert [r.text for r in noted.replies] == [
        f"Yêu cầu #{office.lead.id} đã xóa dữ liệu cá nhân: không ghi chú thêm được."
    ]
    assert "Người dân rút lại đồng ý" in pressed.replies[0].text
    assert pressed.edit is not None and NAME not in pressed.edit.text and pressed.edit.buttons == ()
    assert [entry.to_status for entry in await office.history()] == [LeadStatus.NEW, LeadStatus.WITHDRAWN]


# -- /themlead ----------------------------------------------------------------------------------------


async def test_themlead_registers_a_lead_met_offline_for_the_agent_with_oral_consent(office: Office) -> None:
    answer = await office.command(AGENT_A, "themlead", "Nguyễn Văn An, 0912 345 679, Tiên Yên, bhyt")

    [reply] = answer.replies
    assert "đồng ý bằng lời nói" in reply.text and "Nguyễn Văn An" in reply.text
    async with office.database.transaction() as connection:
        [_, lead] = await leads.open_leads(connection, CLI)
        history = await leads.history(connection, lead.id)
    assert reply.buttons == lead_buttons(lead.id, LeadStatus.NEW)
    assert (lead.agent_id, lead.area_code, lead.session_key) == (office.a.id, "qn-tien-yen", None)
    assert (lead.name, lead.phone_e164, lead.interest) == ("Nguyễn Văn An", "+84912345679", Interest.HOUSEHOLD_BHYT)
    assert (lead.consent_channel, lead.consent_oral, lead.consent_at) == (ConsentChannel.ORAL, True, NOW)
    assert lead.due_at == NOW + timedelta(days=2)
    assert transitions(history) == [(None, LeadStatus.NEW, f"agent:{AGENT_A}")]
    assert len(await office.outbox_rows()) == 1  # the agent sees it in the answer: no notification to themselves


async def test_themlead_without_area_or_interest_takes_the_agents_area_and_both(office: Office) -> None:
    await office.command(AGENT_B, "themlead", "Trần Thị Hoa, 0987654321")
    await office.command(AGENT_B, "themlead", "Trần Văn Hùng, 0987654322, bhxh, gọi sau 17h, thứ Bảy")
    async with office.database.transaction() as connection:
        found = await leads.open_leads(connection, Actor("b", agent_id=office.b.id))
    assert [(lead.area_code, lead.interest, lead.call_time) for lead in found] == [
        ("qn-tien-yen", Interest.BOTH, None),
        ("qn-tien-yen", Interest.VOLUNTARY_BHXH, "gọi sau 17h, thứ Bảy"),
    ]


async def test_themlead_for_another_area_goes_to_its_agent(office: Office) -> None:
    answer = await office.command(AGENT_A, "themlead", "Phạm Văn Dũng, 0912 000 111, phuong hong gai, bhxh")

    assert "Đã gửi cho đại lý Đại lý C phụ trách Phường Hồng Gai" in answer.replies[0].text
    assert answer.replies[0].buttons == ()
    *_, notice = await office.outbox_rows()
    assert notice.chat_id == AGENT_C


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("", USAGE_OFFLINE),
        ("Nguyễn Văn An", USAGE_OFFLINE),
        ("Nguyễn Văn An, 12345", "Số điện thoại hơi ngắn"),
        ("Nguyễn Văn An, 1900 9068, Tiên Yên", "không gọi lại được"),
        ("Nguyễn Văn An, 0912 345 678, Móng Cái", "Có phải: Phường Móng Cái 1, Phường Móng Cái 2?"),
        ("Nguyễn Văn An, 0912 345 678, Hà Nội", "Không tìm thấy xã/phường “Hà Nội”"),
        ("0912 345 678, Nguyễn Văn An", "Họ tên chưa đúng"),
    ],
)
async def test_an_incomplete_or_wrong_themlead_form_explains_and_stores_nothing(
    office: Office, form: str, expected: str
) -> None:
    [reply] = (await office.command(AGENT_A, "themlead", form)).replies
    assert expected in reply.text
    async with office.database.transaction() as connection:
        assert len(await leads.open_leads(connection, CLI)) == 1


async def test_themlead_by_staff_needs_an_area_and_goes_to_the_areas_agent(office: Office) -> None:
    missing = await office.command(STAFF, "themlead", "Lê Thị Em, 0912 345 677")
    assert "Thiếu xã/phường" in missing.replies[0].text
    done = await office.command(STAFF, "themlead", "Lê Thị Em, 0912 345 677, Hồng Gai")
    assert done.replies[0].buttons[0].label == "Nhận"  # staff may act on it too


async def test_themlead_from_a_chat_that_is_no_agent_is_refused(office: Office) -> None:
    answer = await office.command(CITIZEN_CHAT, "themlead", "Nguyễn Văn An, 0912 345 678, Tiên Yên")
    assert [r.text for r in answer.replies] == [f"{NOT_AN_AGENT}\nMã chat của anh/chị: {CITIZEN_CHAT}"]


def test_the_form_reads_name_phone_area_interest_and_call_time() -> None:
    form = parse_offline_lead("  Hoàng  Văn Giang , 0912 345 678, x. tien yen, cả hai, sáng mai", AREAS)
    assert (form.name, form.phone.e164) == ("Hoàng Văn Giang", PHONE)
    assert (form.interest, form.area.code, form.call_time) == (Interest.BOTH, "qn-tien-yen", "sáng mai")
    assert parse_offline_lead("Hoàng Văn Giang, 0912 345 678, tien yen, sáng mai", AREAS).call_time == "sáng mai"
    with pytest.raises(FormError):
        parse_offline_lead("Hoàng Văn Giang, 0912 345 678", AREAS)  # nobody's own area to stand in


async def test_the_desk_logs_lead_ids_and_actions_never_names_phones_or_notes(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await office.press(AGENT_A, f"lead:{office.lead.id}:claim")
    await office.command(AGENT_A, "ghichu", f"{office.lead.id} bí mật riêng")
    await office.command(AGENT_A, "themlead", "Nguyễn Văn An, 0912 345 679")
    await office.press(AGENT_A, f"lead:{office.lead.id}:{LeadAction.TRANSFER.value}")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"lead {office.lead.id} claim -> claimed" in logged
    for secret in (NAME, "Nguyễn Văn An", "0912", "912345679", "bí mật"):
        assert secret not in logged


def test_the_desk_is_a_shell_like_the_service_and_no_channel_imports_it() -> None:
    [desk] = [module for module in MODULES if module.name == "bot.shell.desk"]
    forbidden = ("bot.channels", "bot.config", "bot.app", "bot.__main__", "bot.admin", "telegram")
    assert sorted(name for name in imported_names(desk) if any(within(name, f) for f in forbidden)) == []
    channels = [module for module in MODULES if within(module.name, "bot.channels")]
    assert [
        module.name for module in channels if any(within(n, "bot.shell.desk") for n in imported_names(module))
    ] == []
