"""The lump-sum-versus-pension picture in Telegram (issue 14, item 4): a result with a chart goes out by sendPhoto,
drawn when it is sent, with the text as its caption when that fits (else the photo, then the text). Replies are
durable: the chart's data, not the PNG, is stored in the outbox, so a reply the outbox worker sends later is
drawn then. End to end through python-telegram-bot and the loopback Bot API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.app import system_clock
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, running
from bot.channels.telegram.application import telegram_chat_id
from bot.channels.telegram.outbox_sender import telegram_sender
from bot.channels.telegram.render import MAX_CAPTION, render, split_reply
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.notifications import Notification
from bot.core.matcher import Matcher
from bot.core.types import Button, PensionChart, Reply
from bot.shell.live_knowledge import Knowledge
from bot.shell.replies import ReplyLedger, ReplyRouting
from bot.shell.service import Service
from bot.storage.migrations import migrate
from bot.workers.outbox import OutboxPolicy, run_outbox
from tests.databases import Store
from tests.factories import TODAY
from tests.fakes.telegram_api import PNG_SIGNATURE, FakeTelegram
from tests.fakes.telegram_updates import callback_query, text_message

CHAT = 3001
FAST = RetryPolicy(backoff=0.01, max_flood_wait=0.5)
WORKER = OutboxPolicy(backoff=timedelta(seconds=0.05), reply_max_backoff=timedelta(seconds=0.2), poll_seconds=0.05)
HANDED_OVER_RETRY = timedelta(seconds=0.05)  # the ledger's wait before the worker tries a handed-over reply (5 s)
CHART = PensionChart(
    lump_sum=160_000_000,
    ages=(60, 61, 62),
    pension_totals=(0, 43_200_000, 86_400_000),
    crossover_age=None,
    title="Rút một lần hay chờ lương hưu",
    lump_label="Rút một lần: 160 triệu đồng",
    pension_label="Tổng lương hưu nhận được",
    crossover_label="Đến 90 tuổi, tổng lương hưu chưa vượt số tiền rút một lần",
    age_label="Tuổi",
    money_label="Triệu đồng",
)
BUTTONS = (Button("Tính lại", "f:pension"),)


def test_a_short_text_is_the_photos_caption_with_the_buttons_under_it() -> None:
    reply = Reply("Kết quả <ước tính>", BUTTONS, chart=CHART)
    assert split_reply(reply) == [reply]
    [photo] = render(reply)
    assert (photo.chart, photo.html) == (CHART, "Kết quả &lt;ước tính&gt;")
    assert photo.keyboard is not None


def test_a_text_too_long_for_a_caption_follows_the_photo_with_the_buttons_last() -> None:
    reply = Reply("x" * (MAX_CAPTION + 1), BUTTONS, chart=CHART)
    photo, text = split_reply(reply)
    assert photo == Reply("", chart=CHART)
    assert text == Reply("x" * (MAX_CAPTION + 1), BUTTONS)
    shown = render(reply)
    assert [part.chart for part in shown] == [CHART, None]
    assert shown[0].keyboard is None and shown[1].keyboard is not None


def test_a_stored_reply_keeps_its_chart_as_data() -> None:
    note = Notification(CHAT, "Kết quả", BUTTONS, chart=CHART)
    assert Notification.from_payload(CHAT, note.payload()) == note
    assert note.options() == {"chart": CHART}


@asynccontextmanager
async def durable_bot(api: FakeTelegram, store: Store, kb: KnowledgeBase, matcher: Matcher) -> AsyncIterator[None]:
    """One bot process as `python -m bot run` wires it: durable replies, the outbox worker beside it."""
    database = store.open()
    await migrate(database)
    owner, lease = uuid.uuid4().hex, timedelta(seconds=120)
    ledger = ReplyLedger(database, owner, lease, retry_in=HANDED_OVER_RETRY, now=system_clock)
    routing = ReplyRouting(telegram_chat_id, split_reply, owner, lease, ledger)
    service = Service(database, Knowledge(kb, matcher), lambda: TODAY, CHANNEL, now=system_clock, replies=routing)
    application = build_application(api.token, api.base_url, service.handle, policy=FAST, replies=ledger)
    stop = asyncio.Event()
    try:
        async with running(application, poll_timeout=1):
            worker = asyncio.create_task(
                run_outbox(database, telegram_sender(application.bot), stop, system_clock, WORKER)
            )
            try:
                yield
            finally:
                stop.set()
                await worker
    finally:
        await database.dispose()


async def test_a_short_records_lump_sum_result_arrives_with_its_picture_by_send_photo(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with durable_bot(fake_api, store, real_kb, real_matcher):
        fake_api.enqueue(callback_query(1, CHAT, "f:pension"))
        await fake_api.wait_for_replies(CHAT, 1)
        fake_api.enqueue(
            text_message(
                2, CHAT, "tôi là nữ, sinh ngày 1/3/1980, đóng bhxh bắt buộc 10 năm, lương 8 triệu, đã nghỉ việc"
            )
        )
        await fake_api.wait_for_replies(CHAT, 2)
        fake_api.enqueue(text_message(3, CHAT, "0"))  # nothing before 2014
        await fake_api.wait_for_replies(CHAT, 3)
        fake_api.enqueue(text_message(4, CHAT, "12/2025"))  # the last month paid
        [photo] = await fake_api.wait_for_calls("sendPhoto", 1)
        sent = await fake_api.wait_for_replies(CHAT, 5)
    assert photo.status == 200
    picture, text = sent[-2], sent[-1]  # the result is longer than a caption: the photo, then the text
    assert picture.photo is not None and picture.photo.startswith(PNG_SIGNATURE)
    assert "còn thiếu 5 năm đóng để có lương hưu" in text.text
    assert "lương hưu từ 01/04/2040" in text.text  # once the missing years are paid, and only there
    assert "từ tuổi 67, tổng lương hưu" in text.text
    assert text.buttons[0][0] == "Tính lại"


async def test_a_picture_telegram_refused_for_a_while_is_drawn_and_sent_by_the_outbox_worker(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with durable_bot(fake_api, store, real_kb, real_matcher):
        fake_api.enqueue(callback_query(1, CHAT, "f:pension"))
        await fake_api.wait_for_replies(CHAT, 1)
        fake_api.enqueue(
            text_message(2, CHAT, "nam sinh 15/1/1965, đóng bắt buộc từ 2014 được 11 năm, lương 6 triệu, đã nghỉ việc")
        )
        await fake_api.wait_for_replies(CHAT, 2)
        fake_api.enqueue(text_message(3, CHAT, "0"))  # nothing before 2014
        await fake_api.wait_for_replies(CHAT, 3)
        fake_api.fail("sendPhoto", 500, times=FAST.attempts)  # the handler's quick tries all fail
        fake_api.enqueue(text_message(4, CHAT, "12/2024"))  # the last month paid
        sent = await fake_api.wait_for_replies(CHAT, 5, timeout=15)
    photos = fake_api.calls_of("sendPhoto")
    assert [call.status for call in photos] == [500] * FAST.attempts + [200]  # the worker's try, drawn again
    assert sent[3].photo is not None and sent[3].photo.startswith(PNG_SIGNATURE)
    assert "đủ tuổi nghỉ hưu (61 tuổi 6 tháng) ngày 15/07/2026" in sent[4].text
