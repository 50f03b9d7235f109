"""The office's lead commands against hostile data: `leads export` writes what citizens and agents typed as
inert text (never a live spreadsheet formula), and `leads erase` takes an agent's oral leads (or any lead)
out of the database's personal data. Run as staff run them (in this process: the `run_bot` fixture, tests/cli.py),
on a fresh SQLite file."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.core.leads.export import HEADERS
from bot.core.leads.records import CLI, LeadStatus
from bot.core.leads.routing import LeadContext
from bot.shell.desk import Desk
from bot.storage import agents, leads, outbox
from bot.storage.db import Database
from tests.cli import BotCli
from tests.lead_factories import AREAS, OFFICE_TZ, PHONE, new_lead

FORMULA = '=HYPERLINK("http://e.example/x","Gọi")'
CALL_TIME, PHONE_COLUMN, NAME_COLUMN, AGENT_COLUMN = (
    HEADERS.index("Giờ tiện gọi"),
    HEADERS.index("Số điện thoại"),
    HEADERS.index("Họ tên"),
    HEADERS.index("Đại lý"),
)
AGENT_A, AGENT_B = 111, 222


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def since() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


async def store_hostile_lead(url: str, run_bot: BotCli) -> None:
    """A lead whose free text is formulas (a database written before the entry checks, or by any other
    way in), its agent named with a formula too (`agents add` takes what staff type)."""
    context = LeadContext({}, OFFICE_TZ)
    assert (await run_bot.in_thread("db", "upgrade")).returncode == 0
    async with Database(url) as database, database.transaction() as connection:
        await agents.add(connection, AGENT_A, "@Đại lý A", "qn-tien-yen", datetime.now(UTC))
        lead = new_lead(name="-2+3 Bình", call_time=FORMULA)
        await leads.create(connection, lead, context, datetime.now(UTC), None, CLI)


async def test_a_formula_typed_as_the_call_time_exports_as_inert_text_in_csv(
    database_url: str, run_bot: BotCli
) -> None:
    await store_hostile_lead(database_url, run_bot)
    result = await run_bot.in_thread("leads", "export", "--since", since())
    assert result.returncode == 0, result.stderr
    [_, row] = list(csv.reader(io.StringIO(result.stdout)))
    assert row[CALL_TIME] == "'" + FORMULA  # the quotes inside stay as typed, quoted by the csv module
    assert (row[NAME_COLUMN], row[AGENT_COLUMN]) == ("'-2+3 Bình", "'@Đại lý A")
    # A CSV has no types: "+84…" would be a formula (=84912345678, shown as 8.49E+10). With the apostrophe
    # every spreadsheet shows it as text, "+" included; a program reading the file drops one leading "'".
    assert row[PHONE_COLUMN] == "'" + PHONE
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


async def test_a_formula_typed_as_the_call_time_exports_as_a_text_cell_in_xlsx(
    database_url: str, tmp_path: Path, run_bot: BotCli
) -> None:
    await store_hostile_lead(database_url, run_bot)
    output = tmp_path / "leads.xlsx"
    result = await run_bot.in_thread("leads", "export", "--format", "xlsx", "--since", since(), "--output", str(output))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(output).active
    assert sheet is not None
    [cells] = list(sheet.iter_rows(min_row=2, max_row=2))
    when, phone, name = cells[CALL_TIME], cells[PHONE_COLUMN], cells[NAME_COLUMN]
    assert (when.data_type, when.value) == ("s", "'" + FORMULA)
    assert (name.data_type, name.value) == ("s", "'-2+3 Bình")
    assert (phone.data_type, phone.value) == ("s", PHONE)  # a text cell: the E.164 number as it is
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


# -- leads erase ----------------------------------------------------------------------------------------


async def themleads_and_a_citizens_lead(url: str, run_bot: BotCli) -> dict[str, int]:
    """Agent A registers two people met offline (one of B's area), agent B one, and a citizen asks through
    the bot: the ids of the leads by who took the consent."""
    context = LeadContext({area.code: area.name for area in AREAS}, OFFICE_TZ)
    assert (await run_bot.in_thread("db", "upgrade")).returncode == 0
    async with Database(url) as database:
        now = datetime.now(UTC)
        async with database.transaction() as connection:
            await agents.add(connection, AGENT_A, "Đại lý A", "qn-tien-yen", now)
            await agents.add(connection, AGENT_B, "Đại lý B", "qn-hong-gai", now)
            citizen = await leads.create(connection, new_lead(), context, now, None, CLI)
        desk = Desk(database, context, AREAS, now=lambda: now)
        for chat, form in (
            (AGENT_A, "Lê Văn Cường, 0987 654 321, Tiên Yên, bhxh"),
            (AGENT_A, "Phạm Thị Dung, 0987 654 322, Hồng Gai, bhyt"),
            (AGENT_B, "Võ Văn Em, 0987 654 323, Hồng Gai"),
        ):
            answer = await desk.command(chat, "themlead", form)
            assert answer is not None and "Đã ghi nhận yêu cầu" in answer.replies[0].text
        return {"citizen": citizen.lead.id, "a-own": 2, "a-routed": 3, "b-own": 4}


async def stored(url: str) -> tuple[dict[int, tuple[LeadStatus, str | None, str | None]], list[str]]:
    """Each lead's (status, name, phone) and the texts waiting in the outbox."""
    async with Database(url) as database, database.transaction() as connection:
        found = await leads.export(connection, datetime.now(UTC) - timedelta(days=1))
        rows = await outbox.rows(connection)
    by_id = {r.lead.id: (r.lead.status, r.lead.name, r.lead.phone_e164) for r in found}
    return by_id, [json.dumps(row.payload, ensure_ascii=False) for row in rows]


async def test_staff_erase_every_lead_an_agent_registered_orally(database_url: str, run_bot: BotCli) -> None:
    ids = await themleads_and_a_citizens_lead(database_url, run_bot)
    result = await run_bot.in_thread("leads", "erase", "--agent", str(AGENT_A))
    assert result.returncode == 0, result.stderr
    assert f"#{ids['a-own']}, #{ids['a-routed']}" in result.stdout
    by_id, texts = await stored(database_url)
    assert by_id[ids["a-own"]] == by_id[ids["a-routed"]] == (LeadStatus.WITHDRAWN, None, None)
    assert by_id[ids["b-own"]][1:] == ("Võ Văn Em", "+84987654323")  # another agent's: untouched
    assert by_id[ids["citizen"]][1] is not None  # a citizen's own request: untouched
    assert not any("Phạm Thị Dung" in text or "0987 654 322" in text for text in texts)  # B's notice scrubbed
    assert any(f"Yêu cầu #{ids['a-routed']}" in text and "không liên hệ" in text for text in texts)
    again = await run_bot.in_thread("leads", "erase", "--agent", str(AGENT_A))
    assert again.returncode == 0 and "Không có yêu cầu nào" in again.stdout


async def test_staff_erase_one_lead_by_its_number_and_an_unknown_number_is_an_error(
    database_url: str, run_bot: BotCli
) -> None:
    ids = await themleads_and_a_citizens_lead(database_url, run_bot)
    result = await run_bot.in_thread("leads", "erase", "--lead", str(ids["b-own"]))
    assert result.returncode == 0, result.stderr
    by_id, _ = await stored(database_url)
    assert by_id[ids["b-own"]] == (LeadStatus.WITHDRAWN, None, None)
    assert by_id[ids["a-own"]][1] == "Lê Văn Cường"
    since_yesterday = (await run_bot.in_thread("leads", "export", "--since", since())).stdout
    assert "Võ Văn Em" not in since_yesterday and "987654323" not in since_yesterday
    unknown = await run_bot.in_thread("leads", "erase", "--lead", "999999999999999999999")
    assert unknown.returncode == 1 and "999999999999999999999" in unknown.stderr
    assert (await run_bot.in_thread("leads", "erase")).returncode == 2  # --agent or --lead is required


# -- the console chat ----------------------------------------------------------------------------------


def test_a_name_typed_in_decomposed_unicode_in_the_console_chat_is_taken(run_bot: BotCli) -> None:
    typed = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    result = run_bot("chat", stdin=f"cho tôi gặp cán bộ tư vấn, gọi lại cho tôi\nđồng ý\n{typed}\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Số điện thoại để đại lý gọi lại là số nào?" in result.stdout
    assert "Họ tên chỉ gồm chữ" not in result.stdout
