"""Knowledge drafts from the office console: edit an entry, a figure or the lexicon in a draft, submit it, and
let an approver publish it (the check of bot.shell.publishing) or return it with a comment.

    drafts = Drafts(database, live_knowledge, clock)
    edited = await drafts.edit_entry("lan", "tn.muc-dong", fields, checks)   # edited.issues: `kb validate`
    await drafts.submit("lan", edited.draft.id, checks)
    outcome = await drafts.publish("hung", draft_id, checks)                  # PublishOutcome

A draft holds whole files, only the changed ones; its bundle is the live revision's files with them on top.
An edit rewrites only the part of the file it changes (the entry's lines, a figure's new line, a lexicon line)
so the file's comments stay, and falls back to writing the whole file again from its data (comments lost)
when the text cannot be patched in place. Every change is written to the audit log in the transaction that
stores it; publishing and rollback are audited right after the revision is stored (publish_checked commits
its own transaction).
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import yaml

from bot.core.knowledge_diff import Change
from bot.core.regression import RegressionReport
from bot.core.types import Clock
from bot.core.validate import Issue
from bot.shell.live_knowledge import Knowledge, LiveKnowledge
from bot.shell.publishing import Checks, PublishOutcome, Request, bundle_issues, diff, publish_checked, regression
from bot.storage import knowledge_drafts, knowledge_revisions
from bot.storage import staff as staff_store
from bot.storage.db import Database
from bot.storage.knowledge_drafts import DISCARDED, PUBLISHED, RETURNED, SUBMITTED, WORKING, Draft
from bot.storage.knowledge_files import faq_names, parse_yaml

POLICY_FILE = "policy.yaml"
LEXICON_FILE = "lexicon.yaml"
LEXICON_SECTIONS = {
    "abbreviations": "Viết tắt",
    "synonyms": "Từ đồng nghĩa",
    "typos": "Lỗi gõ thường gặp",
    "teencode": "Cách viết tắt trên mạng",
}
ENTRY_FIELDS = ("title", "questions", "keywords", "short", "details", "followups", "sources", "effective", "reviewed")


class DraftError(ValueError):
    """What the staff member asked cannot be done (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class EntryFields:
    """The fields of an FAQ entry the console edits (the others, such as kind and flow, are kept as they are)."""

    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    short: str
    details: str
    followups: tuple[str, ...]
    sources: tuple[str, ...]
    effective: date | None
    reviewed: date | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> EntryFields:
        def texts(key: str) -> tuple[str, ...]:
            value = raw.get(key) or ()
            return tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)

        def day(key: str) -> date | None:
            value = raw.get(key)
            return value if isinstance(value, date) else None

        return cls(
            str(raw.get("title") or ""),
            texts("questions"),
            texts("keywords"),
            str(raw.get("short") or ""),
            str(raw.get("details") or ""),
            texts("followups"),
            texts("sources"),
            day("effective"),
            day("reviewed"),
        )

    def applied_to(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The entry's mapping with these fields (in the entry's own key order; a field left empty is removed)."""
        values: dict[str, Any] = {
            "title": self.title,
            "questions": list(self.questions),
            "keywords": _OneLine(self.keywords),
            "short": self.short,
            "details": self.details,
            "followups": _OneLine(self.followups),
            "sources": list(self.sources),
            "effective": self.effective,
            "reviewed": self.reviewed,
        }
        entry = {key: value for key, value in raw.items()}
        for key in ENTRY_FIELDS:
            value = values[key]
            if value in (None, "", []):
                entry.pop(key, None)
            else:
                entry[key] = value
        return entry


@dataclass(frozen=True)
class NewValue:
    """A figure's value from a date: the normal way to change a figure (history is never overwritten)."""

    start: date
    value: Decimal
    basis: str
    uncertain: bool = False
    caveat: str = ""

    def as_yaml(self) -> dict[str, Any]:
        number: int | float = int(self.value) if self.value == self.value.to_integral_value() else float(self.value)
        item: dict[str, Any] = {"from": self.start, "value": number, "basis": self.basis}
        if self.uncertain:
            item["uncertain"] = True
        if self.caveat:
            item["caveat"] = self.caveat
        return item


