"""From the office console to a citizen's chat (issue 16, "Tests and evidence"): what staff do in a real browser
reaches the bot at once. The bot runs as in production, the real Application polling the loopback Bot API
(tests/fakes) with the real Service of the same App, on the same database, as the console being clicked.

1. An editor changes an answer, sees it in the preview and submits it; an approver reads the diff and the
   regression report and publishes; a citizen's question is then answered with the new text.
2. Citizens ask what the bot cannot answer; the editor adds the question from the unanswered inbox as a phrasing
   of an entry; an approver publishes; the same question is then answered from that entry.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Page, expect

from bot.app import App
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, running
from bot.core.engine import answer_reply
from bot.core.render import format_figure
from tests.browser.conftest import Console, axe_violations, login
from tests.channels.conversations import Conversation
from tests.channels.logs import clean_logs
from tests.fakes.conftest import ptb_timedelta
from tests.fakes.telegram_api import FakeTelegram

__all__ = ["ptb_timedelta"]  # python-telegram-bot's durations as timedelta (see tests/fakes/conftest.py)

FAST = RetryPolicy(backoff=0.01)
ENTRY = "tn.muc-dong"
CITIZEN_QUESTION = "bhxh tu nguyen dong bao nhieu 1 thang"
NEW_SHORT = "Từ tháng này, mỗi tháng bạn đóng {{tn_ty_le_dong}} mức thu nhập tự chọn, thấp nhất {{tn_dong_toi_thieu}}."
UNANSWERED = "tài xế grab có phải đóng bhxh không"
TARGET = "bb.doi-tuong"
TARGET_TITLE = "Ai phải đóng BHXH bắt buộc"


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """As in the channel tests: no traceback logged, and never the bot's token."""
    with clean_logs(caplog):
        yield


@asynccontextmanager
async def telegram_bot(app: App) -> AsyncIterator[FakeTelegram]:
    """The loopback Bot API with the bot polling it, answering with the console's App (its live knowledge)."""
    async with FakeTelegram() as api:
        application = build_application(api.token, api.base_url, app.service(CHANNEL).handle, policy=FAST)
        async with running(application, poll_timeout=1):
            yield api


def citizen(api: FakeTelegram, chat_id: int) -> Conversation:
    """A citizen's chat whose updates are numbered after those of the chats with smaller ids (the bot answers an
    update id once: each chat here is a new citizen, not a redelivery)."""
    talk = Conversation(api, chat_id)
    talk.update_id = chat_id * 100
    return talk


def figure(app: App, name: str) -> str:
    return format_figure(app.kb.policy.figure(name, app.today()))


async def log_out(page: Page) -> None:
    await page.get_by_role("button", name="Đăng xuất").click()
    await page.wait_for_url(re.compile(r"/admin/login"))


async def publish_the_waiting_draft(page: Page, console: Console, changed: str) -> None:
    """As the approver: open the draft sent for approval, check its diff names `changed`, read the regression
    report (axe on that page), publish it."""
    await login(page, console, console.approver)
    await page.goto(console.url("/admin/drafts"))
    await page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    await expect(page.locator("ul.diff")).to_contain_text(changed)
    counts = page.locator("dl.counts")
    tried = await counts.locator("div", has_text="Câu hỏi đã thử").locator("dd").inner_text()
    worse = await counts.locator("div", has_text="Kém đi").locator("dd").inner_text()
    assert int(tried) > 0 and int(worse) == 0
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Công bố", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Đã công bố bản 2")


async def test_an_answer_edited_and_published_in_the_console_is_what_a_citizen_is_told_on_telegram(
    page: Page, console: Console
) -> None:
    app = console.app
    async with telegram_bot(app) as api:
        [before, *_] = await citizen(api, 501).say(CITIZEN_QUESTION)
        new_text = f"Từ tháng này, mỗi tháng bạn đóng {figure(app, 'tn_ty_le_dong')} mức thu nhập tự chọn"
        assert before.text.startswith("Mỗi tháng bạn đóng") and not before.text.startswith(new_text)

        await login(page, console, console.editor)
        await page.goto(console.url("/admin/knowledge"))
        await page.get_by_label("Tìm mục").fill("mức đóng bhxh tự nguyện")
        await page.get_by_role("link", name="Mức đóng BHXH tự nguyện", exact=True).click()
        await expect(page).to_have_url(console.url(f"/admin/knowledge/entries/{ENTRY}"))
        await page.get_by_label("Trả lời ngắn").fill(NEW_SHORT)
        await expect(page.locator("#preview")).to_contain_text(new_text)
        await page.get_by_role("button", name="Lưu vào bản nháp").click()
        await expect(page.get_by_role("status").first).to_contain_text("Đã lưu vào bản nháp")
        await page.get_by_role("button", name="Gửi duyệt bản nháp").click()
        await expect(page.get_by_text("chờ duyệt", exact=True)).to_be_visible()
        await log_out(page)

        await publish_the_waiting_draft(page, console, f"{ENTRY} › short")

        [after, *_] = await citizen(api, 502).say(CITIZEN_QUESTION)
    minimum = figure(app, "tn_dong_toi_thieu")
    assert after.text.startswith(f"{new_text}, thấp nhất {minimum}.")


async def test_a_question_the_bot_could_not_answer_added_from_the_inbox_is_answered_on_telegram(
    page: Page, console: Console
) -> None:
    app = console.app
    async with telegram_bot(app) as api:
        for chat_id in (601, 602):  # two citizens ask what no entry answers: the real service logs it
            [unanswered, *_] = await citizen(api, chat_id).say(UNANSWERED)
        target = app.kb.entries[TARGET]
        assert unanswered.text != answer_reply(target, app.kb, app.today()).text

        await login(page, console, console.editor)
        await page.get_by_role("link", name="Câu hỏi chưa trả lời").click()
        cluster = page.locator("li.cluster", has=page.get_by_role("heading", name=re.compile("grab")))
        await expect(cluster.locator(".counts")).to_contain_text("2 lần hỏi")
        await expect(cluster).to_contain_text("chưa có câu trả lời: 2")
        await cluster.get_by_text("Đưa vào kiến thức").click()
        question = await cluster.get_by_label("Câu hỏi", exact=True).input_value()
        await cluster.get_by_label("Mục sẽ có thêm cách hỏi này").select_option(label=TARGET_TITLE)
        await cluster.get_by_role("button", name="Thêm làm cách hỏi của mục…").click()

        await expect(page).to_have_url(re.compile(f"/admin/knowledge/entries/{re.escape(TARGET)}"))
        await expect(page.get_by_role("status").first).to_contain_text(f"Đã thêm cách hỏi “{question}”")
        await expect(page.get_by_label("Cách hỏi")).to_contain_text(question)
        await page.get_by_role("link", name=re.compile(r"^Bản nháp #\d+$")).click()
        await expect(page.locator("ul.diff")).to_contain_text(TARGET)
        await page.get_by_role("button", name="Gửi duyệt", exact=True).click()
        await expect(page.get_by_text("chờ duyệt", exact=True)).to_be_visible()
        await log_out(page)

        await publish_the_waiting_draft(page, console, f"{TARGET} › questions")

        [answered, *_] = await citizen(api, 603).say(UNANSWERED)
    kb = app.kb
    assert question in kb.entries[TARGET].questions
    assert answered.text == answer_reply(kb.entries[TARGET], kb, app.today()).text
