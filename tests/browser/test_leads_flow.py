"""The leads board and the unanswered inbox in a real browser: a lead moves through the board as office staff
use it, an unanswered cluster is ignored, and every page of these screens has no serious accessibility fault."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from bot.core.inbox import UNCOVERED
from bot.core.leads.records import CLI
from bot.core.types import LogInteraction
from bot.storage import agents as agent_store
from bot.storage import interactions
from bot.storage import leads as lead_store
from tests.browser.conftest import Console, axe_violations, login
from tests.lead_factories import new_lead


async def a_lead(console: Console) -> int:
    app = console.app
    now = app.clock()
    async with app.database.transaction() as connection:
        await agent_store.add(connection, 4242, "Đại lý Hoa", "qn-tien-yen", now)
        made = await lead_store.create(
            connection, new_lead(), app.lead_context(), now - timedelta(days=3), now - timedelta(days=1), CLI
        )
    return made.lead.id


async def test_a_lead_moves_through_the_board(page: Page, console: Console) -> None:
    lead_id = await a_lead(console)
    await login(page, console, console.approver)

    await page.get_by_role("link", name="Yêu cầu gọi lại").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Yêu cầu gọi lại")
    await expect(page.get_by_text("Quá hạn", exact=True)).to_be_visible()
    assert await axe_violations(page) == []

    await page.get_by_role("link", name=f"#{lead_id}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Yêu cầu #{lead_id}")
    assert await axe_violations(page) == []
    await page.get_by_label("Việc đã làm").select_option(label="Nhận")
    await page.get_by_role("button", name="Lưu").click()
    await expect(page.get_by_role("status")).to_have_text("Đã cập nhật yêu cầu.")
    await page.get_by_label("Việc đã làm").select_option(label="Đã gọi")
    await page.get_by_label("Ghi chú (không bắt buộc khi đổi trạng thái)").fill("Hẹn gọi lại chiều mai")
    await page.get_by_role("button", name="Lưu").click()

    history = page.get_by_role("table")
    await expect(history).to_contain_text("Mới → Đã nhận")
    await expect(history).to_contain_text("Đã nhận → Đã gọi")
    await expect(history).to_contain_text("Hẹn gọi lại chiều mai")
    await page.get_by_role("link", name="← Về bảng yêu cầu").click()
    await expect(page.get_by_role("row", name=f"#{lead_id}")).to_contain_text("Đã gọi")


async def test_the_agents_page_and_the_dashboard_have_no_serious_accessibility_fault(
    page: Page, console: Console
) -> None:
    await a_lead(console)
    await login(page, console, console.admin)
    assert await axe_violations(page) == []  # the dashboard
    await page.goto(console.url("/admin/agents"))
    await expect(page.get_by_role("heading", name="Đại lý thu", exact=True)).to_be_visible()
    assert await axe_violations(page) == []


async def test_an_unanswered_cluster_is_ignored_from_the_inbox(page: Page, console: Console) -> None:
    app = console.app
    async with app.database.transaction() as connection:
        effect = LogInteraction("thuong binh kham bhyt", UNCOVERED, None)
        await interactions.log(connection, "telegram", effect, app.clock() - timedelta(hours=1), "chat-a")
    await login(page, console, console.editor)

    await page.get_by_role("link", name="Câu hỏi chưa trả lời").click()
    await expect(page.get_by_role("heading", name="“thuong binh kham bhyt”")).to_be_visible()
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Bỏ qua").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã bỏ qua")
    await expect(page.get_by_role("heading", name="“thuong binh kham bhyt”")).to_have_count(0)
