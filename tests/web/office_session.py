"""A staff member signed in to the office console over HTTP (httpx on the ASGI app, no server, no browser)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import httpx

from bot.app import App
from bot.shell.staff_auth import hash_password
from bot.storage import staff as staff_store
from tests.apps import app_on
from tests.databases import Store

PASSWORD = "mật khẩu đủ dài 2026"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    """The CSRF token of the first form on the page."""
    found = _TOKEN.search(page)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2id takes a while: once per run


@asynccontextmanager
async def console_app(store: Store, now: datetime) -> AsyncIterator[App]:
    """The bot's App on the test's database, started (knowledge revision 1), its clock stopped at `now`."""
    app = dataclasses.replace(app_on(store), clock=lambda: now)
    await app.start()
    try:
        yield app
    finally:
        await app.close()


@asynccontextmanager
async def signed_in(app: App, username: str = "lan", role: str = "editor") -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app.web()` signed in as a new account with `role`."""
    async with app.database.transaction() as connection:
        await staff_store.add(connection, username, username.title(), role, _password_hash(), app.clock())
    transport = httpx.ASGITransport(app=app.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        form = await client.get("/admin/login")
        answer = await client.post(
            "/admin/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
        )
        assert answer.status_code == 303, answer.text
        yield client


async def token(client: httpx.AsyncClient, path: str = "/admin") -> str:
    """The session's CSRF token, read from a page."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)