@dataclass(frozen=True)
class Edited:
    draft: Draft
    issues: tuple[Issue, ...]


@dataclass(frozen=True)
class Review:
    """What an approver sees of a draft: what changes, what `kb validate` says, which questions change answer."""

    draft: Draft
    changes: tuple[Change, ...]
    issues: tuple[Issue, ...]
    report: RegressionReport | None
    live_revision: int | None

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.level == "error")


# -- YAML texts: change one part of a file, keep the rest (comments included) ---------------------------------


class _Dumper(yaml.SafeDumper):
    """safe_dump, with texts of several lines written as blocks (|), lists indented under their key and
    keywords and follow-ups on one line, as the knowledge files are written by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


class _OneLine(list[str]):
    """A list written on one line ([a, b, c])."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


def _one_line(dumper: yaml.SafeDumper, value: _OneLine) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(_OneLine, _one_line)


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def _flow(item: Any) -> str:
    return yaml.safe_dump(item, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=True).strip()


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def _checked(patched: str | None, expected: Any) -> str:
    """`patched` if it reads as `expected`, else `expected` written whole (the file's comments are lost)."""
    if patched is not None:
        try:
            if yaml.safe_load(patched) == expected:
                return patched
        except yaml.YAMLError:
            pass
    return dump(expected)


def entry_in(bundle: Mapping[str, str], entry_id: str) -> tuple[str, dict[str, Any]] | None:
    """The FAQ file holding `entry_id` and the entry's mapping as written."""
    for name in faq_names(bundle):
        document = yaml.safe_load(bundle[name]) or {}
        for raw in document.get("entries") or ():
            if isinstance(raw, dict) and raw.get("id") == entry_id:
                return name, raw
    return None


def replace_entry(text: str, name: str, entry_id: str, entry: Mapping[str, Any]) -> str:
    """The FAQ file's text with the entry `entry_id` written as `entry`."""
    document = yaml.safe_load(text)
    entries = document["entries"]
    index = next(n for n, raw in enumerate(entries) if isinstance(raw, dict) and raw.get("id") == entry_id)
    expected = copy.deepcopy(document)
    expected["entries"][index] = dict(entry)
    patched = None
    located = parse_yaml(text, name)
    item_lines = getattr(located.get("entries"), "item_lines", None)
    if item_lines and len(item_lines) == len(entries):
        lines = text.splitlines(keepends=True)
        start = item_lines[index] - 1
        end = item_lines[index + 1] - 1 if index + 1 < len(item_lines) else len(lines)
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1  # blank lines and comments before the next entry stay
        prefix = lines[start][: lines[start].index("-")] if "-" in lines[start] else ""
        block = "".join(f"{prefix}{line}\n" for line in dump([dict(entry)]).splitlines())
        patched = "".join(lines[:start]) + block + "".join(lines[end:])
    return _checked(patched, expected)


def append_entry(text: str, name: str, entry: Mapping[str, Any]) -> str:
    """The FAQ file's text with `entry` added after its last entry."""
    document = yaml.safe_load(text) or {}
    expected = copy.deepcopy(document)
    expected["entries"] = [*(expected.get("entries") or []), dict(entry)]
    patched = None
    located = parse_yaml(text, name)
    item_lines = getattr(located.get("entries"), "item_lines", None)
    if item_lines:
        lines = text.splitlines(keepends=True)
        first = lines[item_lines[0] - 1]
        prefix = first[: first.index("-")] if "-" in first else ""
        block = "".join(f"{prefix}{line}\n" for line in dump([dict(entry)]).splitlines())
        body = "".join(lines).rstrip("\n")
        patched = f"{body}\n\n{block}"
    return _checked(patched, expected)


