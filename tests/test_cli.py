"""The command line as staff run it: `python -m bot ...`, in this process (the `run_bot` fixture, tests/cli.py)
but for the smoke tests that run the real process."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.types import Session
from bot.storage import sessions
from bot.storage.db import Database
from bot.storage.migrations import current_revision, head_revision
from tests.cli import BotCli, run_bot_process
from tests.factories import KNOWLEDGE_DIR

QUESTION = "Làm mất thẻ bảo hiểm y tế thì xin cấp lại thế nào?"


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test's bot keeps its conversations in an SQLite file of its own, never in ./data/."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


# -- ask -------------------------------------------------------------------------------------


def test_ask_prints_the_answer_with_its_sources_and_numbered_buttons() -> None:
    result = run_bot_process("ask", QUESTION)  # the real process: a smoke test of `python -m bot`
    assert result.returncode == 0, result.stderr
    assert "Căn cứ: " in result.stdout
    assert "Cập nhật: " in result.stdout
    assert "  [1] " in result.stdout
    assert result.stdout.rstrip().endswith("Menu chính")


def test_ask_joins_words_given_as_separate_arguments(run_bot: BotCli) -> None:
    joined = run_bot("ask", QUESTION)
    split = run_bot("ask", *QUESTION.split())
    assert split.stdout == joined.stdout


def test_ask_on_a_date_shows_the_figures_in_force_that_day(run_bot: BotCli) -> None:
    question = "mức đóng bhyt hộ gia đình"
    before = run_bot("ask", "--date", "2026-06-30", question)
    after = run_bot("ask", "--date", "2026-11-23", question)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert "người thứ nhất 1.263.600 đồng" in before.stdout
    assert "người thứ nhất 1.366.200 đồng" in after.stdout


def test_ask_without_a_question_is_a_usage_error(run_bot: BotCli) -> None:
    result = run_bot("ask")
    assert result.returncode == 2
    assert "Cách dùng" in result.stderr and "thiếu tham số bắt buộc" in result.stderr


# -- match -----------------------------------------------------------------------------------


def test_match_prints_one_json_decision_per_input_line_in_order(run_bot: BotCli) -> None:
    questions = [QUESTION, "giá vàng hôm nay", "", "bảo hiểm", "tra cuu ma so bhxh o dau"]
    result = run_bot("match", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["q"] for r in records] == questions
    for record in records:
        assert set(record) == {"q", "id", "score", "decision", "alternatives", "also", "topic"}
        assert record["decision"] in {"answer", "suggest", "fallback"}
        assert 0 <= record["score"] <= 1
        assert all(set(a) == {"id", "score"} for a in record["alternatives"])
    assert (records[0]["decision"], records[0]["id"]) == ("answer", "bhyt.mat-the")
    assert (records[1]["decision"], records[1]["id"]) == ("fallback", None)


def test_match_keeps_vietnamese_letters_readable_in_its_output(run_bot: BotCli) -> None:
    result = run_bot("match", stdin="thẻ bảo hiểm y tế\n")
    assert '"q": "thẻ bảo hiểm y tế"' in result.stdout


# -- eval ------------------------------------------------------------------------------------


@pytest.fixture
def labelled_file(tmp_path: Path) -> Path:
    lines = [
        {"q": QUESTION, "expect": ["bhyt.mat-the"], "style": "dau"},
        {"q": "lam mat the bao hiem y te thi xin cap lai the nao", "expect": ["bhyt.mat-the"], "style": "khongdau"},
        {"q": "Giá vàng hôm nay bao nhiêu?", "expect": ["none"], "style": "dau"},
        {"q": "xổ số miền bắc hôm nay", "style": "dau"},
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n\n", encoding="utf-8")
    return path


def test_eval_prints_a_table_with_one_row_per_style_and_a_total(labelled_file: Path, run_bot: BotCli) -> None:
    result = run_bot("eval", str(labelled_file))
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert set(rows) >= {"style", "dau", "khongdau", "ALL"}
    assert rows["ALL"][1] == "2"  # in-scope lines
    assert rows["ALL"][7] == "2"  # out-of-scope lines


def test_eval_json_counts_in_scope_and_out_of_scope_lines(labelled_file: Path, run_bot: BotCli) -> None:
    result = run_bot("eval", "--json", str(labelled_file))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["overall"]["in_scope"] == 2
    assert report["overall"]["none_lines"] == 2
    assert report["overall"]["top1"] == 100.0
    assert report["overall"]["none_fallback"] == 100.0
    assert sorted(report["by_style"]) == ["dau", "khongdau"]


def test_eval_misses_lists_each_wrong_question(tmp_path: Path, run_bot: BotCli) -> None:
    path = tmp_path / "wrong.jsonl"
    path.write_text(json.dumps({"q": QUESTION, "expect": ["tn.muc-dong"], "style": "dau"}) + "\n", encoding="utf-8")
    result = run_bot("eval", "--misses", str(path))
    assert result.returncode == 0, result.stderr
    assert "[dau] expect=tn.muc-dong got=bhyt.mat-the" in result.stdout


# -- kb validate -----------------------------------------------------------------------------


def test_kb_validate_passes_on_the_real_knowledge_base() -> None:
    result = run_bot_process("kb", "validate")  # the real process, as `make test` and CI run it
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 lỗi" in result.stdout
    assert "areas.yaml" not in result.stdout and "leads.yaml" not in result.stdout  # areas and consent text too


def test_kb_validate_fails_when_a_required_topic_has_no_entry(tmp_path: Path, run_bot: BotCli) -> None:
    topics = tmp_path / "topics.tsv"
    topics.write_text(
        "id\tkind\twhat\ntn.muc-dong\tfaq\tmức đóng\ntn.khong-co-that\tfaq\tchưa viết\n", encoding="utf-8"
    )
    result = run_bot("kb", "validate", "--topics", str(topics), "--date", "2026-11-23")
    assert result.returncode == 1
    assert "ERROR   tn.khong-co-that: " in result.stdout
    assert "(ngày 23/11/2026)" in result.stdout


def test_kb_validate_requires_the_topics_of_every_topics_file_in_a_folder(tmp_path: Path, run_bot: BotCli) -> None:
    (tmp_path / "topics.tsv").write_text("id\tkind\twhat\ntn.muc-dong\tfaq\tmức đóng\n", encoding="utf-8")
    (tmp_path / "topics-new.tsv").write_text("id\tkind\twhat\nbb.khong-co-that\tfaq\tchưa viết\n", encoding="utf-8")
    result = run_bot("kb", "validate", "--topics", str(tmp_path), "--date", "2026-11-23")
    assert result.returncode == 1
    assert "ERROR   bb.khong-co-that: " in result.stdout
    assert "tn.muc-dong:" not in result.stdout


def misspelt_knowledge(tmp_path: Path) -> tuple[Path, int, int]:
    """A copy of knowledge/ with a misspelt key in faq/bb.yaml and in leads.yaml, and their lines."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    lines = []
    for name, old, new in (("faq/bb.yaml", "    kind: faq", "    knid: faq"), ("leads.yaml", "\noffice:", "\nofice:")):
        text = (knowledge / name).read_text(encoding="utf-8")
        lines.append(text.count("\n", 0, text.index(old) + 1) + 1)
        (knowledge / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return knowledge, lines[0], lines[1]


def test_kb_validate_names_the_file_and_line_of_every_misspelt_key(tmp_path: Path, run_bot: BotCli) -> None:
    knowledge, faq_line, leads_line = misspelt_knowledge(tmp_path)
    result = run_bot("kb", "validate", "--date", "2026-11-23", extra_env={"KNOWLEDGE_DIR": str(knowledge)})
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f'ERROR   faq/bb.yaml:{faq_line}: khóa không hợp lệ "knid" (có thể là "kind"?)',
        f'ERROR   leads.yaml:{leads_line}: khóa không hợp lệ "ofice" (có thể là "office"?)',
        "Không tải được kho kiến thức: 2 lỗi (ngày 23/11/2026).",
    ]


