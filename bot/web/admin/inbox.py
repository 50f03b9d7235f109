"""The unanswered inbox: the clusters of questions the bot could not answer, most asked first, and what staff do
with each: ignore it, mark it dealt with, or turn one of its questions into knowledge (a new phrasing of an
entry, or a new entry) in the knowledge editor.

GET  /admin/inbox?since=YYYY-MM-DD         the open clusters of the questions asked since that day
POST /admin/inbox/{key}/ignore | /done     mark the cluster (audited, in the mark's transaction)
POST /admin/inbox/{key}/phrasing           to the editor of the chosen entry, the question offered as a phrasing
POST /admin/inbox/{key}/new-entry          to a new entry's form, the question offered as its first phrasing
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from urllib.parse import quote, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.core.inbox import DONE, FALLBACK, IGNORED, SUGGEST, UNCOVERED
from bot.shell.drafts import DraftError, Drafts, EntryFields, entry_in
from bot.shell.inbox import open_clusters
from bot.storage import inbox as inbox_store
from bot.storage import staff as staff_store
from bot.web.auth import context, staff_only
from bot.web.context import WebContext
from bot.web.pages import render

DEFAULT_DAYS = 30  # as `python -m bot inbox`: the questions of the last 30 days
MAX_SHOWN = 50  # clusters on the page; the rest are counted
MAX_QUESTION_CHARS = 500
DECISION_LABELS = {
    UNCOVERED: "chưa có câu trả lời",
    FALLBACK: "bot không hiểu",
    SUGGEST: "gợi ý không được chọn",
}
NOTICES = {  # ?notice= after an action -> (what the page says, whether it went wrong)
    IGNORED: ("Đã bỏ qua nhóm câu hỏi: nó không hiện lại nữa.", False),
    DONE: ("Đã đánh dấu xử lý xong: nhóm chỉ hiện lại nếu có người hỏi lại sau lúc này.", False),
    "missing": (
        "Nhóm câu hỏi này không còn trong danh sách (có thể đồng nghiệp vừa xử lý), hoặc thiếu thông tin.",
        True,
    ),
    "draft": ("Chưa thêm được: bản nháp của bạn đang chờ duyệt. Chờ bản nháp được công bố hoặc trả lại.", True),
}


def _since_day(web: WebContext, text: str | None) -> date:
    """The first day listed: the `since` field (YYYY-MM-DD, as a date input sends it, or dd/mm/yyyy), by default
    DEFAULT_DAYS before today; never after today."""
    today = web.today()
    chosen = None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            chosen = datetime.strptime((text or "").strip(), pattern).date()
            break
        except ValueError:
            continue
    if chosen is None or chosen > today:
        return today - timedelta(days=DEFAULT_DAYS)
    return chosen


def _midnight(web: WebContext, day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=web.timezone)


def _stopwords(web: WebContext) -> frozenset[str]:
    return frozenset(web.knowledge.current().kb.lexicon.stopwords)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _back(since: date, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/inbox?{urlencode({'since': since.isoformat(), 'notice': notice})}", 303)


@staff_only("editor")
async def inbox(request: Request) -> Response:
    web = context(request)
    first = _since_day(web, request.query_params.get("since"))
    found = await open_clusters(web.database, _midnight(web, first), web.clock(), _stopwords(web))
    kb = web.knowledge.current().kb
    entries = sorted(kb.entries.values(), key=lambda e: (e.title.casefold(), e.id))
    subjects = [(s.title, [e for e in entries if e.subject == s.code]) for s in kb.subjects]
    known = {s.code for s in kb.subjects}
    subjects.append(("Khác", [e for e in entries if e.subject not in known]))
    notice, went_wrong = NOTICES.get(request.query_params.get("notice", ""), ("", False))
    return render(
        request,
        "admin/inbox.html",
        title="Câu hỏi chưa trả lời được",
        clusters=found[:MAX_SHOWN],
        total_clusters=len(found),
        total_questions=sum(c.count for c in found),
        since=first,
        today=web.today(),
        subjects=[(title, listed) for title, listed in subjects if listed],
        titles={entry.id: entry.title for entry in entries},
        decision_labels=DECISION_LABELS,
        notice=notice,
        went_wrong=went_wrong,
        local=web.local,
    )


async def _mark(request: Request, status: str) -> Response:
    web = context(request)
    form = await request.form()
    first = _since_day(web, _field(form, "since"))
    key = request.path_params["key"].strip().lower()
    staff = request.state.staff.account
    now = web.clock()
    wanted = await open_clusters(web.database, _midnight(web, first), now, _stopwords(web))
    cluster = next((c for c in wanted if c.key == key), None)
    if cluster is None:
        return _back(first, notice="missing")
    async with web.database.transaction() as connection:
        count = await inbox_store.mark(connection, cluster, status, staff.username, now)
        await staff_store.audit(
            connection,
            staff.username,
            f"inbox.{status}",
            now,
            target=f"inbox:{cluster.key}",
            after={"status": status, "signatures": count, "questions": cluster.count, "since": first.isoformat()},
        )
    return _back(first, notice=status)


@staff_only("editor")
async def ignore(request: Request) -> Response:
    return await _mark(request, IGNORED)


@staff_only("editor")
async def done(request: Request) -> Response:
    return await _mark(request, DONE)


def _question(form: FormData) -> str:
    return " ".join(_field(form, "question").split())[:MAX_QUESTION_CHARS]


@staff_only("editor")
async def as_phrasing(request: Request) -> Response:
    """The question added as a new phrasing of the chosen entry in the staff member's draft (audited by the
    draft), then that entry's editor; the draft goes live once an approver publishes it."""
    web = context(request)
    form = await request.form()
    first = _since_day(web, _field(form, "since"))
    entry_id = _field(form, "entry")
    question = _question(form)
    if entry_id not in web.knowledge.current().kb.entries or not question:
        return _back(first, notice="missing")
    actor = request.state.staff.account.username
    drafts = Drafts(web.database, web.knowledge, web.clock)
    found = entry_in(await drafts.bundle(await drafts.working(actor)), entry_id)
    if found is None:
        return _back(first, notice="missing")
    fields = EntryFields.of(found[1])
    if question not in fields.questions:
        try:
            await drafts.edit_entry(
                actor, entry_id, replace(fields, questions=(*fields.questions, question)), web.checks(web.today())
            )
        except DraftError:
            return _back(first, notice="draft")
    return RedirectResponse(
        f"/admin/knowledge/entries/{quote(entry_id, safe='')}?{urlencode({'added': question})}", 303
    )


@staff_only("editor")
async def as_new_entry(request: Request) -> Response:
    """A new entry's form, with the question as its first phrasing (saved there as a draft)."""
    web = context(request)
    form = await request.form()
    question = _question(form)
    if not question:
        return _back(_since_day(web, _field(form, "since")), notice="missing")
    return RedirectResponse(f"/admin/knowledge/new?{urlencode({'question': question})}", 303)


routes = [
    Route("/admin/inbox", inbox, methods=["GET"]),
    Route("/admin/inbox/{key:str}/ignore", ignore, methods=["POST"]),
    Route("/admin/inbox/{key:str}/done", done, methods=["POST"]),
    Route("/admin/inbox/{key:str}/phrasing", as_phrasing, methods=["POST"]),
    Route("/admin/inbox/{key:str}/new-entry", as_new_entry, methods=["POST"]),
]
