"""Browser tests: the office console served by uvicorn on a free port, driven by Debian's Chromium.

Chromium is /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) driven by pip's Playwright:
no browser is ever downloaded. On a machine without either, these tests are skipped with the reason; with CI
set they fail instead, as the PostgreSQL tests do (tests/databases.py).

The browser is launched once per test run, so every test here runs on the run's event loop (the hook below);
each test gets its own SQLite database, App and server (`console`) and its own browser context (`page`).
Accessibility is checked with axe-core (tests/browser/axe.min.js, MPL-2.0, vendored: the tests need no
network).
"""

from __future__ import annotations

import functools
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pytest_asyncio import is_async_test

from bot.app import App
from bot.shell.staff_auth import hash_password
from bot.storage import staff as staff_store
from bot.web.server import serving
from tests.apps import app_on
from tests.databases import SqliteTemplate, in_ci

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # a machine without the dev extras
    async_playwright = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "axe.min.js"
PASSWORD = "mật-khẩu-thử-nghiệm-2026"
STAFF = {"redaktor": "editor", "duyet": "approver", "quantri": "admin"}
DISPLAY_NAMES = {"redaktor": "Chị Lan biên tập", "duyet": "Anh Minh duyệt", "quantri": "Bác Hòa quản trị"}
SERIOUS = ("serious", "critical")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every async test in this folder runs on the run's event loop, where the browser lives."""
    on_run_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if is_async_test(item) and HERE in Path(str(item.path)).parents:
            item.add_marker(on_run_loop, append=False)


def _missing() -> str | None:
    if async_playwright is None:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"Chromium is not at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def chromium_available() -> None:
    """Skips the browser tests with the reason, or fails them when CI is set: CI never skips them."""
    reason = _missing()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"{reason}. CI runs the browser tests: .ci/run installs Chromium first.")
    pytest.skip(f"{reason}; set CI=true to make this a failure")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium_available: None) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (Playwright passes --no-sandbox itself, which running as root needs)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page in a context of its own (no cookies from other tests), a desktop window."""
    context = await browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    yield opened
    await context.close()


@dataclass(frozen=True)
class Console:
    """The console served for one test: its address, the App behind it, the staff who can log in."""

    base_url: str
    app: App
    password: str = PASSWORD
    editor: str = "redaktor"
    approver: str = "duyet"
    admin: str = "quantri"

    def url(self, path: str) -> str:
        return self.base_url + path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2id takes a while: once per run, the same for every account


async def add_staff(app: App) -> None:
    now = app.clock()
    async with app.database.transaction() as connection:
        for username, role in STAFF.items():
            await staff_store.add(connection, username, DISPLAY_NAMES[username], role, _password_hash(), now)


@pytest_asyncio.fixture(loop_scope="session")
async def console(sqlite_template: SqliteTemplate, tmp_path: Path) -> AsyncIterator[Console]:
    """The bot's App on a fresh SQLite database, started, with an editor, an approver and an admin, and
    its web app served on 127.0.0.1 at a free port while the test runs."""
    app = app_on(sqlite_template.fresh(tmp_path))
    await app.start()
    await add_staff(app)
    port = free_port()
    try:
        async with serving(app.web(), "127.0.0.1", port):
            yield Console(f"http://127.0.0.1:{port}", app)
    finally:
        await app.close()


async def login(page: Page, console: Console, username: str, password: str | None = None) -> None:
    """Log in through the login form as a person would (the page is then wherever the form led)."""
    await page.goto(console.url("/admin/login"))
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(console.password if password is None else password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_load_state()


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now: rule, impact, help, elements.

    The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy (no
    inline scripts) does not govern, so the page is checked exactly as it is served."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))}))"""
    )
    return [violation for violation in violations if violation["impact"] in SERIOUS]