def test_the_bot_does_not_start_on_a_misspelt_key_and_says_where_it_is(tmp_path: Path, run_bot: BotCli) -> None:
    knowledge, faq_line, _ = misspelt_knowledge(tmp_path)
    result = run_bot("ask", "xin chào", extra_env={"KNOWLEDGE_DIR": str(knowledge)})
    assert result.returncode == 1
    assert f'faq/bb.yaml:{faq_line}: khóa không hợp lệ "knid"' in result.stderr
    assert "Traceback" not in result.stderr


# -- chat ------------------------------------------------------------------------------------


def test_chat_runs_a_conversation_typed_on_stdin(run_bot: BotCli) -> None:
    result = run_bot("chat", stdin=f"/menu\n1\n{QUESTION}\n/quit\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    greeting_line = "Xin chào!"
    assert out.count(greeting_line) == 2  # /start on entry, then /menu
    assert "  [1] BHXH tự nguyện" in out
    assert "Các câu hỏi về BHXH tự nguyện:" in out  # "1" pressed the first menu button
    assert "Căn cứ: " in out  # the question was answered
    assert out.rstrip().endswith("Tạm biệt!")
    assert out.index("Các câu hỏi về") < out.index("Căn cứ: ") < out.index("Tạm biệt!")


def test_chat_ends_quietly_at_end_of_input(run_bot: BotCli) -> None:
    result = run_bot("chat", stdin="")
    assert result.returncode == 0, result.stderr
    assert "Tạm biệt!" in result.stdout


async def test_chat_continues_the_conversation_after_a_restart(database_url: str, run_bot: BotCli) -> None:
    first = await run_bot.in_thread("chat", stdin=f"{QUESTION}\n/quit\n")
    second = await run_bot.in_thread("chat", stdin="/menu\n/quit\n")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    # two turns each run: the /start on entry and one message
    stored = await stored_session(database_url, "console")
    assert stored is not None and stored.seen_at  # when the citizen last wrote: a conversation's quiet spell
    assert replace(stored, seen_at=None) == Session(
        "console", last_entry="bhyt.mat-the", turns=4, last_entry_turn=2, greeted=True
    )


def test_chat_creates_the_folder_of_its_database(tmp_path: Path, run_bot: BotCli) -> None:
    result = run_bot("chat", stdin="/quit\n")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "bot.db").is_file()


