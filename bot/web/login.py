"""The login form, logging out, and /healthz (the only routes reachable without a session)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.shell.staff_auth import same_token
from bot.web.auth import (
    LOGIN_CSRF_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    client_address,
    context,
    new_login_token,
    set_cookie,
    staff_only,
)
from bot.web.pages import render

HOME = "/admin"


def _next(request: Request, value: object) -> str:
    """Where to go after logging in: a console page of this site only (never another site)."""
    target = value if isinstance(value, str) else ""
    return target if target.startswith("/admin") and not target.startswith("//") else HOME


def _login_page(request: Request, status: int = 200, error: str = "", username: str = "") -> Response:
    token = new_login_token()
    response = render(
        request,
        "admin/login.html",
        status,
        csrf_token=token,
        error=error,
        username=username,
        next=_next(request, request.query_params.get("next")),
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, path=LOGIN_PATH)
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = form.get("csrf_token")
    if not expected or not same_token(expected, token if isinstance(token, str) else None):
        return _login_page(request, 403, "Biểu mẫu đã cũ. Vui lòng đăng nhập lại.", username)
    result = await context(request).auth.login(username, password, client_address(request))
    if result.blocked:
        return _login_page(request, 429, "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.", username)
    if result.session_id is None:
        return _login_page(request, 401, "Tên đăng nhập hoặc mật khẩu không đúng.", username)
    await context(request).auth.logout(request.cookies.get(SESSION_COOKIE))  # a new id at every login
    response = RedirectResponse(_next(request, form.get("next")), 303)
    set_cookie(response, request, SESSION_COOKIE, result.session_id)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


@staff_only("editor")
async def logout(request: Request) -> Response:
    await context(request).auth.logout(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(LOGIN_PATH, 303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


async def healthz(request: Request) -> Response:
    """200 when the database answers, 503 otherwise (for the load balancer and the office's monitoring)."""
    try:
        async with context(request).database.transaction() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, SQLAlchemyError):
        return PlainTextResponse("database unavailable", 503)
    return PlainTextResponse("ok")


routes = [
    Route(LOGIN_PATH, login_form, methods=["GET"]),
    Route(LOGIN_PATH, login, methods=["POST"]),
    Route("/admin/logout", logout, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
]
