"""The leads board: citizens' call-back requests by area, agent and status, overdue ones flagged; a lead's card
with its history and consent proof; status changes; the export; the agents and the areas.

GET  /admin/leads?area=&agent=&status=&overdue=1&since=YYYY-MM-DD   the board (editors and up)
GET  /admin/leads/export.xlsx | export.csv (same filters)           the filtered list (approvers and up)
GET  /admin/leads/{id}                                              a lead's card (editors and up)
POST /admin/leads/{id}/status   action, note                        an agent's button, pressed by the office
POST /admin/leads/{id}/transfer agent (an agent id or "office")     to another agent or the office queue
GET  /admin/agents, POST /admin/agents, POST /admin/agents/{chat_id}/remove   agents (admins), areas read-only

Status changes go through bot.storage.leads as the agents' desk does (act, add_note, transfer: history rows,
the new agent's notification in the outbox); every change is in the audit log in its transaction, without
the note's text (it may hold personal data, which the history erases with the lead and the audit log keeps).
Exported cells are made inert by bot.core.leads.export, as `python -m bot leads export` does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from phonenumbers import NumberParseException
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.core.areas import Area
from bot.core.dashboard import overdue
from bot.core.leads.export import HEADERS, calculation_summary, csv_cells, export_row
from bot.core.leads.messages import CHANNEL_LABELS
from bot.core.leads.records import (
    ACTION_LABELS,
    ALLOWED_ACTIONS,
    INTEREST_LABELS,
    STATUS_LABELS,
    Actor,
    LeadAction,
    LeadStatus,
    TransitionError,
)
from bot.core.phone import Phone
from bot.shell.lead_exports import xlsx_bytes
from bot.storage import agents as agent_store
from bot.storage import leads as lead_store
from bot.storage import staff as staff_store
from bot.storage.agents import AgentExists
from bot.storage.leads import ExportRow, LeadErased, LeadNotFound
from bot.web.auth import context, staff_only
from bot.web.context import WebContext
from bot.web.pages import render

BOARD_DAYS = 90  # the board without `since`: the requests of the last 90 days
MAX_SHOWN = 500  # rows on the page; the export holds them all
MAX_NOTE_CHARS = 1000
MAX_NAME_CHARS = 200
MAX_CHAT_ID = 2**63 - 1
MAX_LEAD_ID = 2**63 - 1  # the id column is a 64-bit integer
OFFICE = "office"  # the agent filter and transfer target meaning the office queue
NOTE_ONLY = "note"
ACTOR_LABELS = {"citizen": "Người dân", "system": "Hệ thống", "cli": "Văn phòng (dòng lệnh)"}
TRANSFER_ACTIONS = frozenset({LeadAction.TRANSFER})


@dataclass(frozen=True)
class Filters:
    area: str = ""
    agent: str = ""  # an agent id, OFFICE, or "" (all)
    status: str = ""  # a LeadStatus value, "open", or "" (all)
    overdue_only: bool = False
    since: date | None = None

    def query(self) -> str:
        values = {"area": self.area, "agent": self.agent, "status": self.status}
        values["overdue"] = "1" if self.overdue_only else ""
        values["since"] = self.since.isoformat() if self.since else ""
        return urlencode({key: value for key, value in values.items() if value})


@dataclass(frozen=True)
class Listed:
    row: ExportRow
    area_name: str
    late: bool


def _day(text: str | None) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime((text or "").strip(), pattern).date()
        except ValueError:
            continue
    return None


def _filters(web: WebContext, params: QueryParams) -> Filters:
    chosen = _day(params.get("since"))
    today = web.today()
    since = chosen if chosen is not None and chosen <= today else today - timedelta(days=BOARD_DAYS)
    status = params.get("status", "")
    if status not in {s.value for s in LeadStatus} | {"open"}:
        status = ""
    agent = params.get("agent", "")
    if agent != OFFICE and not agent.isdigit():
        agent = ""
    return Filters(params.get("area", "")[:64], agent, status, params.get("overdue") == "1", since)


def _actor(request: Request) -> Actor:
    return Actor(f"console:{request.state.staff.account.username}"[:64], staff=True)


def _area_names(web: WebContext) -> dict[str, str]:
    return dict(web.leads().area_names)


def _areas(web: WebContext) -> tuple[Area, ...]:
    setup = web.knowledge.current().kb.leads
    return setup.areas if setup else ()


async def _listed(web: WebContext, filters: Filters) -> list[Listed]:
    assert filters.since is not None
    since = datetime.combine(filters.since, time.min, tzinfo=web.timezone)
    async with web.database.transaction() as connection:
        rows = await lead_store.export(connection, since, filters.area or None)
    names, now = _area_names(web), web.clock()
    found = []
    for row in rows:
        lead = row.lead
        late = overdue(lead.due_at, lead.first_contact_at, lead.open, now)
        if filters.overdue_only and not late:
            continue
        if filters.status == "open" and not lead.open:
            continue
        if filters.status not in ("", "open") and lead.status.value != filters.status:
            continue
        if filters.agent == OFFICE and lead.agent_id is not None:
            continue
        if filters.agent.isdigit() and lead.agent_id != int(filters.agent):
            continue
        found.append(Listed(row, names.get(lead.area_code, lead.area_code), late))
    return found


@staff_only("editor")
async def board(request: Request) -> Response:
    web = context(request)
    filters = _filters(web, request.query_params)
    found = await _listed(web, filters)
    async with web.database.transaction() as connection:
        agents = await agent_store.loads(connection, include_removed=True)
    found.reverse()  # newest first
    return render(
        request,
        "admin/leads.html",
        title="Yêu cầu gọi lại",
        leads=found[:MAX_SHOWN],
        total=len(found),
        late=sum(1 for item in found if item.late),
        filters=filters,
        query=filters.query(),
        areas=sorted(_area_names(web).items(), key=lambda item: item[1]),
        agents=agents,
        statuses=list(STATUS_LABELS.items()),
        status_labels=STATUS_LABELS,
        today=web.today(),
        local=web.local,
        office=OFFICE,
    )


def _export_rows(web: WebContext, found: Sequence[Listed]) -> list[tuple[str | int, ...]]:
    return [export_row(item.row.lead, item.area_name, item.row.agent_name, web.timezone) for item in found]


def _file_name(web: WebContext, filters: Filters, extension: str) -> str:
    start = filters.since or web.today()
    return f"yeu-cau-goi-lai-{start:%Y%m%d}-{web.today():%Y%m%d}.{extension}"


async def _audit_export(request: Request, filters: Filters, kind: str, count: int) -> None:
    web = context(request)
    async with web.database.transaction() as connection:
        await staff_store.audit(
            connection,
            request.state.staff.account.username,
            "lead.export",
            web.clock(),
            target=kind,
            after={"filters": filters.query(), "leads": count},
        )


@staff_only("approver")
async def export_csv(request: Request) -> Response:
    """Every text cell inert (bot.core.leads.export.csv_cells); UTF-8 with a BOM so that Excel reads it."""
    web = context(request)
    filters = _filters(web, request.query_params)
    rows = _export_rows(web, await _listed(web, filters))
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS, *(csv_cells(row) for row in rows)])
    await _audit_export(request, filters, "csv", len(rows))
    name = _file_name(web, filters, "csv")
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )


@staff_only("approver")
async def export_xlsx(request: Request) -> Response:
    web = context(request)
    filters = _filters(web, request.query_params)
    rows = _export_rows(web, await _listed(web, filters))
    await _audit_export(request, filters, "xlsx", len(rows))
    name = _file_name(web, filters, "xlsx")
    return Response(
        xlsx_bytes(rows),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )


def _actor_label(label: str) -> str:
    if label in ACTOR_LABELS:
        return ACTOR_LABELS[label]
    kind, _, who = label.partition(":")
    if kind == "console":
        return f"{who} (bảng điều khiển)"
    if kind == "agent":
        return f"Đại lý (chat {who})"
    if kind == "staff":
        return f"Cán bộ (chat {who})"
    return label


def _dial(phone: str | None) -> str:
    try:
        return Phone(phone, mobile=True).national if phone else ""
    except NumberParseException:
        return ""


@staff_only("editor")
async def card(request: Request) -> Response:
    web = context(request)
    lead_id = request.path_params["lead_id"]
    if not 1 <= lead_id <= MAX_LEAD_ID:
        return _not_found(request, lead_id)
    async with web.database.transaction() as connection:
        try:
            lead = await lead_store.get(connection, lead_id)
        except LeadNotFound:
            return _not_found(request, lead_id)
        history = await lead_store.history(connection, lead_id)
        agents = await agent_store.loads(connection, include_removed=True)
    names = {load.agent.id: load.agent.name for load in agents}
    actions = [(a.value, ACTION_LABELS[a]) for a in ALLOWED_ACTIONS.get(lead.status, ()) if a not in TRANSFER_ACTIONS]
    notice = {
        "changed": ("Đã cập nhật yêu cầu.", False),
        "moved": ("Đã chuyển yêu cầu; người nhận được báo qua Telegram.", False),
        "refused": ("Không thực hiện được thao tác này ở trạng thái hiện tại của yêu cầu.", True),
        "erased": ("Yêu cầu đã xóa dữ liệu cá nhân: không ghi chú thêm được.", True),
        "empty": ("Cần ghi nội dung ghi chú.", True),
    }.get(request.query_params.get("notice", ""), ("", False))
    return render(
        request,
        "admin/lead.html",
        title=f"Yêu cầu #{lead.id}",
        lead=lead,
        area_name=_area_names(web).get(lead.area_code, lead.area_code),
        agent_name=names.get(lead.agent_id) if lead.agent_id else None,
        status_label=STATUS_LABELS[lead.status],
        interest=INTEREST_LABELS[lead.interest] if lead.interest else "",
        calculation=calculation_summary(lead),
        dial=_dial(lead.phone_e164),
        channel=CHANNEL_LABELS[lead.consent_channel],
        late=overdue(lead.due_at, lead.first_contact_at, lead.open, web.clock()),
        history=[(entry, _actor_label(entry.actor)) for entry in history],
        status_labels=STATUS_LABELS,
        actions=actions,
        transfer_to=[load.agent for load in agents if load.agent.active and load.agent.id != lead.agent_id],
        can_change=request.state.staff.account.can("approver"),
        notice=notice[0],
        went_wrong=notice[1],
        local=web.local,
        office=OFFICE,
    )


def _not_found(request: Request, lead_id: int) -> Response:
    return render(request, "admin/error.html", 404, title="Không tìm thấy", message=f"Không có yêu cầu #{lead_id}.")


def _text(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _to_card(lead_id: int, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/leads/{lead_id}?notice={notice}", 303)


@staff_only("approver")
async def change_status(request: Request) -> Response:
    """An agent's button pressed by the office (or a note alone), with its history row and audit line."""
    web = context(request)
    lead_id = request.path_params["lead_id"]
    if not 1 <= lead_id <= MAX_LEAD_ID:
        return _not_found(request, lead_id)
    form = await request.form()
    chosen, note = _text(form, "action", 32), _text(form, "note", MAX_NOTE_CHARS)
    username, now, actor = request.state.staff.account.username, web.clock(), _actor(request)
    if chosen == NOTE_ONLY and not note:
        return _to_card(lead_id, "empty")
    try:
        async with web.database.transaction() as connection:
            before = await lead_store.get(connection, lead_id, lock=True)
            if chosen == NOTE_ONLY:
                after = await lead_store.add_note(connection, lead_id, actor, now, note)
            else:
                action = LeadAction(chosen)
                if action in TRANSFER_ACTIONS:
                    raise TransitionError("use the transfer form")
                after = await lead_store.act(connection, lead_id, action, actor, now, note or None)
            await staff_store.audit(
                connection,
                username,
                "lead.status" if chosen != NOTE_ONLY else "lead.note",
                now,
                target=f"lead:{lead_id}",
                before={"status": before.status.value},
                after={"status": after.status.value, "note": bool(note)},
            )
    except LeadNotFound:
        return _not_found(request, lead_id)
    except (TransitionError, ValueError) as error:
        return _to_card(lead_id, "erased" if isinstance(error, LeadErased) else "refused")
    return _to_card(lead_id, "changed")


