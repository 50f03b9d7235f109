"""Who may see a console page: staff sessions in a cookie, roles, and the CSRF token on every change.

    @staff_only("approver")
    async def publish(request: Request) -> Response: ...   # request.state.staff is the StaffSession

Without a session a page redirects to the login form (an htmx request gets 401 with HX-Redirect); a role too
low gets 403; a POST, PUT, PATCH or DELETE must carry the session's CSRF token, as the form field
`csrf_token` or the `X-CSRF-Token` header (htmx sends it from the page's hx-headers), compared in constant
time. The login form, which has no session yet, is protected by a double-submit token (a cookie and the same
value in the form).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.shell.staff_auth import same_token
from bot.web.context import WebContext
from bot.web.pages import render

SESSION_COOKIE = "bhxh_console"
LOGIN_CSRF_COOKIE = "bhxh_login_csrf"
LOGIN_PATH = "/admin/login"
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Endpoint = Callable[[Request], Awaitable[Response]]


def context(request: Request) -> WebContext:
    found: WebContext = request.app.state.context
    return found


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def secure(request: Request) -> bool:
    """Cookies are Secure when the page is served over HTTPS (directly or behind a proxy that says so)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, path: str = "/admin") -> None:
    response.set_cookie(name, value, path=path, httponly=True, samesite="lax", secure=secure(request))


async def submitted_token(request: Request) -> str | None:
    token = request.headers.get("x-csrf-token")
    if token is None and request.method in CHANGES:
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    return token


def forbidden(request: Request, message: str) -> Response:
    return render(request, "admin/error.html", 403, title="Không được phép", message=message)


def staff_only(role: str = "editor") -> Callable[[Endpoint], Endpoint]:
    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            session = await context(request).auth.session(request.cookies.get(SESSION_COOKIE))
            if session is None:
                target = f"{LOGIN_PATH}?next={quote(request.url.path)}"
                if request.method in CHANGES or request.headers.get("hx-request"):
                    return Response("Phiên đăng nhập đã hết.", 401, headers={"HX-Redirect": target})
                return RedirectResponse(target, 303)
            request.state.staff = session
            if request.method in CHANGES and not same_token(session.csrf_token, await submitted_token(request)):
                return forbidden(request, "Biểu mẫu đã cũ hoặc không hợp lệ. Tải lại trang rồi thử lại.")
            if not session.account.can(role):
                return forbidden(request, "Tài khoản của bạn không có quyền làm việc này.")
            return await endpoint(request)

        guarded.required_role = role  # type: ignore[attr-defined]  # read by the route table's tests
        return guarded

    return decorate


def new_login_token() -> str:
    return secrets.token_urlsafe(32)
