"""The agents' desk against hostile or careless input, on SQLite and PostgreSQL: what /themlead and /ghichu
take is tidied and bounded where it is typed, and /themlead is limited per agent and hour, counted in the
database so that every bot process sees the same count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bot.core.leads.records import CLI, LeadRecord
from bot.shell.desk import Desk, DeskAnswer
from bot.storage import agents, leads
from bot.storage.db import Database
from tests.databases import Store
from tests.lead_factories import AREAS, CONTEXT, NOW, OFFICE_CHAT, migrated

AGENT, OTHER_AGENT = 111, 222  # both serve Xã Tiên Yên
LIMIT = 3


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Office:
    database: Database
    clock: Clock

    def desk(self) -> Desk:
        """The desk as one bot process has it (each call: another process on the same database)."""
        return Desk(self.database, CONTEXT, AREAS, now=self.clock, themlead_per_hour=LIMIT)

    async def command(self, chat_id: int, name: str, argument: str, desk: Desk | None = None) -> str:
        answer: DeskAnswer | None = await (desk or self.desk()).command(chat_id, name, argument)
        assert answer is not None
        return "\n".join(reply.text for reply in answer.replies)

    async def open_leads(self) -> list[LeadRecord]:
        async with self.database.transaction() as connection:
            return await leads.open_leads(connection, CLI)


@pytest.fixture
async def office(store: Store) -> AsyncIterator[Office]:
    async with migrated(store) as database:
        async with database.transaction() as connection:
            await agents.add(connection, AGENT, "Đại lý A", "qn-tien-yen", NOW)
            await agents.add(connection, OTHER_AGENT, "Đại lý B", "qn-tien-yen", NOW)
        yield Office(database, Clock())


# -- what /themlead and /ghichu take -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ('=HYPERLINK("http://e.example/x"; "Gọi"), 0912 345 678', "Họ tên chưa đúng"),
        ("@Nguyễn Văn An, 0912 345 678", "Họ tên chưa đúng"),
        ("Nguyễn Văn An " * 6 + ", 0912 345 678", "Họ tên chưa đúng"),
        ('Nguyễn Văn An, 0912 345 678, Tiên Yên, bhyt, =HYPERLINK("http://e.example/x")', "Giờ tiện gọi chưa đúng"),
        ("Nguyễn Văn An, 0912 345 678, Tiên Yên, bhyt, " + "sáng " * 13, "tối đa 60 ký tự"),
    ],
    ids=["formula-name", "at-name", "long-name", "formula-time", "long-time"],
)
async def test_themlead_refuses_a_name_or_call_time_that_is_no_name_or_time(
    office: Office, form: str, expected: str
) -> None:
    assert expected in await office.command(AGENT, "themlead", form)
    assert await office.open_leads() == []


async def test_themlead_keeps_the_name_and_call_time_without_invisible_or_control_characters(office: Office) -> None:
    typed = "Nguyễn\u200b Văn\x00 An\u202e, 0912 345 678, Tiên Yên, bhyt, sau\t17h\x1b"
    assert "Đã ghi nhận yêu cầu" in await office.command(AGENT, "themlead", typed)
    [lead] = await office.open_leads()
    assert (lead.name, lead.call_time) == ("Nguyễn Văn An", "sau 17h")


async def test_ghichu_keeps_the_lines_of_a_note_without_control_characters(office: Office) -> None:
    await office.command(AGENT, "themlead", "Nguyễn Văn An, 0912 345 678")
    text = await office.command(AGENT, "ghichu", "1 Gọi lần 1:\x07 máy bận\u200b\nGọi lần 2:\x1b[31m hẹn tối")
    assert "Đã ghi chú" in text
    async with office.database.transaction() as connection:
        [_, note] = await leads.history(connection, 1)
    assert note.note == "Gọi lần 1: máy bận\nGọi lần 2:[31m hẹn tối"


# -- the /themlead limit -------------------------------------------------------------------------------


async def test_themlead_is_limited_per_agent_and_hour_and_says_when_it_opens_again(office: Office) -> None:
    first, later = office.desk(), office.desk()  # two bot processes on one database
    for minute in range(LIMIT):
        office.clock.now = NOW + timedelta(minutes=10 * minute)
        desk = first if minute % 2 == 0 else later
        assert "Đã ghi nhận" in await office.command(
            AGENT, "themlead", f"Người Thứ {'ABC'[minute]}, 0912 345 67{minute}", desk
        )
    office.clock.now = NOW + timedelta(minutes=30)
    refused = await office.command(AGENT, "themlead", "Người Thứ Tư, 0912 345 679", later)
    assert f"{LIMIT} yêu cầu trong một giờ" in refused and "từ 10:00" in refused  # NOW is 09:00 in Hà Nội
    assert "Đã ghi nhận" in await office.command(OTHER_AGENT, "themlead", "Người Thứ Tư, 0912 345 679", first)
    office.clock.now = NOW + timedelta(hours=1)  # the first one is an hour old: one more may come
    assert "Đã ghi nhận" in await office.command(AGENT, "themlead", "Người Thứ Năm, 0912 345 675", first)
    assert f"{LIMIT} yêu cầu" in await office.command(AGENT, "themlead", "Người Thứ Sáu, 0912 345 676", later)
    assert len(await office.open_leads()) == LIMIT + 2


def test_the_desk_serves_groups_only_when_they_are_the_offices() -> None:
    desk = Desk(Database("sqlite+aiosqlite:///unused.db"), CONTEXT, AREAS, {999, -100777}, now=lambda: NOW)
    assert desk.serves_group(OFFICE_CHAT) and desk.serves_group(-100777)
    assert not desk.serves_group(-100555)