@staff_only("approver")
async def transfer(request: Request) -> Response:
    """To another active agent or the office queue; the receiver is notified through the outbox."""
    web = context(request)
    lead_id = request.path_params["lead_id"]
    if not 1 <= lead_id <= MAX_LEAD_ID:
        return _not_found(request, lead_id)
    form = await request.form()
    target, note = _text(form, "agent", 20), _text(form, "note", MAX_NOTE_CHARS)
    username, now = request.state.staff.account.username, web.clock()
    try:
        async with web.database.transaction() as connection:
            before = await lead_store.get(connection, lead_id, lock=True)
            to_agent = None
            if target != OFFICE:
                to_agent = await agent_store.by_id(connection, int(target)) if target.isdigit() else None
                if to_agent is None or not to_agent.active:
                    return _to_card(lead_id, "refused")
            after = await lead_store.transfer(
                connection, lead_id, _actor(request), web.leads(), now, to_agent, note or None
            )
            await staff_store.audit(
                connection,
                username,
                "lead.transfer",
                now,
                target=f"lead:{lead_id}",
                before={"status": before.status.value, "agent": before.agent_id},
                after={"status": after.status.value, "agent": after.agent_id, "note": bool(note)},
            )
    except LeadNotFound:
        return _not_found(request, lead_id)
    except TransitionError:
        return _to_card(lead_id, "refused")
    return _to_card(lead_id, "moved")


