"""The knowledge editor, drafts, approval and publishing (issue 16, items 3 and 4).

Editors change entries, figures and the lexicon in their draft (bot.shell.drafts) and send it for approval;
approvers see its diff and the regression check, then publish it or return it with a comment; published
revisions are listed with a rollback for approvers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.core.engine import answer_reply
from bot.core.file_schema import KnowledgeFileError
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.policy import Figure, Policy, parse_policy
from bot.core.regression import CHANGE_LABELS
from bot.core.render import format_figure
from bot.core.text import fold
from bot.core.validate import Issue
from bot.shell.drafts import (
    LEXICON_FILE,
    LEXICON_SECTIONS,
    POLICY_FILE,
    DraftError,
    Drafts,
    EntryFields,
    NewValue,
    entry_in,
    placed_issues,
)
from bot.shell.publishing import PublishOutcome
from bot.storage import knowledge_revisions
from bot.storage.knowledge_drafts import Draft
from bot.storage.knowledge_files import parse_yaml
from bot.web.auth import context, staff_only
from bot.web.pages import render

STATUS_LABELS = {
    "open": "đang soạn",
    "submitted": "chờ duyệt",
    "returned": "bị trả lại",
    "published": "đã công bố",
    "discarded": "đã bỏ",
}
FIELD_LABELS = {
    "title": "Tiêu đề",
    "questions": "Cách hỏi",
    "keywords": "Từ khóa",
    "short": "Trả lời ngắn",
    "details": "Chi tiết",
    "followups": "Câu hỏi tiếp theo",
    "sources": "Căn cứ pháp lý",
    "effective": "Ngày hiệu lực",
    "reviewed": "Ngày rà soát",
}


def _drafts(request: Request) -> Drafts:
    web = context(request)
    return Drafts(web.database, web.knowledge, web.clock)


def _username(request: Request) -> str:
    return str(request.state.staff.account.username)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def _lines(value: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in value.splitlines() if line.strip())


def _words(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,\n]", value) if part.strip())


def parse_day(value: str) -> date | None:
    """A date as typed (dd/mm/yyyy) or as a date field sends it (yyyy-mm-dd); ValueError if it is neither."""
    value = value.strip()
    if not value:
        return None
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    raise ValueError(value)


def _fields(form: FormData) -> tuple[EntryFields, dict[str, str]]:
    """The entry's fields from the form, and the problems of the fields that cannot be read (dates)."""
    problems: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("effective", "reviewed"):
        try:
            days[name] = parse_day(_text(form, name))
        except ValueError:
            days[name] = None
            problems[name] = "Ngày không hợp lệ: ghi theo dạng dd/mm/yyyy."
    fields = EntryFields(
        title=_text(form, "title"),
        questions=_lines(_text(form, "questions")),
        keywords=_words(_text(form, "keywords")),
        short=_text(form, "short"),
        details=_text(form, "details"),
        followups=tuple(str(value) for value in form.getlist("followups") if str(value).strip()),
        sources=_lines(_text(form, "sources")),
        effective=days["effective"],
        reviewed=days["reviewed"],
    )
    return fields, problems


def _policy_of(bundle: Mapping[str, str], fallback: Policy) -> Policy:
    try:
        return parse_policy(parse_yaml(bundle[POLICY_FILE], POLICY_FILE))
    except (KnowledgeFileError, KeyError):
        return fallback


def _figures(policy: Policy, on: date) -> list[dict[str, str]]:
    """Every {{name}} an answer may use, with its value on a day."""
    names = []
    for name in sorted(policy.names()):
        try:
            value = format_figure(policy.figure(name, on))
        except (KnowledgeFileError, ArithmeticError):
            value = "chưa có giá trị"
        names.append({"name": name, "title": policy.title(name), "value": value})
    return names


async def _kb_for(request: Request, drafts: Drafts) -> tuple[KnowledgeBase, Draft | None, dict[str, str]]:
    """The live knowledge base with the draft's policy (figures added in the draft show in previews)."""
    kb = context(request).knowledge.current().kb
    draft = await drafts.working(_username(request))
    bundle = await drafts.bundle(draft)
    if draft is not None and POLICY_FILE in draft.files:
        kb = replace(kb, policy=_policy_of(bundle, kb.policy))
    return kb, draft, bundle


