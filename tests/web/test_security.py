"""The console's security rules over HTTP, on SQLite and PostgreSQL: no page without a session, the CSRF token
on every change, roles, throttled logins, session cookies, logging out, the security headers and /healthz.

The route table (bot.web.app.console_routes) is walked, so a new screen is covered by these tests as soon as
it is listed there.
"""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from starlette.convertors import Convertor, FloatConvertor, IntegerConvertor, UUIDConvertor
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from bot.app import App
from bot.shell.staff_auth import LoginPolicy, hash_password
from bot.storage import staff as staff_store
from bot.storage.staff import ROLES
from bot.web.app import console_routes
from bot.web.auth import LOGIN_CSRF_COOKIE, LOGIN_PATH, SESSION_COOKIE
from tests.apps import app_on
from tests.databases import Store

NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
PASSWORD = "mật khẩu đủ dài 2026"
STAFF = {"editor": "redaktor", "approver": "duyet", "admin": "quantri"}  # role -> username
HERE, ELSEWHERE = "10.0.0.5", "10.0.0.9"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
STALE_FORM = "Biểu mẫu đã cũ"
NOT_ALLOWED = "không có quyền"
NO_THROTTLE = LoginPolicy(slow_after=1000, delay_seconds=0, block_after=1000, address_block_after=1000)


# -- the route table --------------------------------------------------------------------------------------


def _sample(convertor: Convertor) -> str:  # type: ignore[type-arg]
    if isinstance(convertor, IntegerConvertor):
        return "1"
    if isinstance(convertor, FloatConvertor):
        return "1.5"
    if isinstance(convertor, UUIDConvertor):
        return str(uuid.UUID(int=1))
    return "x"


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str, Route]]:
    """(method, a concrete path, route) for every route, path parameters filled in with sample values."""
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path)  # a static folder has no routes
        elif isinstance(route, Route):
            samples = {name: _sample(convertor) for name, convertor in route.param_convertors.items()}
            path = prefix + route.path_format.format(**samples)
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                yield method, path, route


def guarded() -> list[tuple[str, str, Route]]:
    """Every console route but the login form's two: each needs a session."""
    return [
        (method, path, route)
        for method, path, route in _walk(console_routes())
        if path.startswith("/admin") and path != LOGIN_PATH
    ]


def required_role(route: Route) -> str:
    role: str = route.endpoint.required_role  # type: ignore[attr-defined]  # set by @staff_only
    return role


# -- an office on the test's database, its clock in the test's hands ------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Office:
    app: App
    clock: Clock
    web: ASGIApp

    def client(self, address: str = HERE, base_url: str = "http://testserver") -> httpx.AsyncClient:
        """A browser at `address` (cookies kept between requests, redirects not followed)."""
        transport = httpx.ASGITransport(app=self.web, client=(address, 51000))
        return httpx.AsyncClient(transport=transport, base_url=base_url)

    async def disable(self, username: str) -> None:
        async with self.app.database.transaction() as connection:
            await staff_store.set_active(connection, username, False)


@asynccontextmanager
async def office(store: Store, policy: LoginPolicy | None = None) -> AsyncIterator[Office]:
    """The bot's App on `store`, started, with an editor, an approver and an admin; its web app with `policy`."""
    clock = Clock()
    app = dataclasses.replace(app_on(store), clock=clock)
    await app.start()
    password_hash = hash_password(PASSWORD)
    async with app.database.transaction() as connection:
        for role, username in STAFF.items():
            await staff_store.add(connection, username, username.title(), role, password_hash, NOW)
    try:
        yield Office(app, clock, app.web(policy))
    finally:
        await app.close()


def csrf_of(page: str) -> str:
    found = _TOKEN.search(page)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get(LOGIN_PATH)
    return await client.post(
        LOGIN_PATH, data={"username": username, "password": password, "csrf_token": csrf_of(form.text)}
    )


async def signed_in_token(client: httpx.AsyncClient, username: str) -> str:
    """Log in; the session's CSRF token (read from the home page)."""
    answer = await log_in(client, username)
    assert answer.status_code == 303, answer.text
    home = await client.get("/admin")
    assert home.status_code == 200
    return csrf_of(home.text)


def session_cookie(answer: httpx.Response) -> str:
    """The Set-Cookie header of the session cookie in a response."""
    found = [value for value in answer.headers.get_list("set-cookie") if value.startswith(f"{SESSION_COOKIE}=")]
    assert len(found) == 1, answer.headers.get_list("set-cookie")
    return found[0]


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    return (await client.get("/admin")).status_code == 200


# -- no page without a session ------------------------------------------------------------------------------