def add_param_value(text: str, param: str, new: NewValue) -> str:
    """policy.yaml with a value of `param` from `new.start` (DraftError if the parameter is unknown or already
    has a value from that date)."""
    document = yaml.safe_load(text)
    spec = (document.get("params") or {}).get(param)
    if not isinstance(spec, dict) or not isinstance(spec.get("values"), list):
        raise DraftError(f"không có tham số {param} trong policy.yaml")
    values = spec["values"]
    if any(isinstance(v, dict) and v.get("from") == new.start for v in values):
        raise DraftError(f"{param} đã có giá trị từ ngày {new.start:%d/%m/%Y}: mỗi ngày một giá trị")
    index = sum(1 for v in values if isinstance(v, dict) and isinstance(v.get("from"), date) and v["from"] < new.start)
    expected = copy.deepcopy(document)
    expected["params"][param]["values"].insert(index, new.as_yaml())
    patched = None
    located = parse_yaml(text, POLICY_FILE)
    item_lines = getattr(located["params"][param]["values"], "item_lines", None)
    if item_lines:
        lines = text.splitlines(keepends=True)
        before = item_lines[index] - 1 if index < len(item_lines) else item_lines[-1]
        model = lines[item_lines[min(index, len(item_lines) - 1)] - 1]
        line = f"{_indent(model)}- {_flow(new.as_yaml())}\n"
        patched = "".join(lines[:before]) + line + "".join(lines[before:])
    return _checked(patched, expected)


def set_lexicon_pair(text: str, section: str, phrase: str, meaning: str | None) -> str:
    """lexicon.yaml with `phrase: meaning` in `section` (meaning None: the phrase removed)."""
    if section not in LEXICON_SECTIONS:
        raise DraftError(f"mục {section} không sửa được ở đây")
    document = yaml.safe_load(text) or {}
    expected = copy.deepcopy(document)
    pairs = dict(expected.get(section) or {})
    if meaning is None:
        if phrase not in pairs:
            raise DraftError(f"“{phrase}” không có trong mục này")
        del pairs[phrase]
    else:
        pairs[phrase] = meaning
    expected[section] = pairs
    patched = None
    located = parse_yaml(text, LEXICON_FILE)
    key_lines = getattr(located.get(section), "key_lines", None)
    if key_lines:
        lines = text.splitlines(keepends=True)
        model = lines[max(key_lines.values()) - 1]
        if phrase in key_lines:
            at = key_lines[phrase] - 1
            new_lines = [] if meaning is None else [f"{_indent(model)}{_flow({phrase: meaning})[1:-1]}\n"]
            patched = "".join(lines[:at]) + "".join(new_lines) + "".join(lines[at + 1 :])
        elif meaning is not None:
            at = max(key_lines.values())
            patched = "".join(lines[:at]) + f"{_indent(model)}{_flow({phrase: meaning})[1:-1]}\n" + "".join(lines[at:])
    return _checked(patched, expected)


# -- issues beside the fields they concern -------------------------------------------------------------------

FIELD_WORDS = (  # a word of an entry's issue -> the form field it concerns (the first that matches)
    ("followups", "followups"),
    ("cách hỏi", "questions"),
    ("câu hỏi", "questions"),
    ("title", "title"),
    ("keywords", "keywords"),
    ("details", "details"),
    ("short", "short"),
    ("câu trả lời", "short"),
    ("sources", "sources"),
    ("căn cứ", "sources"),
    ("effective", "effective"),
    ("reviewed", "reviewed"),
    ("rà soát", "reviewed"),
)


def placed_issues(
    issues: Sequence[Issue], entry_id: str, file: str, text: str, fields: EntryFields
) -> tuple[dict[str, list[Issue]], list[Issue]]:
    """The issues of one entry by the form field they concern, and the rest (other entries' errors, the
    entry's issues no field stands for), for the top of the form."""
    by_field: dict[str, list[Issue]] = {}
    rest: list[Issue] = []
    key_lines: dict[str, int] = {}
    span = (0, 0)
    try:
        located = parse_yaml(text, file)
        entries = located.get("entries") or []
        lines = getattr(entries, "item_lines", [])
        for n, raw in enumerate(entries):
            if isinstance(raw, dict) and raw.get("id") == entry_id:
                key_lines = dict(getattr(raw, "key_lines", {}))
                span = (lines[n], lines[n + 1] if n + 1 < len(lines) else 10**9)
    except ValueError:
        pass
    for issue in issues:
        field = None
        if issue.where == entry_id:
            field = _field_of(issue.message, fields)
        elif issue.where.startswith(f"{file}:"):
            line = int(issue.where.rsplit(":", 1)[1]) if issue.where.rsplit(":", 1)[1].isdigit() else 0
            if span[0] <= line < span[1]:
                earlier = [(at, key) for key, at in key_lines.items() if at <= line]
                key = max(earlier)[1] if earlier else ""
                field = key if key in ENTRY_FIELDS else None
        if field is not None:
            by_field.setdefault(field, []).append(issue)
        elif issue.level == "error" or issue.where == entry_id:
            rest.append(issue)
    return by_field, rest


