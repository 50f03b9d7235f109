"""The web chat in a real browser (Chromium): a citizen asks, presses a button, reloads, starts afresh, uses
only the keyboard, on a phone's width; axe finds nothing serious; and an office's own site embeds it with
widget.js, served from another origin.

The `console` fixture comes before `page` in each test so the page (and its event stream) closes before the
server stops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from playwright.async_api import Locator, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bot.web.server import serving
from tests.browser.conftest import Console, axe_violations, free_port

PHONE = {"width": 390, "height": 844}
QUESTION = "mat the bhyt thi phai lam sao"


async def ask(page: Page, text: str) -> None:
    await page.get_by_label("Câu hỏi của bạn").fill(text)
    await page.get_by_role("button", name="Gửi", exact=True).click()


def log_of(page: Page) -> Locator:
    return page.get_by_role("log", name="Cuộc trò chuyện")


async def test_a_question_is_answered_a_button_pressed_and_a_reload_keeps_the_conversation(
    console: Console, page: Page
) -> None:
    await page.goto(console.url("/chat"))
    log = log_of(page)
    await expect(log).to_contain_text("Xin chào")
    await ask(page, QUESTION)
    await expect(log.get_by_text("VNeID").first).to_be_visible()
    await expect(page.get_by_label("Câu hỏi của bạn")).to_be_focused()  # ready for the next question

    await log.get_by_role("button", name="Ứng dụng VssID").last.click()
    await expect(log).to_contain_text("Bảo hiểm xã hội số")
    before = await log.inner_text()

    await page.reload()
    await expect(log).to_contain_text(QUESTION)
    assert await log.inner_text() == before


async def test_a_new_conversation_starts_from_the_greeting(console: Console, page: Page) -> None:
    await page.goto(console.url("/chat"))
    await ask(page, QUESTION)
    log = log_of(page)
    await expect(log).to_contain_text(QUESTION)
    await page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    await expect(page.get_by_role("status")).to_have_text("Đã bắt đầu cuộc trò chuyện mới.")
    await expect(log).not_to_contain_text(QUESTION)
    await expect(log).to_contain_text("Xin chào")
    await page.reload()
    await expect(log).to_contain_text("Xin chào")
    await expect(log).not_to_contain_text(QUESTION)


async def test_the_chat_works_with_the_keyboard_alone(console: Console, page: Page) -> None:
    await page.goto(console.url("/chat"))
    await expect(log_of(page)).to_contain_text("Xin chào")
    field = page.get_by_label("Câu hỏi của bạn")
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await field.evaluate("element => element === document.activeElement"):
            break
    await expect(field).to_be_focused()
    await page.keyboard.type("the bhyt")
    await page.keyboard.press("Enter")
    choice = log_of(page).get_by_role("button", name="Mất thẻ BHYT, dùng VssID, VNeID")
    await expect(choice).to_be_visible()
    await choice.focus()
    await page.keyboard.press("Enter")
    await expect(log_of(page).get_by_text("VNeID (mức 2").first).to_be_visible()


async def test_the_chat_has_no_serious_accessibility_violations(console: Console, page: Page) -> None:
    await page.goto(console.url("/chat"))
    await ask(page, "the bhyt")
    await expect(log_of(page).get_by_role("button", name="Mất thẻ BHYT, dùng VssID, VNeID")).to_be_visible()
    assert await axe_violations(page) == []


async def test_on_a_phone_the_chat_does_not_scroll_sideways_and_its_targets_are_44_px(
    console: Console, page: Page
) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(console.url("/chat"))
    await ask(page, "bhxh tu nguyen dong bao nhieu 1 thang")
    await expect(log_of(page).get_by_role("button", name="Tính cho tôi")).to_be_visible()
    widths = await page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == PHONE["width"]
    heights = await page.evaluate("() => [...document.querySelectorAll('button, input')].map(e => e.offsetHeight)")
    assert min(heights) >= 44
    font = await page.get_by_label("Câu hỏi của bạn").evaluate("e => getComputedStyle(e).fontSize")
    assert font == "16px"


def office_site(chat_base: str) -> Starlette:
    """An office's own page on another origin, embedding the chat with one tag."""

    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="vi"><head><title>BHXH tỉnh</title>'
            f'<script src="{chat_base}/chat/widget.js" defer></script></head>'
            "<body><main><h1>Trang của cơ quan BHXH</h1></main></body></html>"
        )

    return Starlette(routes=[Route("/", home)])


@pytest_asyncio.fixture(loop_scope="session")
async def office(console: Console) -> AsyncIterator[str]:
    port = free_port()
    async with serving(office_site(console.base_url), "127.0.0.1", port):
        yield f"http://127.0.0.1:{port}/"


async def test_an_office_site_embeds_the_chat_with_the_widget(console: Console, office: str, page: Page) -> None:
    await page.goto(office)
    launcher = page.get_by_role("button", name="Hỏi đáp BHXH")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await launcher.click()
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    frame = page.frame_locator('iframe[title="Hỏi đáp BHXH, BHYT"]')
    await expect(frame.get_by_role("log", name="Cuộc trò chuyện")).to_contain_text("Xin chào")
    await frame.get_by_label("Câu hỏi của bạn").fill(QUESTION)
    await frame.get_by_role("button", name="Gửi", exact=True).click()
    await expect(frame.get_by_text("VNeID").first).to_be_visible()
    await page.get_by_role("button", name="Đóng khung hỏi đáp").click()
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await expect(launcher).to_be_focused()
