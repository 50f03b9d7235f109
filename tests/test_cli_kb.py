"""`python -m bot kb …` as staff run it: publish an edited folder, see the history and what changed, roll back,
export a revision to edit; an invalid folder, or a change the regression check refuses, publishes nothing.

Each test has its own SQLite database, which the first command seeds with knowledge/ as revision 1. The
questions the check replays are the folder's checks.jsonl and KNOWLEDGE_CHECK_QUESTIONS, which the tests set
(never ../shared/eval/dev.jsonl)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.storage.knowledge_files import read_folder
from tests.cli import BotCli
from tests.factories import KNOWLEDGE_DIR

QUESTION = "bh tự nguyện là cái chi rứa, tui bán rau ngoài chợ có tham gia được hông"  # a phrasing of tn.la-gi
OLD_SHORT = "BHXH tự nguyện là bảo hiểm xã hội do Nhà nước tổ chức"
NEW_SHORT = "Theo bản mới, BHXH tự nguyện là bảo hiểm xã hội do Nhà nước tổ chức"


@pytest.fixture(autouse=True)
def environment(run_bot: BotCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database of the test's own, and no development set (a path that does not exist) unless a test
    writes one there."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}")
    monkeypatch.setenv("KNOWLEDGE_CHECK_QUESTIONS", str(tmp_path / "dev.jsonl"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of knowledge/ to edit (the repository's folder is never touched)."""
    copy = tmp_path / "edited"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    return copy


