"""The lead commands staff run: agents, areas, export, stats, purge, on a fresh SQLite database (in this process:
the `run_bot` fixture, tests/cli.py; from an async test the command runs in a worker thread)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.core.leads.export import HEADERS
from bot.core.leads.records import CLI, LeadAction
from bot.core.leads.routing import LeadContext
from bot.storage import agents, leads
from bot.storage.db import Database
from tests.cli import BotCli
from tests.factories import KNOWLEDGE_DIR
from tests.lead_factories import NAME, OFFICE_TZ, PHONE, new_lead


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


async def add_leads(url: str) -> None:
    """Two leads for Xã Tiên Yên (one contacted 2 hours after it came) and one for Phường Hồng Gai."""
    context = LeadContext({}, OFFICE_TZ)
    now = datetime.now(UTC)
    async with Database(url) as database, database.transaction() as connection:
        agent = await agents.by_chat(connection, 111)
        assert agent is not None
        first = (await leads.create(connection, new_lead(), context, now, None, CLI)).lead
        await leads.act(connection, first.id, LeadAction.CALLED, CLI, now + timedelta(hours=2))
        await leads.create(connection, new_lead(), context, now, None, CLI)
        await leads.create(connection, new_lead(area_code="qn-hong-gai"), context, now, None, CLI)


def test_an_agent_is_added_by_area_name_without_diacritics_on_a_fresh_database(run_bot: BotCli) -> None:
    added = run_bot("agents", "add", "--chat-id", "111", "--name", "Trần Thị Mai", "--area", "xa tien yen")
    assert added.returncode == 0, added.stderr
    assert "Xã Tiên Yên [qn-tien-yen]" in added.stdout
    listed = run_bot("agents", "list")
    assert "111" in listed.stdout and "Trần Thị Mai" in listed.stdout and "đang mở: 0" in listed.stdout
    again = run_bot("agents", "add", "--chat-id", "111", "--name", "Trần Thị Mai", "--area", "qn-hong-gai")
    assert again.returncode == 1 and "đã là đại lý" in again.stderr


def test_an_area_published_in_a_new_knowledge_revision_takes_agents_at_once(tmp_path: Path, run_bot: BotCli) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    areas = folder / "areas.yaml"
    areas.write_text(
        areas.read_text(encoding="utf-8") + "  - {code: qn-dao-moi, name: Đặc khu Đảo Mới}\n", encoding="utf-8"
    )
    published = run_bot("kb", "publish", str(folder), "--by", "Lan", extra_env={"KNOWLEDGE_CHECK_QUESTIONS": ""})
    assert published.returncode == 0, published.stdout + published.stderr
    added = run_bot("agents", "add", "--chat-id", "222", "--name", "Lê Văn Hải", "--area", "dao moi")
    assert added.returncode == 0, added.stderr  # the folder knowledge/ does not have it; the live revision does
    assert "Đặc khu Đảo Mới [qn-dao-moi]" in added.stdout


def test_an_unknown_area_is_a_clear_error_naming_close_ones(run_bot: BotCli) -> None:
    result = run_bot("agents", "add", "--chat-id", "1", "--name", "A", "--area", "mong cai")
    assert result.returncode == 1
    assert "Phường Móng Cái 1 [qn-mong-cai-1]" in result.stderr
    nothing = run_bot("agents", "add", "--chat-id", "1", "--name", "A", "--area", "Cần Thơ")
    assert nothing.returncode == 1 and "areas list" in nothing.stderr


async def test_removing_an_agent_hands_their_open_leads_to_the_office(database_url: str, run_bot: BotCli) -> None:
    added = await run_bot.in_thread("agents", "add", "--chat-id", "111", "--name", "A", "--area", "qn-tien-yen")
    assert added.returncode == 0, added.stderr
    await add_leads(database_url)
    removed = await run_bot.in_thread("agents", "remove", "--chat-id", "111")
    assert removed.returncode == 0, removed.stderr
    assert "2 yêu cầu đang mở được chuyển về hàng chờ văn phòng: #1, #2" in removed.stdout
    assert (await run_bot.in_thread("agents", "remove", "--chat-id", "111")).returncode == 1


def test_areas_list_shows_every_area_with_its_agents(run_bot: BotCli) -> None:
    run_bot("agents", "add", "--chat-id", "111", "--name", "A", "--area", "qn-tien-yen")
    result = run_bot("areas", "list")
    assert result.returncode == 0, result.stderr
    assert "qn-tien-yen" in result.stdout and "đại lý: 1" in result.stdout
    assert result.stdout.rstrip().endswith("54 xã/phường/đặc khu.")


async def test_export_writes_csv_with_vietnamese_headers_and_filters_by_area(
    database_url: str, tmp_path: Path, run_bot: BotCli
) -> None:
    await run_bot.in_thread("agents", "add", "--chat-id", "111", "--name", "Đại lý A", "--area", "qn-tien-yen")
    await add_leads(database_url)
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    result = await run_bot.in_thread("leads", "export", "--since", since, "--area", "tien yen")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == HEADERS and "Số điện thoại" in rows[0]
    assert len(rows) == 3 and {row[3] for row in rows[1:]} == {"Xã Tiên Yên"}
    name, phone = HEADERS.index("Họ tên"), HEADERS.index("Số điện thoại")
    assert rows[1][name] == NAME and rows[1][phone] == "'" + PHONE  # text in every spreadsheet, never a formula
    output = tmp_path / "leads.csv"
    assert (await run_bot.in_thread("leads", "export", "--since", since, "--output", str(output))).returncode == 0
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Vietnamese letters


async def test_export_writes_an_excel_file(database_url: str, tmp_path: Path, run_bot: BotCli) -> None:
    await run_bot.in_thread("agents", "add", "--chat-id", "111", "--name", "Đại lý A", "--area", "qn-tien-yen")
    await add_leads(database_url)
    output = tmp_path / "leads.xlsx"
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    result = await run_bot.in_thread("leads", "export", "--format", "xlsx", "--since", since, "--output", str(output))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(output).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == HEADERS and len(values) == 4


async def test_stats_count_leads_by_area_and_status_with_the_median_first_contact(
    database_url: str, run_bot: BotCli
) -> None:
    await run_bot.in_thread("agents", "add", "--chat-id", "111", "--name", "Đại lý A", "--area", "qn-tien-yen")
    await add_leads(database_url)
    result = await run_bot.in_thread("leads", "stats")
    assert result.returncode == 0, result.stderr
    assert "Xã Tiên Yên [qn-tien-yen]: 2 (Đã gọi: 1, Mới: 1)" in result.stdout
    assert "Tổng: 3 yêu cầu." in result.stdout
    assert "(trung vị, 1 yêu cầu): 2 giờ 0 phút" in result.stdout


async def test_purge_erases_personal_data_past_the_retention_period(database_url: str, run_bot: BotCli) -> None:
    await run_bot.in_thread("agents", "add", "--chat-id", "111", "--name", "Đại lý A", "--area", "qn-tien-yen")
    await add_leads(database_url)
    kept = await run_bot.in_thread("leads", "purge")
    assert "của 0 yêu cầu" in kept.stdout
    purged = await run_bot.in_thread("leads", "purge", "--older-than-days", "0")
    assert purged.returncode == 0 and "của 3 yêu cầu" in purged.stdout
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert PHONE not in (await run_bot.in_thread("leads", "export", "--since", since)).stdout
