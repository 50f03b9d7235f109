"""Office commands that protect staff against slips: a phone number typed as a chat id, Vietnamese help and
errors, dates as people write them (dd/mm/yyyy), a default export period, and export columns staff can use
as they are (the number to dial, the calculator result the citizen brought)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.core.leads.export import HEADERS
from bot.core.leads.records import CLI
from bot.core.leads.routing import LeadContext
from bot.storage import leads
from bot.storage.db import Database
from bot.storage.migrations import migrate
from tests.cli import BotCli
from tests.lead_factories import NAME, OFFICE_TZ, new_lead

DIAL_COLUMN = HEADERS.index("Số để gọi")
RESULT_COLUMN = HEADERS.index("Kết quả tính thử")
NAME_COLUMN = HEADERS.index("Họ tên")
SUMMARY = "Tự đóng mỗi tháng theo thu nhập 3 triệu"  # what the calculator flow keeps as the lead's summary


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


async def add_leads_days_ago(url: str, *days_ago: int) -> None:
    """One lead per value, created that many days ago, named "Người <days>"."""
    context = LeadContext({}, OFFICE_TZ)
    now = datetime.now(UTC)
    async with Database(url) as database:
        database.create_directory()
        await migrate(database)
        async with database.transaction() as connection:
            for days in days_ago:
                lead = new_lead(name=f"Người {days}", calculator={"summary": SUMMARY})
                await leads.create(connection, lead, context, now - timedelta(days=days), None, CLI)


def exported_names(stdout: str) -> set[str]:
    return {row[NAME_COLUMN] for row in list(csv.reader(io.StringIO(stdout)))[1:]}


@pytest.mark.parametrize("typed", ["0912345678", "0912 345 678", "+84912345678", "84912345678"])
def test_a_phone_number_typed_as_the_chat_id_is_refused_with_how_to_find_the_chat_id(
    run_bot: BotCli, typed: str
) -> None:
    result = run_bot("agents", "add", "--chat-id", typed, "--name", "Trần Thị Mai", "--area", "qn-tien-yen")
    assert result.returncode == 2
    assert "giống số điện thoại" in result.stderr
    assert "/leads" in result.stderr and "Mã chat của anh/chị" in result.stderr
    assert "Chưa có đại lý nào" in run_bot("agents", "list").stdout  # nothing was added


def test_a_real_chat_id_is_still_accepted(run_bot: BotCli) -> None:
    added = run_bot("agents", "add", "--chat-id", "5123456789", "--name", "Trần Thị Mai", "--area", "qn-tien-yen")
    assert added.returncode == 0, added.stderr
    assert "chat 5123456789" in added.stdout


def test_removing_an_agent_by_a_phone_number_is_refused_too(run_bot: BotCli) -> None:
    result = run_bot("agents", "remove", "--chat-id", "0912345678")
    assert result.returncode == 2 and "giống số điện thoại" in result.stderr


def test_help_and_argparse_errors_are_in_vietnamese(run_bot: BotCli) -> None:
    helped = run_bot("agents", "add", "--help")
    assert helped.returncode == 0
    assert "Cách dùng:" in helped.stdout and "tùy chọn:" in helped.stdout
    assert "usage:" not in helped.stdout and "options:" not in helped.stdout
    assert "mã chat Telegram" in helped.stdout
    missing = run_bot("agents", "add", "--name", "A")
    assert missing.returncode == 2
    assert "lỗi: thiếu tham số bắt buộc: --chat-id, --area" in missing.stderr
    export_help = " ".join(run_bot("leads", "export", "--help").stdout.split())  # as read, not as wrapped
    assert "dd/mm/yyyy" in export_help and "7 ngày trước" in export_help


async def test_export_without_since_lists_the_last_seven_days(database_url: str, run_bot: BotCli) -> None:
    await add_leads_days_ago(database_url, 2, 10)
    result = await run_bot.in_thread("leads", "export")
    assert result.returncode == 0, result.stderr
    assert exported_names(result.stdout) == {"Người 2"}


async def test_export_takes_dates_as_dd_mm_yyyy_and_until_is_the_last_day_included(
    database_url: str, run_bot: BotCli
) -> None:
    await add_leads_days_ago(database_url, 2, 10)
    today = datetime.now(OFFICE_TZ).date()
    eleven_days_ago = f"{today - timedelta(days=11):%d/%m/%Y}"
    everything = await run_bot.in_thread("leads", "export", "--since", eleven_days_ago)
    assert everything.returncode == 0, everything.stderr
    assert exported_names(everything.stdout) == {"Người 2", "Người 10"}
    older = await run_bot.in_thread(
        "leads", "export", "--since", eleven_days_ago, "--until", f"{today - timedelta(days=10):%d/%m/%Y}"
    )
    assert exported_names(older.stdout) == {"Người 10"}
    iso = await run_bot.in_thread("leads", "export", "--since", f"{today - timedelta(days=3):%Y-%m-%d}")
    assert exported_names(iso.stdout) == {"Người 2"}


def test_a_date_that_is_not_one_is_refused_in_vietnamese(run_bot: BotCli) -> None:
    result = run_bot("leads", "export", "--since", "31/02/2026")
    assert result.returncode == 2 and "ngày phải có dạng dd/mm/yyyy" in result.stderr


async def test_csv_export_has_the_number_to_dial_and_the_calculator_result(database_url: str, run_bot: BotCli) -> None:
    await add_leads_days_ago(database_url, 1)
    result = await run_bot.in_thread("leads", "export")
    header, row = list(csv.reader(io.StringIO(result.stdout)))
    assert header[DIAL_COLUMN] == "Số để gọi" and header[RESULT_COLUMN] == "Kết quả tính thử"
    assert row[DIAL_COLUMN] == "0912 345 678"  # the leading 0 kept: staff dial it as it is
    assert row[RESULT_COLUMN] == SUMMARY


async def test_xlsx_export_keeps_the_number_to_dial_as_text_with_its_leading_zero(
    database_url: str, tmp_path: Path, run_bot: BotCli
) -> None:
    await add_leads_days_ago(database_url, 1)
    output = tmp_path / "leads.xlsx"
    result = await run_bot.in_thread("leads", "export", "--format", "xlsx", "--output", str(output))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(output).active
    assert sheet is not None
    header, row = list(sheet.iter_rows(min_row=1, max_row=2))
    assert header[DIAL_COLUMN].value == "Số để gọi"
    assert row[DIAL_COLUMN].value == "0912 345 678" and row[DIAL_COLUMN].data_type == "s"
    assert row[RESULT_COLUMN].value == SUMMARY
    assert row[NAME_COLUMN].value == "Người 1" != NAME


async def test_erased_leads_export_an_empty_number_to_dial(database_url: str, run_bot: BotCli) -> None:
    await add_leads_days_ago(database_url, 1)
    assert (await run_bot.in_thread("leads", "purge", "--older-than-days", "0")).returncode == 0
    _, row = list(csv.reader(io.StringIO((await run_bot.in_thread("leads", "export")).stdout)))
    assert (row[DIAL_COLUMN], row[RESULT_COLUMN]) == ("", "")
