"""The console in a real browser: logging in, every page reachable from the menu accessible (axe), the
keyboard's way in, and a phone's width."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Console, axe_violations, login

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("role", ["editor", "approver", "admin"])
async def test_each_role_logs_in_and_sees_the_home_page_with_its_name(page: Page, console: Console, role: str) -> None:
    await login(page, console, getattr(console, role))

    await expect(page).to_have_url(console.url("/admin"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tổng quan")
    await expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


async def test_a_wrong_password_shows_the_error_in_vietnamese_and_keeps_the_user_name(
    page: Page, console: Console
) -> None:
    await login(page, console, console.editor, "không-phải-mật-khẩu")

    await expect(page.get_by_role("alert")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    await expect(page.get_by_label("Tên đăng nhập")).to_have_value(console.editor)
    await expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(0)


async def test_logging_out_returns_to_the_login_form(page: Page, console: Console) -> None:
    await login(page, console, console.editor)

    await page.get_by_role("button", name="Đăng xuất").click()

    await expect(page).to_have_url(console.url("/admin/login"))
    await page.goto(console.url("/admin"))
    await expect(page).to_have_url(console.url("/admin/login?next=/admin"))


async def test_the_login_page_has_no_serious_accessibility_violations(page: Page, console: Console) -> None:
    await page.goto(console.url("/admin/login"))

    assert await axe_violations(page) == []


async def test_the_login_error_has_no_serious_accessibility_violations(page: Page, console: Console) -> None:
    await login(page, console, console.editor, "không-phải-mật-khẩu")

    assert await axe_violations(page) == []


@pytest.mark.parametrize("role", ["editor", "admin"])
async def test_every_page_in_the_menu_has_no_serious_accessibility_violations(
    page: Page, console: Console, role: str
) -> None:
    await login(page, console, getattr(console, role))
    menu = page.get_by_role("navigation", name="Các mục chính").get_by_role("link")
    addresses = [urljoin(page.url, str(await link.get_attribute("href"))) for link in await menu.all()]
    assert console.url("/admin") in addresses

    found = {}
    for address in dict.fromkeys(addresses):
        response = await page.goto(address)
        found[address] = (response.status if response else None, await axe_violations(page))

    assert found == {address: (200, []) for address in found}


async def test_tab_from_the_top_reaches_the_skip_link_first_and_it_moves_focus_to_the_content(
    page: Page, console: Console
) -> None:
    await login(page, console, console.editor)
    await page.goto(console.url("/admin"))

    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, tới nội dung chính")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()
    await page.keyboard.press("Enter")

    await expect(page.locator("main")).to_be_focused()


async def test_the_login_form_can_be_filled_and_sent_with_the_keyboard_alone(page: Page, console: Console) -> None:
    await page.goto(console.url("/admin/login"))

    await expect(page.get_by_label("Tên đăng nhập")).to_be_focused()  # autofocus
    await page.keyboard.type(console.editor)
    await page.keyboard.press("Tab")
    await page.keyboard.type(console.password)
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(console.url("/admin"))


async def _scrolls_sideways(page: Page) -> bool:
    return bool(await page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"))


async def test_on_a_phone_the_login_and_home_pages_need_no_sideways_scrolling(page: Page, console: Console) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(console.url("/admin/login"))
    assert not await _scrolls_sideways(page)

    await login(page, console, console.admin)

    await expect(page).to_have_url(console.url("/admin"))
    assert not await _scrolls_sideways(page)


async def test_an_admin_adds_an_account_in_the_browser_and_it_can_log_in(page: Page, console: Console) -> None:
    await login(page, console, console.admin)
    await page.get_by_role("navigation", name="Các mục chính").get_by_role("link", name="Tài khoản").click()

    await page.get_by_label("Tên đăng nhập").fill("thuha")
    await page.get_by_label("Tên hiển thị").fill("Chị Thu Hà")
    await page.get_by_label("Vai trò").select_option(label="Duyệt và xuất bản")
    await page.get_by_label("Mật khẩu ban đầu").fill(console.password)
    await page.get_by_role("button", name="Thêm tài khoản").click()

    await expect(page.get_by_role("status")).to_have_text("Đã thêm tài khoản thuha.")
    await expect(page.get_by_role("row", name="thuha")).to_contain_text("Duyệt và xuất bản")
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Đăng xuất").click()
    await login(page, console, "thuha")
    await expect(page.get_by_text("Chị Thu Hà (duyệt)")).to_be_visible()