def edit(path: Path, old: str, new: str) -> int:
    """Replace the one `old` in the file; the line (1-based) where it was."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    at = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, at) + 1


def move_question_to_another_entry(folder: Path) -> None:
    """The new knowledge answers QUESTION with tn.muc-dong instead of tn.la-gi."""
    edit(folder / "faq" / "tn.yaml", f"      - {QUESTION}\n", "")
    edit(
        folder / "faq" / "tn.yaml",
        "      - mức đóng bhxh tự nguyện\n",
        f"      - mức đóng bhxh tự nguyện\n      - {QUESTION}\n",
    )


def history(run_bot: BotCli) -> list[dict[str, object]]:
    result = run_bot("kb", "history", "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def numbers(run_bot: BotCli) -> list[object]:
    return [row["number"] for row in history(run_bot)]


def published(run_bot: BotCli, folder: Path, *options: str) -> None:
    result = run_bot("kb", "publish", str(folder), "--by", "Lan", "--note", "sửa tn.la-gi", *options)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Đã công bố bản " in result.stdout


# -- publish ------------------------------------------------------------------------------------------------


def test_kb_publish_of_an_edited_folder_makes_it_revision_2(run_bot: BotCli, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    result = run_bot("kb", "publish", str(folder), "--by", "Lan", "--note", "sửa tn.la-gi")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Đã công bố bản 2." in result.stdout
    assert "Kiểm tra hồi quy: " in result.stdout
    assert numbers(run_bot) == [2, 1]


def test_kb_history_lists_the_revisions_newest_first_the_live_one_starred(run_bot: BotCli, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    published(run_bot, folder)
    result = run_bot("kb", "history")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if re.match(r"^\s+\d+[* ] ", line)]
    assert [line.split()[0] for line in rows] == ["2*", "1"]
    assert "Lan" in rows[0] and "sửa tn.la-gi" in rows[0] and "0 kém hơn" in rows[0]
    assert "knowledge/" in rows[1]
    assert result.stdout.rstrip().endswith("(* bản đang chạy)")


def test_kb_diff_names_the_entry_that_changed(run_bot: BotCli, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    published(run_bot, folder)
    result = run_bot("kb", "diff", "1", "2")
    assert result.returncode == 0, result.stderr
    assert "Bản 1 → bản 2: 1 mục hỏi đáp, 0 con số, 0 phần khác thay đổi." in result.stdout
    assert "Mục hỏi đáp: tn.la-gi" in result.stdout
    assert "faq/tn.yaml › entries › tn.la-gi › short: " in result.stdout
    as_json = json.loads(run_bot("kb", "diff", "1", "2", "--json").stdout)
    assert [(change["file"], change["path"], change["kind"]) for change in as_json] == [
        ("faq/tn.yaml", ["entries", "tn.la-gi", "short"], "changed")
    ]


def test_kb_diff_of_a_revision_that_does_not_exist_says_so(run_bot: BotCli) -> None:
    result = run_bot("kb", "diff", "1", "9")
    assert result.returncode == 1
    assert "Không có bản 9" in result.stderr


# -- rollback -----------------------------------------------------------------------------------------------


def test_kb_rollback_publishes_the_files_of_an_old_revision_as_a_new_one(run_bot: BotCli, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    published(run_bot, folder)
    result = run_bot("kb", "rollback", "1", "--by", "Hoa")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Đã công bố bản 3" in result.stdout
    assert json.loads(run_bot("kb", "diff", "1", "3", "--json").stdout) == []
    latest = history(run_bot)[0]
    assert (latest["number"], latest["published_by"], latest["restored_from"]) == (3, "Hoa", 1)
    assert "khôi phục bản 1" in run_bot("kb", "history").stdout


def test_kb_rollback_to_a_revision_that_does_not_exist_publishes_nothing(run_bot: BotCli) -> None:
    result = run_bot("kb", "rollback", "9", "--by", "Hoa")
    assert result.returncode == 1
    assert "Không có bản 9" in result.stderr
    assert numbers(run_bot) == [1]


# -- export -------------------------------------------------------------------------------------------------


def test_kb_export_writes_files_that_kb_publish_finds_unchanged(run_bot: BotCli, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    result = run_bot("kb", "export", str(out))
    assert result.returncode == 0, result.stderr
    assert f"của bản 1 vào {out}" in result.stdout
    assert read_folder(out) == read_folder(KNOWLEDGE_DIR)
    again = run_bot("kb", "publish", str(out), "--by", "Lan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Không có gì để công bố: các tệp giống hệt bản đang chạy." in again.stdout
    assert numbers(run_bot) == [1]


def test_kb_export_of_an_older_revision_writes_its_files(run_bot: BotCli, folder: Path, tmp_path: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    published(run_bot, folder)
    assert run_bot("kb", "export", str(tmp_path / "one"), "--revision", "1").returncode == 0
    assert run_bot("kb", "export", str(tmp_path / "live")).returncode == 0
    assert read_folder(tmp_path / "one") == read_folder(KNOWLEDGE_DIR)
    assert read_folder(tmp_path / "live") == read_folder(folder)


def test_kb_export_refuses_a_folder_with_knowledge_files_unless_told_to_overwrite(
    run_bot: BotCli, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    assert run_bot("kb", "export", str(out)).returncode == 0
    (out / "policy.yaml").write_text("params: {}\n", encoding="utf-8")
    (out / "faq" / "cu.yaml").write_text("subject: cu\n", encoding="utf-8")
    refused = run_bot("kb", "export", str(out))
    assert refused.returncode == 1
    assert "--overwrite" in refused.stderr
    assert (out / "policy.yaml").read_text(encoding="utf-8") == "params: {}\n"
    overwritten = run_bot("kb", "export", str(out), "--overwrite")
    assert overwritten.returncode == 0, overwritten.stderr
    assert not (out / "faq" / "cu.yaml").exists()  # the folder holds exactly the revision's files
    assert read_folder(out) == read_folder(KNOWLEDGE_DIR)


# -- what stops publishing ----------------------------------------------------------------------------------


def test_a_folder_with_a_misspelt_key_publishes_nothing_and_names_the_file_and_line(
    run_bot: BotCli, folder: Path
) -> None:
    line = edit(
        folder / "faq" / "tn.yaml", "    keywords: [bhxh tự nguyện là gì,", "    keywrods: [bhxh tự nguyện là gì,"
    )
    result = run_bot("kb", "publish", str(folder), "--by", "Lan", "--note", "thử")
    assert result.returncode == 1
    assert f'faq/tn.yaml:{line}: khóa không hợp lệ "keywrods"' in result.stdout
    assert "Không công bố: 1 lỗi trong các tệp kiến thức" in result.stdout
    assert numbers(run_bot) == [1]


def test_a_folder_with_broken_yaml_publishes_nothing(run_bot: BotCli, folder: Path) -> None:
    edit(folder / "policy.yaml", "  luong_co_so:\n", "  luong_co_so: [\n")
    result = run_bot("kb", "publish", str(folder), "--by", "Lan")
    assert result.returncode == 1
    assert re.search(r"policy\.yaml:\d+: YAML sai cú pháp", result.stdout), result.stdout
    assert numbers(run_bot) == [1]


def test_a_folder_that_cannot_be_read_publishes_nothing(run_bot: BotCli, tmp_path: Path) -> None:
    result = run_bot("kb", "publish", str(tmp_path / "missing"), "--by", "Lan")
    assert result.returncode == 1
    assert "Không công bố: không đọc được" in result.stdout


def test_force_without_a_note_is_refused(run_bot: BotCli, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    result = run_bot("kb", "publish", str(folder), "--by", "Lan", "--force")
    assert result.returncode == 1
    assert "--force cần --note" in result.stderr
    assert numbers(run_bot) == [1]


def test_a_change_that_makes_a_labelled_question_worse_is_refused_unless_forced_with_a_note(
    run_bot: BotCli, folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "dev.jsonl").write_text(
        json.dumps({"q": QUESTION, "expect": ["tn.la-gi"]}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "checks.jsonl").unlink(missing_ok=True)
    move_question_to_another_entry(folder)
    refused = run_bot("kb", "publish", str(folder), "--by", "Lan", "--note", "chuyển câu hỏi")
    assert refused.returncode == 1
    assert "Không công bố: 1 câu có nhãn trả lời kém hơn (cho phép 0)" in refused.stdout
    assert re.search(r"KÉM HƠN +\[dev\] '.+': tn\.la-gi → tn\.muc-dong", refused.stdout), refused.stdout
    assert numbers(run_bot) == [1]

    forced = run_bot("kb", "publish", str(folder), "--by", "Lan", "--force", "--note", "câu này thuộc mức đóng")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "Đã công bố bản 2 (ép công bố dù kiểm tra từ chối)." in forced.stdout
    latest = history(run_bot)[0]
    assert (latest["number"], latest["forced"], latest["note"]) == (2, True, "câu này thuộc mức đóng")
    assert "ép công bố dù kiểm tra từ chối" in run_bot("kb", "history").stdout


def test_kb_publish_json_reports_the_outcome_and_the_check(run_bot: BotCli, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    result = run_bot("kb", "publish", str(folder), "--by", "Lan", "--json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert (outcome["published"], outcome["unchanged"], outcome["report"]["refused"]) == (2, False, False)
    assert outcome["report"]["counts"]["worse"] == 0


def test_a_development_set_line_that_is_not_json_is_named_by_its_file_and_line(
    run_bot: BotCli, folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "dev.jsonl").write_text(
        '{"q": "mức đóng", "expect": ["tn.muc-dong"]}\nkhông phải json\n', encoding="utf-8"
    )
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    result = run_bot("kb", "publish", str(folder), "--by", "Lan")
    assert result.returncode == 1
    assert f"KNOWLEDGE_CHECK_QUESTIONS: {tmp_path / 'dev.jsonl'}:2: không phải JSON" in result.stderr
    assert numbers(run_bot) == [1]
