"""Publishing knowledge: the folder is validated, questions are replayed against the live and the new knowledge,
and only then is a new revision stored, which every running bot follows (bot.shell.publishing,
bot.shell.live_knowledge), on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App, knowledge_builder
from bot.config import Settings
from bot.core.types import Inbound, InboundKind, LogInteraction, Session
from bot.shell.publishing import (
    SEED_AUTHOR,
    Checks,
    PublishOutcome,
    Request,
    bundle_issues,
    diff,
    labelled_questions,
    publish_checked,
)
from bot.storage import interactions, knowledge_revisions
from bot.storage.knowledge_files import read_folder
from bot.storage.knowledge_revisions import NewRevision
from tests.apps import app_on
from tests.databases import Store
from tests.factories import KNOWLEDGE_DIR, TODAY
from tests.lead_factories import NOW

QUESTION = "bh tự nguyện là cái chi rứa, tui bán rau ngoài chợ có tham gia được hông"  # a phrasing of tn.la-gi
OLD_SHORT = "BHXH tự nguyện là bảo hiểm xã hội do Nhà nước tổ chức"
NEW_SHORT = "Theo bản mới, BHXH tự nguyện là bảo hiểm xã hội do Nhà nước tổ chức"
CHECKS = Checks(TODAY, real_questions=500, allowed_worse=0)
BY_LAN = Request("Lan", "sửa câu trả lời tn.la-gi")


@pytest.fixture
async def app(store: Store) -> AsyncIterator[App]:
    """The bot as `run` starts it on a fresh database: knowledge/ published as revision 1 and live."""
    started = app_on(store)
    await started.start()
    yield started
    await started.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of knowledge/ to edit, as staff would before `kb publish`."""
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def move_question_to_another_entry(folder: Path) -> None:
    """The phrasing QUESTION leaves tn.la-gi for tn.muc-dong: the new knowledge answers it with tn.muc-dong."""
    edit(folder / "faq" / "tn.yaml", f"      - {QUESTION}\n", "")
    edit(
        folder / "faq" / "tn.yaml",
        "      - mức đóng bhxh tự nguyện\n",
        f"      - mức đóng bhxh tự nguyện\n      - {QUESTION}\n",
    )


def without_checks(folder: Path) -> None:
    """The folder without checks.jsonl (optional): only the questions a test gives are replayed."""
    (folder / "checks.jsonl").unlink(missing_ok=True)


