"""Publishing knowledge: validate the files, replay questions against the live and the new knowledge, store the
new revision. The command line (`kb publish`, `kb rollback`) and the office console call these.

    files = read_folder(Path("knowledge"))
    outcome = await publish_checked(database, live.current(), files, build, request, checks)
    if outcome.published: ...          # outcome.number is live; every instance follows within seconds
    else: outcome.issues / outcome.report says why not

Nothing is stored when the files do not load or `kb validate` finds an error, nor when the regression check
finds more labelled questions worse than allowed (unless forced, with a note saying why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.core.areas import area_issues
from bot.core.evaluation import OUT_OF_SCOPE, Example
from bot.core.file_schema import KnowledgeFileError
from bot.core.knowledge_diff import Change, diff_documents
from bot.core.regression import Question, RegressionReport, compare
from bot.core.validate import Issue, file_issues, validate
from bot.shell.live_knowledge import Builder, Knowledge
from bot.storage import interactions, knowledge_revisions
from bot.storage.db import Database
from bot.storage.knowledge_files import (
    CHECKS_FILE,
    Bundle,
    areas_of,
    bundle_digest,
    checks_of,
    leads_of,
    parse_bundle,
    parse_yaml,
)
from bot.storage.knowledge_revisions import NewRevision

SEED_AUTHOR = "knowledge/"  # who "published" revision 1: the folder shipped with the bot


@dataclass(frozen=True)
class Checks:
    """What a revision is checked against before it goes live."""

    today: date
    required_ids: Sequence[str] = ()  # topic ids every revision must answer (topics*.tsv)
    max_answer_chars: int = 900
    labelled: Sequence[Question] = ()  # the development set, when present
    real_questions: int = 500  # the latest distinct real questions replayed
    allowed_worse: int = 0  # labelled questions that may get worse before publishing is refused


@dataclass(frozen=True)
class Request:
    published_by: str
    note: str = ""
    force: bool = False  # publish although the regression check refuses (a note must say why)
    drafted_by: str | None = None
    restored_from: int | None = None


@dataclass(frozen=True)
class PublishOutcome:
    number: int | None = None  # the new live revision; None: nothing published
    issues: tuple[Issue, ...] = ()  # what `kb validate` found (errors stop publishing)
    report: RegressionReport | None = None
    unchanged: bool = False  # the files are those of the live revision already

    @property
    def published(self) -> bool:
        return self.number is not None


def labelled_questions(rows: Sequence[Mapping[str, Any]], source: str) -> list[Question]:
    """Lines of a .jsonl in the development set's format ({"q": ..., "expect": [...]}) as questions."""
    examples = [Example.from_json(row) for row in rows]
    return [Question(example.question, example.expect, source) for example in examples]


def bundle_issues(bundle: Bundle, build: Builder, checks: Checks) -> tuple[list[Issue], Knowledge | None]:
    """What `kb validate` says about these files, and their knowledge if they load at all."""
    issues: list[Issue] = []
    for parse in (parse_bundle, areas_of, leads_of, checks_of):
        try:
            parse(bundle)
        except KnowledgeFileError as exc:
            issues += file_issues(exc)
    if issues:
        return issues, None
    try:
        knowledge = build(bundle)
    except KnowledgeFileError as exc:
        return file_issues(exc), None
    issues = validate(knowledge.kb, checks.today, checks.required_ids, checks.max_answer_chars)
    areas = knowledge.kb.leads.areas if knowledge.kb.leads else ()
    issues += [Issue("error", f"areas.yaml {where}", problem) for where, problem in area_issues(areas)]
    if not areas:
        issues.append(Issue("error", "areas.yaml", "chưa có xã/phường nào"))
    known = {*knowledge.kb.entries, OUT_OF_SCOPE}
    for question in labelled_questions(checks_of(bundle), CHECKS_FILE):
        issues += [
            Issue("error", CHECKS_FILE, f"câu “{question.text}”: không có mục “{expected}” trong kho kiến thức")
            for expected in question.expect
            if expected not in known
        ]
    return issues, knowledge


async def regression(
    database: Database, live: Knowledge, new: Knowledge, bundle: Bundle, checks: Checks
) -> RegressionReport:
    """Replay the labelled questions (the development set and the new files' checks.jsonl) and the latest
    real questions through the live and the new matcher (on a worker thread: the loop goes on answering)."""
    async with database.transaction() as connection:
        real = await interactions.recent_questions(connection, checks.real_questions) if checks.real_questions else []
    questions = [
        *checks.labelled,
        *labelled_questions(checks_of(bundle), "checks"),
        *(Question(text, (), "real") for text in real),
    ]
    return await asyncio.to_thread(compare, questions, live.matcher.match, new.matcher.match, checks.allowed_worse)


async def publish_checked(
    database: Database, live: Knowledge, bundle: Bundle, build: Builder, request: Request, checks: Checks, now: datetime
) -> PublishOutcome:
    """Validate `bundle`, check it against `live`, and publish it unless something stops it."""
    issues, new = bundle_issues(bundle, build, checks)
    if new is None or any(issue.level == "error" for issue in issues):
        return PublishOutcome(issues=tuple(issues))
    if bundle_digest(bundle) == live.digest:
        return PublishOutcome(issues=tuple(issues), unchanged=True)
    report = await regression(database, live, new, bundle, checks)
    if report.refused and not request.force:
        return PublishOutcome(issues=tuple(issues), report=report)
    new_revision = NewRevision(
        request.published_by,
        request.note,
        request.drafted_by,
        request.restored_from,
        forced=report.refused,
        check_summary=report.counts(),
    )
    async with database.transaction() as connection:
        number = await knowledge_revisions.publish(connection, bundle, new_revision, now)
    return PublishOutcome(number, tuple(issues), report)


async def seed(database: Database, bundle: Bundle, now: datetime) -> int | None:
    """On first start: the knowledge folder becomes revision 1 if the database has no revision yet (two
    processes starting together publish it once); the number, or None if there was one already."""
    async with database.transaction() as connection:
        return await knowledge_revisions.publish_first(
            connection, bundle, NewRevision(SEED_AUTHOR, "nhập từ thư mục knowledge/ lần đầu chạy"), now
        )


def documents(bundle: Bundle) -> dict[str, Any]:
    """Each file parsed (YAML; checks.jsonl as its list of questions), for `diff`; a file that does not
    parse is compared as text."""
    parsed: dict[str, Any] = {}
    for name, text in bundle.items():
        try:
            parsed[name] = checks_of({name: text}) if name.endswith(".jsonl") else parse_yaml(text, name)
        except KnowledgeFileError:
            parsed[name] = text
    return parsed


def diff(old: Bundle, new: Bundle) -> list[Change]:
    """What changed from the files `old` to `new` (bot.core.knowledge_diff)."""
    return diff_documents(documents(old), documents(new))
