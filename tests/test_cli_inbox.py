"""`python -m bot inbox`: the questions the bot could not answer, grouped, for staff to answer or set aside (in this
process: the `run_bot` fixture, tests/cli.py; from an async test the command runs in a worker thread)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.types import Alternative, LogInteraction
from bot.storage import interactions
from bot.storage.db import Database
from bot.storage.migrations import migrate
from tests.cli import BotCli

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


async def log_questions(url: str) -> datetime:
    """Three maternity questions from two chats (one a suggestion nobody pressed) and one pension question, in
    the last hour; when the last was asked."""
    now = datetime.now(UTC)
    offered = (Alternative("bb.thai-san", 0.4), Alternative("bb.om-dau", 0.3))
    asked = [
        (LogInteraction("thai san nghi may thang", "fallback", None), now - timedelta(minutes=50), "chat-a"),
        (LogInteraction("nghi thai san may thang", "suggest", None, offered), now - timedelta(minutes=40), "chat-b"),
        (LogInteraction("thai san nghi may thang", "fallback", None), now - timedelta(minutes=30), "chat-b"),
        (LogInteraction("luong huu thieu bao nhieu", "uncovered", None, (), "lương hưu"), now, "chat-c"),
        (LogInteraction("muc dong bhyt ho gia dinh", "answer", "bhyt.muc-dong-hgd"), now, "chat-c"),
    ]
    async with Database(url) as database:
        await migrate(database)
        async with database.transaction() as connection:
            for effect, at, chat in asked:
                await interactions.log(connection, "telegram", effect, at, chat)
    return now


def listed(run_bot: BotCli, *args: str) -> dict[str, object]:
    result = run_bot("inbox", *args, "--json")
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


async def test_inbox_lists_the_clusters_most_asked_first(database_url: str, run_bot: BotCli) -> None:
    now = await log_questions(database_url)
    result = await run_bot.in_thread("inbox")
    assert result.returncode == 0, result.stderr
    today = f"{now.astimezone(OFFICE_TZ):%d/%m/%Y}"
    assert "4 câu, 2 nhóm" in result.stdout
    first, second = result.stdout.split("\n\n")[1:3]
    assert first.splitlines()[0].startswith("  1. [")
    assert f"3 lần hỏi, 2 người hỏi, {today} – {today}" in first
    assert first.splitlines()[1].strip() == "thai san nghi may thang"
    assert "bot không hiểu: 2, gợi ý không được chọn: 1; gần nhất: bb.thai-san" in first
    assert "       - nghi thai san may thang" in first.splitlines()
    assert second.splitlines()[0].startswith("  2. [") and "luong huu thieu bao nhieu" in second
    assert "chưa có câu trả lời: 1; chủ đề: lương hưu" in second
    assert "muc dong bhyt" not in result.stdout  # answered


async def test_inbox_json_has_each_cluster_with_its_counts_and_examples(database_url: str, run_bot: BotCli) -> None:
    await log_questions(database_url)
    document = await run_bot.in_thread("inbox", "list", "--json")
    assert document.returncode == 0, document.stderr
    found = json.loads(document.stdout)
    assert (found["total_clusters"], found["total_questions"]) == (2, 4)
    first = found["clusters"][0]
    assert set(first) == {
        "key", "representative", "count", "chats", "first_seen", "last_seen", "examples", "decisions", "topic",
        "nearest",
    }  # fmt: skip
    assert (first["count"], first["chats"], first["decisions"]) == (3, 2, {"fallback": 2, "suggest": 1})
    assert first["examples"] == ["thai san nghi may thang", "nghi thai san may thang"]
    assert datetime.fromisoformat(first["first_seen"]) < datetime.fromisoformat(first["last_seen"])
    assert len(first["key"]) == 10


async def test_a_cluster_marked_done_or_ignored_leaves_the_inbox(database_url: str, run_bot: BotCli) -> None:
    await log_questions(database_url)
    maternity_key = json.loads((await run_bot.in_thread("inbox", "--json")).stdout)["clusters"][0]["key"]
    done = await run_bot.in_thread("inbox", "done", maternity_key.upper(), "--by", "Chị Lan")
    assert done.returncode == 0, done.stderr
    assert f"Đã đánh dấu nhóm [{maternity_key}] «thai san nghi may thang» là đã xử lý" in done.stdout
    assert "(3 lần hỏi, 1 cách hỏi)" in done.stdout  # one signature: the word order does not count
    left = json.loads((await run_bot.in_thread("inbox", "--json")).stdout)["clusters"]
    assert [c["representative"] for c in left] == ["luong huu thieu bao nhieu"]
    pension = left[0]["key"]
    ignored = await run_bot.in_thread("inbox", "ignore", pension, "--by", "Anh Minh")
    assert ignored.returncode == 0 and "là bỏ qua" in ignored.stdout
    empty = await run_bot.in_thread("inbox")
    assert empty.returncode == 0 and "Không có câu hỏi nào bot chưa trả lời được" in empty.stdout


async def test_an_unknown_key_is_a_clear_error(database_url: str, run_bot: BotCli) -> None:
    await log_questions(database_url)
    result = await run_bot.in_thread("inbox", "done", "0123456789", "--by", "Lan")
    assert result.returncode == 1
    assert "Không có nhóm '0123456789'" in result.stderr and "python -m bot inbox" in result.stderr
    assert len(json.loads((await run_bot.in_thread("inbox", "--json")).stdout)["clusters"]) == 2


async def test_since_and_limit_choose_what_is_listed(database_url: str, run_bot: BotCli) -> None:
    now = await log_questions(database_url)
    tomorrow = (now.astimezone(OFFICE_TZ) + timedelta(days=1)).date()
    later = await run_bot.in_thread("inbox", "--since", f"{tomorrow:%d/%m/%Y}")
    assert later.returncode == 0 and f"từ ngày {tomorrow:%d/%m/%Y}" in later.stdout
    assert "Không có câu hỏi nào" in later.stdout
    iso = await run_bot.in_thread("inbox", "list", "--since", tomorrow.isoformat(), "--json")
    assert json.loads(iso.stdout)["clusters"] == []
    one = await run_bot.in_thread("inbox", "--limit", "1")
    assert "  1. [" in one.stdout and "  2. [" not in one.stdout
    assert "… và 1 nhóm nữa" in one.stdout


def test_marking_needs_who_and_a_date_as_staff_write_it(run_bot: BotCli) -> None:
    missing = run_bot("inbox", "done", "0123456789")
    assert missing.returncode == 2 and "thiếu tham số bắt buộc: --by" in missing.stderr
    wrong = run_bot("inbox", "--since", "31/02/2026")
    assert wrong.returncode == 2 and "dd/mm/yyyy" in wrong.stderr
    assert listed(run_bot)["clusters"] == []  # a fresh database: nothing yet