def write_checks(folder: Path, *lines: str) -> None:
    (folder / "checks.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


async def publish(app: App, folder: Path, request: Request = BY_LAN, checks: Checks = CHECKS) -> PublishOutcome:
    live = app.knowledge.current()
    return await publish_checked(app.database, live, read_folder(folder), app.knowledge.build, request, checks, NOW)


async def live_number(app: App) -> int | None:
    async with app.database.transaction() as connection:
        return await knowledge_revisions.live_number(connection)


def reply_to(app: App, question: str) -> str:
    outcome = app.handle(Inbound("console", InboundKind.TEXT, text=question), Session("console"), TODAY)
    return "\n".join(reply.text for reply in outcome.replies)


# -- the first start -----------------------------------------------------------------------------------------


async def test_the_first_start_publishes_the_knowledge_folder_as_revision_1_once(app: App, store: Store) -> None:
    await app.start()  # started again: the database has a revision already
    other = app_on(store)
    await other.start()
    await other.close()
    async with app.database.transaction() as connection:
        revisions = await knowledge_revisions.history(connection)
        files = await knowledge_revisions.files_of(connection, 1)
    assert [(r.number, r.published_by) for r in revisions] == [(1, SEED_AUTHOR)]
    assert files == read_folder(KNOWLEDGE_DIR)
    assert app.knowledge.current().revision == 1


async def test_a_started_bot_answers_from_the_live_revision_not_from_its_folder(store: Store, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    async with store.open() as database, database.transaction() as connection:
        await knowledge_revisions.publish(connection, read_folder(KNOWLEDGE_DIR), NewRevision("Hoa"), NOW)
        await knowledge_revisions.publish(connection, read_folder(folder), NewRevision("Lan"), NOW)
    app = app_on(store)
    assert NEW_SHORT not in reply_to(app, QUESTION)
    await app.start()
    try:
        assert app.knowledge.current().revision == 2
        assert NEW_SHORT in reply_to(app, QUESTION)
    finally:
        await app.close()


# -- publishing a change -------------------------------------------------------------------------------------


async def test_a_changed_answer_is_published_as_revision_2_and_a_bot_that_follows_answers_with_it(
    app: App, store: Store, folder: Path
) -> None:
    other = app_on(store)  # a second bot on the same database, started before the change
    await other.start()
    try:
        edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
        outcome = await publish(app, folder)
        assert (outcome.number, outcome.unchanged, outcome.report is not None) == (2, False, True)
        assert NEW_SHORT not in reply_to(other, QUESTION)  # until it follows
        assert await other.knowledge.follow()
        assert other.knowledge.current().revision == 2
        assert NEW_SHORT in reply_to(other, QUESTION)
        assert not await other.knowledge.follow()  # already answering from the live revision
    finally:
        await other.close()
    async with app.database.transaction() as connection:
        revision = await knowledge_revisions.revision(connection, 2)
        files = await knowledge_revisions.files_of(connection, 2)
    assert (revision.published_by, revision.note, revision.forced) == ("Lan", "sửa câu trả lời tn.la-gi", False)
    assert revision.check_summary is not None and revision.check_summary["worse"] == 0
    assert files == read_folder(folder)


async def test_a_folder_with_a_yaml_error_publishes_nothing(app: App, folder: Path) -> None:
    edit(
        folder / "faq" / "tn.yaml",
        "    followups: [tn.muc-dong, tn.quyen-loi, tn.dang-ky, lead.tu-van]\n",
        "    followups: [tn.muc-dong\n",
    )
    outcome = await publish(app, folder)
    assert not outcome.published and outcome.report is None
    errors = [issue for issue in outcome.issues if issue.level == "error"]
    assert errors and all(issue.where.startswith("faq/tn.yaml") for issue in errors)
    assert "YAML sai cú pháp" in errors[0].message
    assert await live_number(app) == 1


async def test_a_folder_that_fails_validation_publishes_nothing(app: App, folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", "followups: [tn.muc-dong, tn.quyen-loi,", "followups: [tn.khong-co, tn.quyen-loi,")
    outcome = await publish(app, folder)
    assert not outcome.published
    assert any(issue.level == "error" and "tn.khong-co" in str(issue) for issue in outcome.issues)
    assert await live_number(app) == 1


async def test_the_files_of_the_live_revision_are_unchanged_and_nothing_is_published(app: App, folder: Path) -> None:
    outcome = await publish(app, folder)
    assert outcome.unchanged and not outcome.published
    assert outcome.report is None  # nothing to replay
    assert await live_number(app) == 1


async def test_a_change_that_makes_a_labelled_question_worse_is_refused(app: App, folder: Path) -> None:
    move_question_to_another_entry(folder)
    write_checks(folder, f'{{"q": "{QUESTION}", "expect": ["tn.la-gi"]}}')
    outcome = await publish(app, folder)
    assert not outcome.published and outcome.report is not None and outcome.report.refused
    [worse] = outcome.report.worse
    assert (worse.question.source, worse.before.describe(), worse.after.describe()) == (
        "checks",
        "tn.la-gi",
        "tn.muc-dong",
    )
    assert await live_number(app) == 1


async def test_a_refused_change_is_published_when_forced_with_a_note_and_marked_forced(app: App, folder: Path) -> None:
    move_question_to_another_entry(folder)
    write_checks(folder, f'{{"q": "{QUESTION}", "expect": ["tn.la-gi"]}}')
    forced = Request("Hoa", "câu này nay thuộc mục mức đóng", force=True)
    outcome = await publish(app, folder, forced)
    assert outcome.number == 2 and outcome.report is not None and outcome.report.refused
    async with app.database.transaction() as connection:
        revision = await knowledge_revisions.revision(connection, 2)
    assert (revision.published_by, revision.note, revision.forced) == ("Hoa", "câu này nay thuộc mục mức đóng", True)
    assert revision.check_summary is not None and revision.check_summary["worse"] == 1


async def test_a_change_within_the_allowed_worse_is_published_and_not_marked_forced(app: App, folder: Path) -> None:
    move_question_to_another_entry(folder)
    write_checks(folder, f'{{"q": "{QUESTION}", "expect": ["tn.la-gi"]}}')
    outcome = await publish(app, folder, checks=Checks(TODAY, allowed_worse=1))
    assert outcome.number == 2 and outcome.report is not None and not outcome.report.refused
    async with app.database.transaction() as connection:
        assert not (await knowledge_revisions.revision(connection, 2)).forced


async def test_the_development_set_is_replayed_with_the_files_own_checks(app: App, folder: Path) -> None:
    move_question_to_another_entry(folder)
    write_checks(folder, '{"q": "mức đóng bhxh tự nguyện", "expect": ["tn.muc-dong"]}')
    development_set = labelled_questions([{"q": QUESTION, "expect": ["tn.la-gi"]}], "dev")
    outcome = await publish(app, folder, checks=Checks(TODAY, labelled=development_set, allowed_worse=0))
    assert outcome.report is not None and outcome.report.refused
    assert outcome.report.by_source == {"dev": 1, "checks": 1}
    assert [d.question.source for d in outcome.report.worse] == ["dev"]


async def test_real_questions_from_the_interaction_log_are_replayed(app: App, folder: Path) -> None:
    asked = app.matcher.match(QUESTION)
    async with app.database.transaction() as connection:
        await interactions.log(connection, "telegram", LogInteraction(asked.normalised, "answer", "tn.la-gi"), NOW)
        await interactions.log(connection, "telegram", LogInteraction("", "menu", None), NOW + timedelta(seconds=1))
    move_question_to_another_entry(folder)
    without_checks(folder)
    outcome = await publish(app, folder)
    assert outcome.number == 2  # a real question has no label: it is reported, never counted as worse
    assert outcome.report is not None and outcome.report.by_source == {"real": 1}
    [moved] = outcome.report.differences
    assert (moved.question.text, moved.question.source, moved.change, moved.verdict) == (
        asked.normalised,
        "real",
        "moved",
        "",
    )


# -- following -----------------------------------------------------------------------------------------------


async def test_a_revision_that_cannot_be_loaded_is_not_followed(app: App) -> None:
    broken = {**read_folder(KNOWLEDGE_DIR), "policy.yaml": "params: [không, phải, bảng]\n"}
    async with app.database.transaction() as connection:
        await knowledge_revisions.publish(connection, broken, NewRevision("ai đó"), NOW)
    assert not await app.knowledge.follow()
    assert app.knowledge.current().revision == 1
    assert "BHXH tự nguyện" in reply_to(app, QUESTION)


# -- what changed --------------------------------------------------------------------------------------------


def test_the_diff_of_two_folders_names_the_changed_entry(folder: Path) -> None:
    edit(folder / "faq" / "tn.yaml", OLD_SHORT, NEW_SHORT)
    [change] = diff(read_folder(KNOWLEDGE_DIR), read_folder(folder))
    assert (change.file, change.path) == ("faq/tn.yaml", ("entries", "tn.la-gi", "short"))


def test_a_file_reformatted_is_not_a_change_and_a_new_checks_file_is(folder: Path) -> None:
    edit(
        folder / "faq" / "tn.yaml",
        "    followups: [tn.muc-dong, tn.quyen-loi, tn.dang-ky, lead.tu-van]\n",
        "    followups:\n      - tn.muc-dong\n      - tn.quyen-loi\n      - tn.dang-ky\n      - lead.tu-van\n",
    )
    write_checks(folder, '{"q": "mức đóng", "expect": ["tn.muc-dong"]}')
    old = {name: text for name, text in read_folder(KNOWLEDGE_DIR).items() if name != "checks.jsonl"}
    changes = diff(old, read_folder(folder))
    assert [(change.file, change.kind) for change in changes] == [("checks.jsonl", "added")]


def test_a_file_that_does_not_parse_is_compared_as_text(folder: Path) -> None:
    old = read_folder(KNOWLEDGE_DIR)
    new = {**old, "bot.yaml": "messages: [\n"}
    [change] = diff(old, new)
    assert (change.file, change.path, change.new) == ("bot.yaml", (), "messages: [\n")


def test_a_check_that_expects_an_entry_the_knowledge_does_not_have_is_an_error(folder: Path) -> None:
    write_checks(folder, '{"q": "mức đóng", "expect": ["tn.khong-co"]}')
    issues, _ = bundle_issues(read_folder(folder), knowledge_builder(Settings(_env_file=None)), Checks(TODAY))
    assert [(i.level, i.where) for i in issues if "tn.khong-co" in i.message] == [("error", "checks.jsonl")]
