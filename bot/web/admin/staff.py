"""Staff accounts and the audit log, for admins: who may use the console, and everything done in it.

GET  /admin/staff                          the accounts, a form to add one
POST /admin/staff                          add an account (username, display name, role, initial password)
POST /admin/staff/{username}/disable       lock an account (its sessions end) | /enable to unlock it
POST /admin/staff/{username}/password      set a new password (the account's sessions end)
GET  /admin/audit?page=N                   the audit log, newest first, 50 a page

Every change is audited in its own transaction, as `python -m bot staff …` does (same action names); no
password, not even hashed, goes into the log.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.shell.staff_auth import MIN_PASSWORD_CHARS, PasswordTooShort, hash_password
from bot.storage import staff as staff_store
from bot.storage.staff import ROLES, StaffExists
from bot.web.auth import context, staff_only
from bot.web.pages import render

ROLE_NAMES = {"editor": "Biên tập", "approver": "Duyệt và xuất bản", "admin": "Quản trị"}
ACTION_NAMES = {
    "staff.login": "Đăng nhập",
    "staff.add": "Thêm tài khoản",
    "staff.disable": "Khóa tài khoản",
    "staff.enable": "Mở khóa tài khoản",
    "staff.password": "Đặt mật khẩu mới",
}
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")  # logins lower-case what is typed (bot.shell.staff_auth)
PAGE_SIZE = 50
NOTICES = {
    "added": "Đã thêm tài khoản {who}.",
    "disabled": "Đã khóa tài khoản {who}; các phiên đăng nhập của tài khoản đã kết thúc.",
    "enabled": "Đã mở khóa tài khoản {who}.",
    "password": "Đã đặt mật khẩu mới cho {who}; các phiên đăng nhập cũ đã kết thúc.",
}


def _back(notice: str, who: str) -> Response:
    return RedirectResponse(f"/admin/staff?{urlencode({'notice': notice, 'who': who})}", 303)


async def _staff_page(
    request: Request, status: int = 200, error: str = "", form: dict[str, str] | None = None
) -> Response:
    async with context(request).database.transaction() as connection:
        accounts = await staff_store.everyone(connection)
    notice = NOTICES.get(request.query_params.get("notice", ""), "")
    return render(
        request,
        "admin/staff.html",
        status,
        title="Tài khoản nhân viên",
        accounts=accounts,
        role_names=ROLE_NAMES,
        roles=ROLES,
        notice=notice.format(who=request.query_params.get("who", "")) if notice and not error else "",
        error=error,
        form=form or {},
        min_password=MIN_PASSWORD_CHARS,
    )


@staff_only("admin")
async def staff_list(request: Request) -> Response:
    return await _staff_page(request)


@staff_only("admin")
async def add_staff(request: Request) -> Response:
    fields = await request.form()
    form = {name: str(fields.get(name, "")).strip() for name in ("username", "display_name", "role")}
    username, display_name, role = form["username"].lower(), form["display_name"], form["role"]
    password = str(fields.get("password", ""))
    if not USERNAME.fullmatch(username):
        return await _staff_page(
            request, 400, "Tên đăng nhập cần 2–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang.", form
        )
    if role not in ROLES:
        return await _staff_page(request, 400, "Hãy chọn vai trò của tài khoản.", form)
    try:
        password_hash = await asyncio.to_thread(hash_password, password)
    except PasswordTooShort:
        return await _staff_page(request, 400, f"Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự.", form)
    web, actor = context(request), request.state.staff.account.username
    name = display_name or username
    try:
        async with web.database.transaction() as connection:
            now = web.clock()
            await staff_store.add(connection, username, name, role, password_hash, now)
            await staff_store.audit(connection, actor, "staff.add", now, username, after={"role": role, "name": name})
    except StaffExists:
        return await _staff_page(request, 409, f"Đã có tài khoản {username}. Hãy chọn tên đăng nhập khác.", form)
    return _back("added", username)


async def _set_active(request: Request, active: bool) -> Response:
    username = request.path_params["username"]
    web, actor = context(request), request.state.staff.account.username
    if not active and username == actor:
        return await _staff_page(request, 400, "Bạn không thể tự khóa tài khoản của mình.")
    async with web.database.transaction() as connection:
        account = await staff_store.by_username(connection, username)
        if account is not None:
            await staff_store.set_active(connection, username, active)
            action = "staff.enable" if active else "staff.disable"
            before, after = {"active": account.active}, {"active": active}
            await staff_store.audit(connection, actor, action, web.clock(), username, before, after)
    if account is None:
        return await _staff_page(request, 404, f"Không có tài khoản {username}.")
    return _back("enabled" if active else "disabled", username)


@staff_only("admin")
async def disable_staff(request: Request) -> Response:
    return await _set_active(request, False)


@staff_only("admin")
async def enable_staff(request: Request) -> Response:
    return await _set_active(request, True)


@staff_only("admin")
async def reset_password(request: Request) -> Response:
    username = request.path_params["username"]
    password = str((await request.form()).get("password", ""))
    try:
        password_hash = await asyncio.to_thread(hash_password, password)
    except PasswordTooShort:
        return await _staff_page(request, 400, f"Mật khẩu mới cần ít nhất {MIN_PASSWORD_CHARS} ký tự.")
    web, actor = context(request), request.state.staff.account.username
    async with web.database.transaction() as connection:
        now = web.clock()
        found = await staff_store.set_password(connection, username, password_hash, now)
        if found:
            await staff_store.audit(connection, actor, "staff.password", now, username)
    if not found:
        return await _staff_page(request, 404, f"Không có tài khoản {username}.")
    return _back("password", username)


def _shown(value: Any) -> str:
    """A value before or after a change, as staff read it: `key: value` pairs, or the JSON of the value."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(
            f"{key}: {_shown(item) if isinstance(item, dict | list) else item}" for key, item in value.items()
        )
    return json.dumps(value, ensure_ascii=False)


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 1_000_000 else 1


@staff_only("admin")
async def audit(request: Request) -> Response:
    web = context(request)
    page = _page_number(request.query_params.get("page"))
    async with web.database.transaction() as connection:
        entries = await staff_store.audit_entries(connection, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    rows: list[dict[str, Any]] = [
        {
            "at": web.local(entry.at),
            "actor": entry.actor,
            "action": entry.action,
            "action_name": ACTION_NAMES.get(entry.action, ""),
            "target": entry.target,
            "before": _shown(entry.before),
            "after": _shown(entry.after),
        }
        for entry in entries[:PAGE_SIZE]
    ]
    return render(
        request,
        "admin/audit.html",
        title="Nhật ký thao tác",
        rows=rows,
        page=page,
        newer=page - 1 if page > 1 else None,
        older=page + 1 if len(entries) > PAGE_SIZE else None,
    )


routes = [
    Route("/admin/staff", staff_list, methods=["GET"]),
    Route("/admin/staff", add_staff, methods=["POST"]),
    Route("/admin/staff/{username:str}/disable", disable_staff, methods=["POST"]),
    Route("/admin/staff/{username:str}/enable", enable_staff, methods=["POST"]),
    Route("/admin/staff/{username:str}/password", reset_password, methods=["POST"]),
    Route("/admin/audit", audit, methods=["GET"]),
]