def test_chat_with_an_unusable_database_url_says_so_without_a_traceback(run_bot: BotCli) -> None:
    result = run_bot("chat", stdin="/quit\n", extra_env={"DATABASE_URL": "mysql://db/bot"})
    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


# -- db --------------------------------------------------------------------------------------


async def test_db_upgrade_migrates_the_database_and_can_run_again(database_url: str, run_bot: BotCli) -> None:
    first = await run_bot.in_thread("db", "upgrade")
    second = await run_bot.in_thread("db", "upgrade")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert f"revision {head_revision()}" in second.stdout
    assert await revision_of(database_url) == head_revision()


def test_db_upgrade_on_a_database_that_is_not_there_fails_without_a_traceback(run_bot: BotCli) -> None:
    result = run_bot("db", "upgrade", extra_env={"DATABASE_URL": "postgresql://bot:secret@127.0.0.1:9/bot"})
    assert result.returncode == 1
    assert "Không mở được cơ sở dữ liệu" in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr


async def stored_session(url: str, chat: str) -> Session | None:
    async with Database(url) as database, database.transaction() as connection:
        return await sessions.load(connection, chat)


async def revision_of(url: str) -> str | None:
    async with Database(url) as database:
        return await current_revision(database)


def test_a_broken_areas_file_is_a_clear_message_not_a_traceback(tmp_path: Path, run_bot: BotCli) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    (knowledge / "areas.yaml").write_text("areas: 5\n", encoding="utf-8")
    result = run_bot("ask", "xin chào", extra_env={"KNOWLEDGE_DIR": str(knowledge)})
    assert result.returncode == 1
    assert "areas.yaml" in result.stderr and "Traceback" not in result.stderr