# -- agents and areas --------------------------------------------------------------------------------------------

AGENT_NOTICES = {
    "added": ("Đã thêm đại lý.", False),
    "removed": ("Đã gỡ đại lý; các yêu cầu đang mở của đại lý được chuyển về hàng chờ văn phòng.", False),
    "exists": ("Chat này đã là một đại lý đang hoạt động: gỡ đại lý đó trước.", True),
    "invalid": ("Cần số chat Telegram (chỉ chữ số, có thể có dấu trừ), họ tên và xã/phường trong danh sách.", True),
    "missing": ("Không có đại lý nào đang hoạt động dùng chat này.", True),
}


@staff_only("admin")
async def agents_page(request: Request) -> Response:
    web = context(request)
    async with web.database.transaction() as connection:
        loads = await agent_store.loads(connection)
    areas = _areas(web)
    names = _area_names(web)
    counts: dict[str, int] = {}
    for load in loads:
        counts[load.agent.area_code] = counts.get(load.agent.area_code, 0) + 1
    notice = AGENT_NOTICES.get(request.query_params.get("notice", ""), ("", False))
    return render(
        request,
        "admin/agents.html",
        title="Đại lý thu và xã/phường",
        loads=loads,
        areas=areas,
        area_names=names,
        counts=counts,
        notice=notice[0],
        went_wrong=notice[1],
    )