# -- the list of entries ------------------------------------------------------------------------------------


@staff_only("editor")
async def entries(request: Request) -> Response:
    kb = context(request).knowledge.current().kb
    query = request.query_params.get("q", "").strip()
    folded = fold(query)
    subjects = []
    for subject in kb.subjects:
        shown = [
            kb.entries[entry_id]
            for entry_id in subject.entry_ids
            if entry_id in kb.entries
            and (
                not folded
                or folded in fold(entry_id)
                or folded in fold(kb.entries[entry_id].title)
                or any(folded in fold(question) for question in kb.entries[entry_id].questions)
            )
        ]
        if shown:
            subjects.append({"subject": subject, "entries": shown})
    return render(request, "admin/knowledge_list.html", title="Kho kiến thức", subjects=subjects, q=query)


# -- one entry: the form, saving it in the draft, the preview ------------------------------------------------


def _entry_page(
    request: Request,
    kb: KnowledgeBase,
    entry_id: str,
    fields: EntryFields,
    *,
    status: int = 200,
    draft: Draft | None = None,
    by_field: Mapping[str, list[Issue]] | None = None,
    general: list[Issue] | None = None,
    problems: Mapping[str, str] | None = None,
    saved: bool = False,
    error: str = "",
    new: bool = False,
    subject: str = "",
    added: str = "",
) -> Response:
    today = context(request).today()
    choices = [
        {"subject": subject, "entries": [kb.entries[i] for i in subject.entry_ids if i in kb.entries and i != entry_id]}
        for subject in kb.subjects
    ]
    return render(
        request,
        "admin/knowledge_entry.html",
        status,
        title="Mục mới" if new else f"Sửa mục: {fields.title or entry_id}",
        entry_id=entry_id,
        fields=fields,
        choices=choices,
        figures=_figures(kb.policy, today),
        today=today.isoformat(),
        draft=draft,
        by_field=by_field or {},
        general=general or [],
        problems=problems or {},
        labels=FIELD_LABELS,
        saved=saved,
        error=error,
        new=new,
        subjects=kb.subjects,
        subject=subject,
        added=added,
    )