def _field_of(message: str, fields: EntryFields) -> str | None:
    if "tham số" in message:  # a {{figure}} policy.yaml does not have: in the short answer or the details
        names = re.findall(r"'([^']+)'", message)
        return "details" if any(name in fields.details and name not in fields.short for name in names) else "short"
    return next((field for word, field in FIELD_WORDS if word in message), None)


# -- drafts ----------------------------------------------------------------------------------------------------


class Drafts:
    """Drafts of the knowledge, on the database of the live knowledge they change."""

    def __init__(self, database: Database, knowledge: LiveKnowledge, clock: Clock) -> None:
        self.database = database
        self.knowledge = knowledge
        self.clock = clock

    async def live_files(self) -> tuple[int | None, dict[str, str]]:
        """The live revision's number and files."""
        async with self.database.transaction() as connection:
            number = await knowledge_revisions.live_number(connection)
            files = await knowledge_revisions.files_of(connection, number) if number is not None else {}
        return number, files

    async def bundle(self, draft: Draft | None) -> dict[str, str]:
        """The files the draft would publish: the live revision's, with the draft's on top."""
        _, files = await self.live_files()
        return {**files, **(draft.files if draft else {})}

    async def get(self, draft_id: int) -> Draft | None:
        async with self.database.transaction() as connection:
            return await knowledge_drafts.get(connection, draft_id)

    async def working(self, username: str) -> Draft | None:
        async with self.database.transaction() as connection:
            return await knowledge_drafts.working_of(connection, username)

    async def waiting(self) -> list[Draft]:
        async with self.database.transaction() as connection:
            return await knowledge_drafts.with_status(connection, [SUBMITTED])

    async def recent(self) -> list[Draft]:
        async with self.database.transaction() as connection:
            return await knowledge_drafts.with_status(connection, [PUBLISHED, DISCARDED, RETURNED], limit=20)

    async def issues(self, bundle: Mapping[str, str], checks: Checks) -> tuple[list[Issue], Knowledge | None]:
        """`kb validate` of the files (building the knowledge takes a while: on a worker thread)."""
        return await asyncio.to_thread(bundle_issues, bundle, self.knowledge.build, checks)

    async def _change(
        self, actor: str, change: Any, action: str, target: str, before: Any, after: Any
    ) -> tuple[Draft, dict[str, str]]:
        """Apply `change(bundle) -> {path: new text}` to the actor's draft (a new one if they have none) and
        store it with its audit line; the draft and its bundle."""
        number, live = await self.live_files()
        now = self.clock()
        async with self.database.transaction() as connection:
            draft = await knowledge_drafts.working_of(connection, actor)
            if draft is not None and not draft.editable:
                raise DraftError("Bản nháp của bạn đang chờ duyệt: chưa sửa thêm được cho tới khi được trả lại.")
            if draft is None:
                draft = await knowledge_drafts.create(connection, actor, number, now)
            bundle = {**live, **draft.files}
            files = dict(draft.files)
            for path, text in change(bundle).items():
                if live.get(path) == text:
                    files.pop(path, None)  # back to the live text: no longer a change
                else:
                    files[path] = text
            await knowledge_drafts.save_files(connection, draft.id, files, now)
            await staff_store.audit(connection, actor, action, now, target, before, after)
            draft = replace(draft, files=files, updated_at=now)
        return draft, {**live, **files}

    async def edit_entry(self, actor: str, entry_id: str, fields: EntryFields, checks: Checks) -> Edited:
        bundle = await self.bundle(await self.working(actor))
        found = entry_in(bundle, entry_id)
        if found is None:
            raise DraftError(f"Không có mục {entry_id}.")
        name, raw = found
        before = _jsonable(asdict(EntryFields.of(raw)))

        def change(current: Mapping[str, str]) -> dict[str, str]:
            located = entry_in(current, entry_id)
            if located is None:
                raise DraftError(f"Không có mục {entry_id}.")
            path, entry = located
            new_entry = fields.applied_to(entry)
            return {} if new_entry == entry else {path: replace_entry(current[path], path, entry_id, new_entry)}

        draft, new_bundle = await self._change(
            actor, change, "knowledge.draft.entry", f"{name} {entry_id}", before, _jsonable(asdict(fields))
        )
        issues, _ = await self.issues(new_bundle, checks)
        return Edited(draft, tuple(issues))

    async def add_entry(self, actor: str, subject: str, entry_id: str, fields: EntryFields, checks: Checks) -> Edited:
        """A new FAQ entry at the end of the subject's file."""
        entry_id = entry_id.strip()
        if not entry_id:
            raise DraftError("Cần ghi mã mục.")
        if entry_in(await self.bundle(await self.working(actor)), entry_id) is not None:
            raise DraftError(f"Đã có mục {entry_id}: chọn mã khác.")

        def change(current: Mapping[str, str]) -> dict[str, str]:
            for name in faq_names(current):
                if (yaml.safe_load(current[name]) or {}).get("subject") == subject:
                    entry = fields.applied_to({"id": entry_id, "kind": "faq"})
                    return {name: append_entry(current[name], name, entry)}
            raise DraftError(f"Không có chủ đề {subject}.")

        draft, bundle = await self._change(
            actor, change, "knowledge.draft.new_entry", entry_id, None, _jsonable(asdict(fields))
        )
        issues, _ = await self.issues(bundle, checks)
        return Edited(draft, tuple(issues))

    async def add_value(self, actor: str, param: str, new: NewValue, checks: Checks) -> Edited:
        def change(current: Mapping[str, str]) -> dict[str, str]:
            return {POLICY_FILE: add_param_value(current[POLICY_FILE], param, new)}

        draft, bundle = await self._change(
            actor, change, "knowledge.draft.figure", param, None, _jsonable(new.as_yaml())
        )
        issues, _ = await self.issues(bundle, checks)
        return Edited(draft, tuple(issues))

    async def lexicon_pair(self, actor: str, section: str, phrase: str, meaning: str | None, checks: Checks) -> Edited:
        phrase = phrase.strip()
        if not phrase:
            raise DraftError("Cần ghi cụm từ.")

        def change(current: Mapping[str, str]) -> dict[str, str]:
            return {LEXICON_FILE: set_lexicon_pair(current[LEXICON_FILE], section, phrase, meaning)}

        action = "knowledge.draft.lexicon." + ("remove" if meaning is None else "add")
        draft, bundle = await self._change(actor, change, action, f"{section}: {phrase}", None, meaning)
        issues, _ = await self.issues(bundle, checks)
        return Edited(draft, tuple(issues))

    async def submit(self, actor: str, draft_id: int, checks: Checks) -> list[Issue]:
        """Send the draft for approval; the errors that keep it from being sent (none: sent)."""
        draft = await self._own(actor, draft_id)
        if not draft.editable:
            raise DraftError("Bản nháp này không gửi duyệt được nữa.")
        if not draft.files:
            raise DraftError("Bản nháp chưa có thay đổi nào.")
        issues, _ = await self.issues(await self.bundle(draft), checks)
        errors = [issue for issue in issues if issue.level == "error"]
        if errors:
            return errors
        now = self.clock()
        async with self.database.transaction() as connection:
            await knowledge_drafts.set_status(connection, draft.id, SUBMITTED, now)
            await staff_store.audit(
                connection, actor, "knowledge.draft.submit", now, f"draft {draft.id}", draft.status, SUBMITTED
            )
        return []

    async def discard(self, actor: str, draft_id: int) -> None:
        draft = await self._own(actor, draft_id)
        if draft.status not in WORKING:
            raise DraftError("Bản nháp này đã kết thúc.")
        now = self.clock()
        async with self.database.transaction() as connection:
            await knowledge_drafts.set_status(connection, draft.id, DISCARDED, now)
            await staff_store.audit(
                connection, actor, "knowledge.draft.discard", now, f"draft {draft.id}", draft.status, DISCARDED
            )

    async def return_draft(self, approver: str, draft_id: int, comment: str) -> None:
        draft = await self._submitted(draft_id)
        if not comment.strip():
            raise DraftError("Cần ghi nhận xét để người soạn biết sửa gì.")
        now = self.clock()
        async with self.database.transaction() as connection:
            await knowledge_drafts.set_status(
                connection, draft.id, RETURNED, now, reviewed_by=approver, review_comment=comment.strip()
            )
            await staff_store.audit(
                connection, approver, "knowledge.draft.return", now, f"draft {draft.id}", None, comment.strip()
            )

    async def review(self, draft: Draft, checks: Checks) -> Review:
        """The diff against the live revision, `kb validate`, and the regression check when the files load (for
        a draft still in hand: a published or discarded one is only compared)."""
        number, live_files = await self.live_files()
        bundle = {**live_files, **draft.files}
        issues, new = await self.issues(bundle, checks)
        report = None
        if draft.status in WORKING and new is not None and not any(issue.level == "error" for issue in issues):
            report = await regression(self.database, self.knowledge.current(), new, bundle, checks)
        return Review(draft, tuple(diff(live_files, bundle)), tuple(issues), report, number)

    async def publish(
        self, approver: str, draft_id: int, checks: Checks, force: bool = False, note: str = ""
    ) -> PublishOutcome:
        """Publish a submitted draft through the check (forced only with a note saying why)."""
        draft = await self._submitted(draft_id)
        if force and not note.strip():
            raise DraftError("Công bố dù kiểm tra không đạt thì phải ghi lý do.")
        bundle = await self.bundle(draft)
        request = Request(
            approver, note.strip() or f"bản nháp #{draft.id} của {draft.created_by}", force, drafted_by=draft.created_by
        )
        outcome = await publish_checked(
            self.database, self.knowledge.current(), bundle, self.knowledge.build, request, checks, self.clock()
        )
        if outcome.published:
            now = self.clock()
            async with self.database.transaction() as connection:
                await knowledge_drafts.set_status(
                    connection, draft.id, PUBLISHED, now, reviewed_by=approver, published_revision=outcome.number
                )
                await staff_store.audit(
                    connection,
                    approver,
                    "knowledge.publish",
                    now,
                    f"revision {outcome.number}",
                    None,
                    {"draft": draft.id, "forced": force and bool(outcome.report and outcome.report.refused)},
                )
            await self.knowledge.follow()
        return outcome

    async def rollback(self, approver: str, number: int, checks: Checks, note: str = "") -> PublishOutcome:
        """A new revision with revision `number`'s files (the check runs and is shown; it never refuses)."""
        async with self.database.transaction() as connection:
            bundle = await knowledge_revisions.files_of(connection, number)
        request = Request(approver, note.strip() or f"quay lại bản {number}", force=True, restored_from=number)
        outcome = await publish_checked(
            self.database, self.knowledge.current(), bundle, self.knowledge.build, request, checks, self.clock()
        )
        if outcome.published:
            now = self.clock()
            async with self.database.transaction() as connection:
                await staff_store.audit(
                    connection, approver, "knowledge.rollback", now, f"revision {outcome.number}", None, number
                )
            await self.knowledge.follow()
        return outcome

    async def _own(self, actor: str, draft_id: int) -> Draft:
        draft = await self.get(draft_id)
        if draft is None or draft.created_by != actor:
            raise DraftError("Không có bản nháp này trong các bản nháp của bạn.")
        return draft

    async def _submitted(self, draft_id: int) -> Draft:
        draft = await self.get(draft_id)
        if draft is None or draft.status != SUBMITTED:
            raise DraftError("Bản nháp này không ở trạng thái chờ duyệt.")
        return draft


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