def _chat_id(text: str) -> int | None:
    cleaned = text.strip()
    digits = cleaned[1:] if cleaned.startswith("-") else cleaned
    if not digits.isdigit() or len(digits) > 19:
        return None
    value = int(cleaned)
    return value if value != 0 and abs(value) <= MAX_CHAT_ID else None


def _to_agents(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/agents?notice={notice}", 303)


@staff_only("admin")
async def add_agent(request: Request) -> Response:
    web = context(request)
    form = await request.form()
    chat_id = _chat_id(_text(form, "chat_id", 25))
    name, area = _text(form, "name", MAX_NAME_CHARS), _text(form, "area", 64)
    if chat_id is None or not name or area not in {a.code for a in _areas(web)}:
        return _to_agents("invalid")
    now = web.clock()
    try:
        async with web.database.transaction() as connection:
            agent = await agent_store.add(connection, chat_id, name, area, now)
            await staff_store.audit(
                connection,
                request.state.staff.account.username,
                "agent.add",
                now,
                target=f"agent:{agent.chat_id}",
                after={"name": agent.name, "area": agent.area_code},
            )
    except AgentExists:
        return _to_agents("exists")
    return _to_agents("added")


@staff_only("admin")
async def remove_agent(request: Request) -> Response:
    """As `python -m bot agents remove`: the agent is kept for the old leads, its open leads go to the office
    queue (the office chat is told of each)."""
    web = context(request)
    chat_id = _chat_id(request.path_params["chat_id"])
    if chat_id is None:
        return _to_agents("missing")
    now = web.clock()
    async with web.database.transaction() as connection:
        agent = await agent_store.deactivate(connection, chat_id)
        if agent is None:
            return _to_agents("missing")
        moved = await lead_store.release_agent(connection, agent.id, web.leads(), now)
        await staff_store.audit(
            connection,
            request.state.staff.account.username,
            "agent.remove",
            now,
            target=f"agent:{agent.chat_id}",
            before={"name": agent.name, "area": agent.area_code},
            after={"moved_to_office": moved},
        )
    return _to_agents("removed")


routes = [
    Route("/admin/leads", board, methods=["GET"]),
    Route("/admin/leads/export.csv", export_csv, methods=["GET"]),
    Route("/admin/leads/export.xlsx", export_xlsx, methods=["GET"]),
    Route("/admin/leads/{lead_id:int}", card, methods=["GET"]),
    Route("/admin/leads/{lead_id:int}/status", change_status, methods=["POST"]),
    Route("/admin/leads/{lead_id:int}/transfer", transfer, methods=["POST"]),
    Route("/admin/agents", agents_page, methods=["GET"]),
    Route("/admin/agents", add_agent, methods=["POST"]),
    Route("/admin/agents/{chat_id:str}/remove", remove_agent, methods=["POST"]),
]