@staff_only("editor")
async def entry_form(request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    drafts = _drafts(request)
    kb, draft, bundle = await _kb_for(request, drafts)
    found = entry_in(bundle, entry_id)
    if found is None:
        return render(request, "admin/error.html", 404, title="Không tìm thấy", message=f"Không có mục {entry_id}.")
    added = request.query_params.get("added", "")
    return _entry_page(request, kb, entry_id, EntryFields.of(found[1]), draft=draft, added=added)


@staff_only("editor")
async def new_entry_form(request: Request) -> Response:
    """A new entry's form; `question` (from the unanswered inbox) as its first phrasing."""
    drafts = _drafts(request)
    kb, draft, _ = await _kb_for(request, drafts)
    question = request.query_params.get("question", "").strip()
    fields = EntryFields("", (question,) if question else (), (), "", "", (), (), None, None)
    return _entry_page(request, kb, "", fields, draft=draft, new=True)


@staff_only("editor")
async def new_entry_save(request: Request) -> Response:
    drafts = _drafts(request)
    form = await request.form()
    fields, problems = _fields(form)
    entry_id, subject = _text(form, "new_id"), _text(form, "subject")
    kb, draft, _ = await _kb_for(request, drafts)
    if problems:
        page = _entry_page(request, kb, entry_id, fields, status=422, draft=draft, problems=problems, new=True)
        return page
    web = context(request)
    try:
        edited = await drafts.add_entry(_username(request), subject, entry_id, fields, web.checks(web.today()))
    except DraftError as exc:
        return _entry_page(
            request, kb, entry_id, fields, status=409, draft=draft, error=str(exc), new=True, subject=subject
        )
    bundle = await drafts.bundle(edited.draft)
    found = entry_in(bundle, entry_id)
    file = found[0] if found else ""
    by_field, general = placed_issues(edited.issues, entry_id, file, bundle.get(file, ""), fields)
    return _entry_page(
        request, kb, entry_id, fields, draft=edited.draft, by_field=by_field, general=general, saved=True
    )


@staff_only("editor")
async def entry_save(request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    drafts = _drafts(request)
    form = await request.form()
    fields, problems = _fields(form)
    kb, draft, _ = await _kb_for(request, drafts)
    if problems:
        return _entry_page(request, kb, entry_id, fields, status=422, draft=draft, problems=problems)
    web = context(request)
    try:
        edited = await drafts.edit_entry(_username(request), entry_id, fields, web.checks(web.today()))
    except DraftError as exc:
        return _entry_page(request, kb, entry_id, fields, status=409, draft=draft, error=str(exc))
    bundle = await drafts.bundle(edited.draft)
    found = entry_in(bundle, entry_id)
    file = found[0] if found else ""
    by_field, general = placed_issues(edited.issues, entry_id, file, bundle.get(file, ""), fields)
    return _entry_page(
        request, kb, entry_id, fields, draft=edited.draft, by_field=by_field, general=general, saved=True
    )


@staff_only("editor")
async def preview(request: Request) -> Response:
    """What a citizen would read, on a chosen day, if the entry said what the form says (htmx fragment)."""
    form = await request.form()
    entry_id = _text(form, "entry_id")
    drafts = _drafts(request)
    kb, _, _ = await _kb_for(request, drafts)
    fields, _ = _fields(form)
    try:
        on = parse_day(_text(form, "preview_date")) or context(request).today()
    except ValueError:
        on = context(request).today()
    base = kb.entries.get(entry_id)
    entry = Entry(
        id=entry_id,
        kind=base.kind if base else "faq",
        subject=base.subject if base else "",
        title=fields.title,
        questions=fields.questions,
        keywords=fields.keywords,
        short=fields.short,
        details=fields.details,
        followups=fields.followups,
        sources=fields.sources,
        effective=fields.effective,
        reviewed=fields.reviewed,
        flow=base.flow if base else "",
    )
    try:
        reply = answer_reply(entry, kb, on)
    except (KnowledgeFileError, ArithmeticError, KeyError) as exc:
        return render(request, "admin/knowledge_preview.html", on=on, reply=None, error=str(exc))
    return render(request, "admin/knowledge_preview.html", on=on, reply=reply, error="")


# -- policy figures ----------------------------------------------------------------------------------------------


def _format(value: Decimal, unit: str) -> str:
    try:
        return format_figure(Figure(value, unit, ()))
    except (KeyError, ArithmeticError):
        return str(value)


async def _figures_page(
    request: Request, status: int = 200, error: str = "", issues: tuple[Issue, ...] = (), saved: str = ""
) -> Response:
    drafts = _drafts(request)
    kb, draft, _ = await _kb_for(request, drafts)
    params = [
        {
            "param": param,
            "dated_values": [{"dated": dated, "shown": _format(dated.value, param.unit)} for dated in param.values],
        }
        for param in sorted(kb.policy.params.values(), key=lambda p: p.name)
    ]
    return render(
        request,
        "admin/knowledge_figures.html",
        status,
        title="Số liệu chính sách",
        params=params,
        draft=draft,
        error=error,
        issues=[issue for issue in issues if issue.level == "error"],
        saved=saved,
        today=context(request).today().isoformat(),
    )


@staff_only("editor")
async def figures(request: Request) -> Response:
    return await _figures_page(request, saved=request.query_params.get("saved", ""))


@staff_only("editor")
async def add_figure(request: Request) -> Response:
    form = await request.form()
    param = _text(form, "param")
    try:
        start = parse_day(_text(form, "start"))
        value = Decimal(_text(form, "value").replace(" ", "").replace(",", "."))
    except (ValueError, InvalidOperation):
        return await _figures_page(request, 422, "Ngày hoặc giá trị không hợp lệ.")
    basis = _text(form, "basis")
    if start is None or not basis:
        return await _figures_page(request, 422, "Cần ghi ngày áp dụng và căn cứ pháp lý.")
    new = NewValue(start, value, basis, form.get("uncertain") == "1", _text(form, "caveat"))
    web = context(request)
    try:
        edited = await _drafts(request).add_value(_username(request), param, new, web.checks(web.today()))
    except DraftError as exc:
        return await _figures_page(request, 409, str(exc))
    if any(issue.level == "error" for issue in edited.issues):
        return await _figures_page(request, 200, issues=edited.issues, saved=param)
    return RedirectResponse(f"/admin/knowledge/figures?saved={param}", 303)


# -- the lexicon ---------------------------------------------------------------------------------------------


async def _lexicon_page(request: Request, status: int = 200, error: str = "", saved: str = "") -> Response:
    drafts = _drafts(request)
    draft = await drafts.working(_username(request))
    bundle = await drafts.bundle(draft)
    try:
        document = parse_yaml(bundle[LEXICON_FILE], LEXICON_FILE) or {}
    except (KnowledgeFileError, KeyError):
        document = {}
    sections = [
        {"key": key, "label": label, "pairs": sorted((document.get(key) or {}).items())}
        for key, label in LEXICON_SECTIONS.items()
    ]
    return render(
        request,
        "admin/knowledge_lexicon.html",
        status,
        title="Từ điển cách nói",
        sections=sections,
        draft=draft,
        error=error,
        saved=saved,
    )


@staff_only("editor")
async def lexicon(request: Request) -> Response:
    return await _lexicon_page(request, saved=request.query_params.get("saved", ""))


@staff_only("editor")
async def change_lexicon(request: Request) -> Response:
    form = await request.form()
    remove = form.get("action") == "remove"
    web = context(request)
    try:
        await _drafts(request).lexicon_pair(
            _username(request),
            _text(form, "section"),
            _text(form, "phrase"),
            None if remove else _text(form, "meaning"),
            web.checks(web.today()),
        )
    except DraftError as exc:
        return await _lexicon_page(request, 409, str(exc))
    return RedirectResponse("/admin/knowledge/lexicon?saved=1", 303)


# -- drafts -------------------------------------------------------------------------------------------------------


@staff_only("editor")
async def draft_list(request: Request) -> Response:
    drafts = _drafts(request)
    return render(
        request,
        "admin/knowledge_drafts.html",
        title="Bản nháp",
        mine=await drafts.working(_username(request)),
        waiting=await drafts.waiting(),
        recent=await drafts.recent(),
        labels=STATUS_LABELS,
    )


async def _draft_page(
    request: Request,
    draft: Draft,
    status: int = 200,
    error: str = "",
    outcome: PublishOutcome | None = None,
    issues: list[Issue] | None = None,
) -> Response:
    web = context(request)
    review = await _drafts(request).review(draft, web.checks(web.today()))
    report = outcome.report if outcome and outcome.report else review.report
    return render(
        request,
        "admin/knowledge_draft.html",
        status,
        title=f"Bản nháp #{draft.id}",
        draft=draft,
        review=review,
        report=report,
        counts=report.counts() if report else {},
        change_labels=CHANGE_LABELS,
        labels=STATUS_LABELS,
        mine=draft.created_by == _username(request),
        error=error,
        issues=issues if issues is not None else list(review.issues),
    )


async def _draft_or_404(request: Request) -> Draft | Response:
    draft = await _drafts(request).get(int(request.path_params["draft_id"]))
    if draft is None:
        return render(request, "admin/error.html", 404, title="Không tìm thấy", message="Không có bản nháp này.")
    return draft


@staff_only("editor")
async def draft_page(request: Request) -> Response:
    found = await _draft_or_404(request)
    return found if isinstance(found, Response) else await _draft_page(request, found)


@staff_only("editor")
async def submit(request: Request) -> Response:
    found = await _draft_or_404(request)
    if isinstance(found, Response):
        return found
    web = context(request)
    try:
        errors = await _drafts(request).submit(_username(request), found.id, web.checks(web.today()))
    except DraftError as exc:
        return await _draft_page(request, found, 409, str(exc))
    if errors:
        return await _draft_page(request, found, 422, "Chưa gửi duyệt được: còn lỗi phải sửa.", issues=errors)
    return RedirectResponse(f"/admin/drafts/{found.id}", 303)


@staff_only("editor")
async def discard(request: Request) -> Response:
    found = await _draft_or_404(request)
    if isinstance(found, Response):
        return found
    try:
        await _drafts(request).discard(_username(request), found.id)
    except DraftError as exc:
        return await _draft_page(request, found, 409, str(exc))
    return RedirectResponse("/admin/drafts", 303)


@staff_only("approver")
async def publish(request: Request) -> Response:
    found = await _draft_or_404(request)
    if isinstance(found, Response):
        return found
    form = await request.form()
    web = context(request)
    try:
        outcome = await _drafts(request).publish(
            _username(request), found.id, web.checks(web.today()), form.get("force") == "1", _text(form, "note")
        )
    except DraftError as exc:
        return await _draft_page(request, found, 409, str(exc))
    if outcome.published:
        return RedirectResponse(f"/admin/revisions?published={outcome.number}", 303)
    if outcome.unchanged:
        message = "Không công bố: các tệp giống hệt bản đang chạy."
    elif outcome.report is not None and outcome.report.refused:
        message = "Không công bố: kiểm tra hồi quy thấy câu hỏi bị trả lời kém đi. Xem báo cáo bên dưới."
    else:
        message = "Không công bố: kho kiến thức còn lỗi."
    return await _draft_page(request, found, 409, message, outcome, list(outcome.issues) or None)


@staff_only("approver")
async def send_back(request: Request) -> Response:
    found = await _draft_or_404(request)
    if isinstance(found, Response):
        return found
    form = await request.form()
    try:
        await _drafts(request).return_draft(_username(request), found.id, _text(form, "comment"))
    except DraftError as exc:
        return await _draft_page(request, found, 409, str(exc))
    return RedirectResponse("/admin/drafts", 303)


# -- published revisions ------------------------------------------------------------------------------------------


async def _revisions_page(request: Request, status: int = 200, error: str = "", published: str = "") -> Response:
    web = context(request)
    async with web.database.transaction() as connection:
        revisions = await knowledge_revisions.history(connection)
    live = revisions[0].number if revisions else None
    return render(
        request,
        "admin/knowledge_revisions.html",
        status,
        title="Các bản đã công bố",
        revisions=[{"revision": r, "at": web.local(r.published_at)} for r in revisions],
        live=live,
        error=error,
        published=published,
    )


@staff_only("editor")
async def revisions(request: Request) -> Response:
    return await _revisions_page(request, published=request.query_params.get("published", ""))


@staff_only("approver")
async def rollback(request: Request) -> Response:
    number = int(request.path_params["number"])
    form = await request.form()
    web = context(request)
    try:
        outcome = await _drafts(request).rollback(
            _username(request), number, web.checks(web.today()), _text(form, "note")
        )
    except knowledge_revisions.RevisionNotFound:
        return await _revisions_page(request, 404, f"Không có bản {number}.")
    if not outcome.published:
        reason = "các tệp giống hệt bản đang chạy" if outcome.unchanged else "bản đó không còn hợp lệ"
        return await _revisions_page(request, 409, f"Không quay lại được bản {number}: {reason}.")
    return RedirectResponse(f"/admin/revisions?published={outcome.number}", 303)


routes = [
    Route("/admin/knowledge", entries, methods=["GET"]),
    Route("/admin/knowledge/new", new_entry_form, methods=["GET"]),
    Route("/admin/knowledge/new", new_entry_save, methods=["POST"]),
    Route("/admin/knowledge/entries/{entry_id}", entry_form, methods=["GET"]),
    Route("/admin/knowledge/entries/{entry_id}", entry_save, methods=["POST"]),
    Route("/admin/knowledge/preview", preview, methods=["POST"]),
    Route("/admin/knowledge/figures", figures, methods=["GET"]),
    Route("/admin/knowledge/figures", add_figure, methods=["POST"]),
    Route("/admin/knowledge/lexicon", lexicon, methods=["GET"]),
    Route("/admin/knowledge/lexicon", change_lexicon, methods=["POST"]),
    Route("/admin/drafts", draft_list, methods=["GET"]),
    Route("/admin/drafts/{draft_id:int}", draft_page, methods=["GET"]),
    Route("/admin/drafts/{draft_id:int}/submit", submit, methods=["POST"]),
    Route("/admin/drafts/{draft_id:int}/discard", discard, methods=["POST"]),
    Route("/admin/drafts/{draft_id:int}/publish", publish, methods=["POST"]),
    Route("/admin/drafts/{draft_id:int}/return", send_back, methods=["POST"]),
    Route("/admin/revisions", revisions, methods=["GET"]),
    Route("/admin/revisions/{number:int}/rollback", rollback, methods=["POST"]),
]
