"""The knowledge editor in a real browser: an editor changes an answer, sees the preview, submits the draft; an
approver reads the diff and the regression report and publishes; the bot answers with the new text at once.
Every screen of the editor is checked with axe."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser.conftest import Console, axe_violations, login

ENTRY = "tn.muc-dong"
NEW_SHORT = "Mỗi tháng bạn đóng {{tn_ty_le_dong}} mức thu nhập tự chọn, thấp nhất {{tn_dong_toi_thieu}}."


async def test_an_answer_is_edited_previewed_submitted_and_published_by_an_approver(
    page: Page, console: Console
) -> None:
    await login(page, console, console.editor)
    await page.goto(console.url("/admin/knowledge"))
    await page.get_by_label("Tìm mục").fill("mức đóng bhxh tự nguyện")
    await page.get_by_role("link", name="Mức đóng BHXH tự nguyện", exact=True).click()
    await expect(page).to_have_url(console.url(f"/admin/knowledge/entries/{ENTRY}"))
    assert await axe_violations(page) == []

    await page.get_by_label("Trả lời ngắn").fill(NEW_SHORT)
    preview = page.locator("#preview")
    await expect(preview).to_contain_text("Mỗi tháng bạn đóng 22% mức thu nhập tự chọn")
    await page.get_by_role("button", name="Lưu vào bản nháp").click()
    await expect(page.get_by_role("status").first).to_contain_text("Đã lưu vào bản nháp")
    await page.get_by_role("button", name="Gửi duyệt bản nháp").click()
    await expect(page.get_by_text("chờ duyệt", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Công bố")).to_have_count(0)  # an editor cannot publish
    await page.get_by_role("button", name="Đăng xuất").click()

    await login(page, console, console.approver)
    await page.goto(console.url("/admin/drafts"))
    await page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    await expect(page.locator("ul.diff")).to_contain_text(f"{ENTRY} › short")
    await expect(page.get_by_text("Câu hỏi đã thử")).to_be_visible()
    assert await axe_violations(page) == []
    await page.get_by_label("Ghi chú khi công bố").fill("câu trả lời gọn hơn")
    await page.get_by_role("button", name="Công bố", exact=True).click()

    await expect(page.get_by_role("status")).to_contain_text("Đã công bố bản 2")
    assert console.app.knowledge.current().kb.entries[ENTRY].short == NEW_SHORT
    assert await axe_violations(page) == []


async def test_a_validation_error_is_shown_beside_its_field(page: Page, console: Console) -> None:
    await login(page, console, console.editor)
    await page.goto(console.url(f"/admin/knowledge/entries/{ENTRY}"))

    await page.get_by_label("Cách hỏi").fill("chỉ một cách hỏi")
    await page.get_by_role("button", name="Lưu vào bản nháp").click()

    await expect(page.locator("#questions-issues")).to_contain_text("cần ít nhất 3 cách hỏi")
    await expect(page.get_by_label("Cách hỏi")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("button", name="Gửi duyệt bản nháp")).to_have_count(0)
    assert await axe_violations(page) == []


async def test_the_editors_other_screens_have_no_serious_accessibility_violations(page: Page, console: Console) -> None:
    await login(page, console, console.approver)
    found = {}
    for path in (
        "/admin/knowledge",
        "/admin/knowledge/new?question=thương binh",
        "/admin/knowledge/figures",
        "/admin/knowledge/lexicon",
        "/admin/drafts",
        "/admin/revisions",
    ):
        response = await page.goto(console.url(path))
        found[path] = (response.status if response else None, await axe_violations(page))
    assert found == {path: (200, []) for path in found}