def test_the_route_table_has_console_pages_and_every_one_is_staff_only() -> None:
    routes = guarded()
    assert ("GET", "/admin") in {(method, path) for method, path, _ in routes}
    unguarded = [f"{method} {path}" for method, path, route in routes if not hasattr(route.endpoint, "required_role")]
    assert unguarded == []
    assert {required_role(route) for _, _, route in routes} <= set(ROLES)


async def test_without_a_session_every_page_redirects_to_the_login_form_and_every_change_gets_401(
    store: Store,
) -> None:
    async with office(store) as the_office, the_office.client() as client:
        answers = {}
        for method, path, _ in guarded():
            answer = await client.request(method, path)
            answers[f"{method} {path}"] = (answer.status_code, answer.headers.get("location"))

    expected = {
        f"{method} {path}": (303, f"{LOGIN_PATH}?next={path}") if method == "GET" else (401, None)
        for method, path, _ in guarded()
    }
    assert answers == expected


async def test_an_htmx_request_without_a_session_gets_401_and_is_sent_to_the_login_form(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        answer = await client.get("/admin", headers={"HX-Request": "true"})

    assert answer.status_code == 401
    assert answer.headers["hx-redirect"] == f"{LOGIN_PATH}?next=/admin"


async def test_a_made_up_session_cookie_is_no_session(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        client.cookies.set(SESSION_COOKIE, "made-up-value", path="/admin")
        answer = await client.get("/admin")

    assert answer.status_code == 303


async def test_the_login_page_and_healthz_need_no_session(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        assert (await client.get(LOGIN_PATH)).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/admin/static/admin.css")).status_code == 200


# -- CSRF ---------------------------------------------------------------------------------------------------


async def test_every_change_is_refused_without_the_sessions_csrf_token(store: Store) -> None:
    changes = [(method, path) for method, path, _ in guarded() if method != "GET"]
    async with office(store) as the_office, the_office.client() as client:
        token = await signed_in_token(client, STAFF["admin"])
        answers = {}
        for method, path in changes:
            missing = await client.request(method, path, data={"note": "x"})
            wrong_field = await client.request(method, path, data={"csrf_token": token[:-2] + "xx"})
            wrong_header = await client.request(method, path, headers={"X-CSRF-Token": "not-the-token"})
            answers[f"{method} {path}"] = [
                (answer.status_code, STALE_FORM in answer.text) for answer in (missing, wrong_field, wrong_header)
            ]
        still_signed_in = await is_signed_in(client)

    assert answers == {f"{method} {path}": [(403, True)] * 3 for method, path in changes}
    assert still_signed_in


async def test_the_csrf_token_of_another_session_is_refused(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as mine, the_office.client() as theirs:
        await signed_in_token(mine, STAFF["editor"])
        their_token = await signed_in_token(theirs, STAFF["editor"])
        answer = await mine.post("/admin/logout", data={"csrf_token": their_token})

        assert answer.status_code == 403
        assert await is_signed_in(mine)


async def test_the_login_form_refuses_a_post_without_its_own_token(store: Store) -> None:
    credentials = {"username": STAFF["editor"], "password": PASSWORD}
    async with office(store) as the_office, the_office.client() as client, the_office.client() as other:
        no_form = await client.post(LOGIN_PATH, data=credentials)
        other_form = csrf_of((await other.get(LOGIN_PATH)).text)
        await client.get(LOGIN_PATH)  # this client's cookie, another client's field
        crossed = await client.post(LOGIN_PATH, data={**credentials, "csrf_token": other_form})
        signed_in = await is_signed_in(client)

    assert (no_form.status_code, crossed.status_code) == (403, 403)
    assert "Biểu mẫu đã cũ. Vui lòng đăng nhập lại." in crossed.text
    assert not signed_in


async def test_the_login_forms_token_is_a_cookie_only_the_login_form_reads(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        form = await client.get(LOGIN_PATH)

    cookie = [value for value in form.headers.get_list("set-cookie") if value.startswith(f"{LOGIN_CSRF_COOKIE}=")]
    assert len(cookie) == 1
    assert f"Path={LOGIN_PATH}" in cookie[0]
    assert "httponly" in cookie[0].lower()


# -- roles --------------------------------------------------------------------------------------------------


async def test_every_page_and_change_is_refused_to_a_role_below_the_one_it_needs(store: Store) -> None:
    async with office(store) as the_office:
        answers, expected = {}, {}
        for role in ROLES:
            async with the_office.client() as client:
                token = await signed_in_token(client, STAFF[role])
                for method, path, route in guarded():
                    if ROLES.index(role) >= ROLES.index(required_role(route)):
                        continue
                    answer = await client.request(method, path, data={"csrf_token": token})
                    answers[f"{role} {method} {path}"] = (answer.status_code, NOT_ALLOWED in answer.text)
                    expected[f"{role} {method} {path}"] = (403, True)

    assert answers == expected


# -- throttling ---------------------------------------------------------------------------------------------


async def test_after_slow_after_failures_the_answer_to_a_login_is_delayed(store: Store) -> None:
    policy = LoginPolicy(slow_after=2, delay_seconds=0.3, block_after=10)
    async with office(store, policy) as the_office, the_office.client() as client:
        for _ in range(policy.slow_after):
            assert (await log_in(client, STAFF["editor"], "sai mật khẩu rồi")).status_code == 401
        started = time.monotonic()
        answer = await log_in(client, STAFF["editor"], "sai mật khẩu rồi")
        took = time.monotonic() - started

    assert answer.status_code == 401
    assert took >= policy.delay_seconds  # a lower bound only: the delay is a sleep, which never ends early


async def test_after_block_after_failures_even_the_right_password_is_refused_until_the_window_passes(
    store: Store,
) -> None:
    policy = dataclasses.replace(NO_THROTTLE, block_after=3)
    async with office(store, policy) as the_office, the_office.client() as client:
        for _ in range(policy.block_after):
            assert (await log_in(client, STAFF["editor"], "sai mật khẩu rồi")).status_code == 401

        blocked = await log_in(client, STAFF["editor"])
        the_office.clock.advance(policy.window - timedelta(seconds=1))
        still_blocked = await log_in(client, STAFF["editor"])
        the_office.clock.advance(timedelta(seconds=2))
        after_the_window = await log_in(client, STAFF["editor"])

    assert (blocked.status_code, still_blocked.status_code, after_the_window.status_code) == (429, 429, 303)
    assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút." in blocked.text
    assert SESSION_COOKIE not in blocked.headers.get("set-cookie", "")


async def test_a_blocked_account_is_blocked_from_every_address(store: Store) -> None:
    policy = dataclasses.replace(NO_THROTTLE, block_after=3)
    async with office(store, policy) as the_office:
        async with the_office.client(HERE) as guesser:
            for _ in range(policy.block_after):
                await log_in(guesser, STAFF["editor"], "sai mật khẩu rồi")
        async with the_office.client(ELSEWHERE) as owner:
            answer = await log_in(owner, STAFF["editor"])
        async with the_office.client(HERE) as colleague:
            other_account = await log_in(colleague, STAFF["approver"])

    assert answer.status_code == 429
    assert other_account.status_code == 303


async def test_an_address_that_failed_too_often_is_blocked_whatever_the_account_and_others_are_not(
    store: Store,
) -> None:
    policy = dataclasses.replace(NO_THROTTLE, address_block_after=4)
    async with office(store, policy) as the_office:
        async with the_office.client(HERE) as guesser:
            for number in range(policy.address_block_after):
                assert (await log_in(guesser, f"nguoi-{number}", "đoán thử mật khẩu")).status_code == 401
            from_there = await log_in(guesser, STAFF["editor"])
        async with the_office.client(ELSEWHERE) as elsewhere:
            from_elsewhere = await log_in(elsewhere, STAFF["editor"])

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 303


async def test_an_unknown_user_name_is_refused_like_a_wrong_password(store: Store) -> None:
    async with office(store, NO_THROTTLE) as the_office, the_office.client() as client:
        unknown = await log_in(client, "khong-co-ai", PASSWORD)
        wrong = await log_in(client, STAFF["editor"], "sai mật khẩu rồi")

    assert (unknown.status_code, wrong.status_code) == (401, 401)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in unknown.text
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text


# -- the session cookie -------------------------------------------------------------------------------------


async def test_the_session_cookie_is_httponly_samesite_lax_and_not_secure_over_plain_http(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        cookie = session_cookie(await log_in(client, STAFF["editor"]))

    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/admin" in attributes
    assert "secure" not in attributes


async def test_the_session_cookie_is_secure_when_served_over_https(store: Store) -> None:
    async with office(store) as the_office:
        async with the_office.client(base_url="https://testserver") as direct:
            over_https = session_cookie(await log_in(direct, STAFF["editor"]))
        async with the_office.client() as proxied:  # TLS ends at a proxy, which says so
            https = {"x-forwarded-proto": "https"}
            form = await proxied.get(LOGIN_PATH, headers=https)
            login_cookie = form.headers["set-cookie"]
            answer = await proxied.post(
                LOGIN_PATH,
                data={"username": STAFF["editor"], "password": PASSWORD, "csrf_token": csrf_of(form.text)},
                headers={**https, "cookie": login_cookie.split(";")[0]},  # the browser sends it: it is on https
            )
            behind_a_proxy = session_cookie(answer)

    for cookie in (login_cookie, over_https, behind_a_proxy):
        assert "secure" in [part.strip().lower() for part in cookie.split(";")], cookie


async def test_logging_in_gives_a_new_session_id_and_the_one_from_before_is_no_longer_valid(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        await log_in(client, STAFF["editor"])
        before = client.cookies[SESSION_COOKIE]
        await log_in(client, STAFF["admin"])
        after = client.cookies[SESSION_COOKIE]
        async with the_office.client() as replay:
            replay.cookies.set(SESSION_COOKIE, before, path="/admin")
            old_id_works = await is_signed_in(replay)
        new_id_works = await is_signed_in(client)

    assert before != after
    assert not old_id_works
    assert new_id_works


async def test_a_session_id_set_before_logging_in_is_not_the_one_given(store: Store) -> None:
    planted = "planted-by-someone-else"
    async with office(store) as the_office, the_office.client() as client:
        client.cookies.set(SESSION_COOKIE, planted, path="/admin")
        given = session_cookie(await log_in(client, STAFF["editor"]))
        async with the_office.client() as replay:
            replay.cookies.set(SESSION_COOKIE, planted, path="/admin")
            planted_works = await is_signed_in(replay)

    assert not given.startswith(f"{SESSION_COOKIE}={planted};")
    assert not planted_works


async def test_a_session_ends_after_the_idle_time_and_use_keeps_it_open(store: Store) -> None:
    policy = dataclasses.replace(NO_THROTTLE, idle=timedelta(hours=8))
    async with office(store, policy) as the_office, the_office.client() as client:
        await log_in(client, STAFF["editor"])
        the_office.clock.advance(timedelta(hours=7))
        used_within_the_idle_time = await is_signed_in(client)
        the_office.clock.advance(timedelta(hours=7))
        used_again_within_it = await is_signed_in(client)
        the_office.clock.advance(policy.idle + timedelta(minutes=1))
        idle_too_long = await client.get("/admin")

    assert used_within_the_idle_time and used_again_within_it
    assert idle_too_long.status_code == 303
    assert idle_too_long.headers["location"] == f"{LOGIN_PATH}?next=/admin"


async def test_disabling_an_account_ends_its_session_and_its_logins(store: Store) -> None:
    async with office(store, NO_THROTTLE) as the_office, the_office.client() as client:
        await log_in(client, STAFF["editor"])
        await the_office.disable(STAFF["editor"])
        signed_in = await is_signed_in(client)
        again = await log_in(client, STAFF["editor"])

    assert not signed_in
    assert again.status_code == 401


async def test_logging_out_needs_the_csrf_token_and_ends_the_session(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        token = await signed_in_token(client, STAFF["editor"])
        session_id = client.cookies[SESSION_COOKIE]
        without_token = await client.post("/admin/logout")
        still_signed_in = await is_signed_in(client)
        logged_out = await client.post("/admin/logout", data={"csrf_token": token})
        async with the_office.client() as replay:
            replay.cookies.set(SESSION_COOKIE, session_id, path="/admin")
            old_id_works = await is_signed_in(replay)

    assert without_token.status_code == 403
    assert still_signed_in
    assert (logged_out.status_code, logged_out.headers["location"]) == (303, LOGIN_PATH)
    assert f'{SESSION_COOKIE}=""' in logged_out.headers["set-cookie"]
    assert not old_id_works


async def test_a_successful_login_is_in_the_audit_log(store: Store) -> None:
    async with office(store) as the_office, the_office.client(ELSEWHERE) as client:
        await log_in(client, STAFF["editor"])
        async with the_office.app.database.transaction() as connection:
            entries = await staff_store.audit_entries(connection)

    assert [(entry.actor, entry.action, entry.target) for entry in entries] == [
        (STAFF["editor"], "staff.login", ELSEWHERE)
    ]


# -- headers and health -------------------------------------------------------------------------------------


async def test_console_pages_carry_the_security_headers(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        login_page = await client.get(LOGIN_PATH)
        await signed_in_token(client, STAFF["editor"])
        home = await client.get("/admin")
        async with the_office.client() as stranger:
            redirect = await stranger.get("/admin")

    for answer in (login_page, home, redirect):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        policy = answer.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


async def test_healthz_answers_200_when_the_database_answers_and_503_when_it_does_not(store: Store) -> None:
    async with office(store) as the_office:
        async with the_office.client() as client:
            healthy = await client.get("/healthz")
        async with store.unreachable() as database:
            down = dataclasses.replace(the_office, web=the_office.app.on(database).web())
            async with down.client() as client:
                unhealthy = await client.get("/healthz")

    assert (healthy.status_code, healthy.text) == (200, "ok")
    assert unhealthy.status_code == 503
