"""The Zalo Bot Platform channel, through the real adapter (client, rendering, events, the exactly-once service
on SQLite and PostgreSQL) against the loopback Zalo Bot API (tests/fakes/zalo_bot_api.py), by webhook (POST
/webhooks/zalo-bot on app.web(), over httpx's ASGI transport) and by long polling (getUpdates).

Zalo has no buttons: they are numbered lines, and a citizen types "1" (or the line's text) to press one. The
conversation script of issue 17 runs in both modes: a question without diacritics, a did-you-mean choice typed
as its number, the voluntary calculator (numbered choices typed as numbers, free answers), a call-back request
with its consent before any personal data, then /xoadulieu.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.channels.zalo_bot import BUSY_TEXT, RetryPolicy, ZaloBotChannel, ZaloBotClient, poll
from bot.channels.zalo_bot import CHANNEL as ZALO_BOT
from bot.channels.zalo_bot.render import render, split_text
from bot.channels.zalo_bot.updates import NotAnEvent, parse, pressed, to_inbound
from bot.core.types import Button, InboundKind, Reply
from bot.storage import leads
from bot.storage.db import SQLITE
from bot.workers.zalo_bot_events import ZaloBotEvents
from tests.apps import app_on
from tests.databases import Store
from tests.factories import PROJECT_ROOT
from tests.fakes.zalo_bot_api import (
    TOKEN,
    FakeZaloBot,
    Sent,
    image_event,
    sticker_event,
    text_event,
    unsupported_event,
    wrapped,
)
from tests.storage_queries import STAFF

SECRET = "zalo-bi-mat-cua-van-phong"
HEADER = "X-Bot-Api-Secret-Token"
CITIZEN = "a1b2c3d4e5"
FAST = RetryPolicy(flood_backoff=0.01, max_flood_wait=0.04, backoff=0.01)
MODES = ["webhook", "polling"]
transport_only = pytest.mark.parametrize("database_kind", [SQLITE], indirect=True)
TOKEN_SECRET = TOKEN.partition(":")[2]


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No traceback, never the token (it is in every URL path), never the citizen's name or phone number."""
    caplog.set_level(logging.DEBUG)
    yield
    records = [r for when in ("setup", "call", "teardown") for r in caplog.get_records(when)]
    assert [r.getMessage() for r in records if r.exc_info or r.exc_text] == []
    for secret in (TOKEN_SECRET, TOKEN, "Lê Thị Mai", "912345678"):
        assert [r.getMessage() for r in records if secret in r.getMessage()] == []


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot() as fake:
        yield fake


class Citizen:
    """One Zalo user talking to the bot, a message at a time, by webhook or through getUpdates."""

    def __init__(
        self, app: App, api: FakeZaloBot, web: httpx.AsyncClient | None, worker: ZaloBotEvents, chat_id: str = CITIZEN
    ) -> None:
        self.app = app
        self.api = api
        self.web = web  # None: the bot polls
        self.worker = worker  # answers what the webhook or the poll stored, as background() runs it
        self.chat_id = chat_id
        self.count = 0
        self.seen = 0

    def next_id(self) -> str:
        self.count += 1
        return f"msg-{self.chat_id}-{self.count}"

    async def deliver(self, *events: dict[str, Any], headers: dict[str, str] | None = None) -> list[int]:
        """The events delivered in turn (by webhook, the statuses answered once each is stored), then the stored
        events answered by the worker."""
        if self.web is not None:
            sent = {HEADER: SECRET} if headers is None else headers
            statuses = [(await self.web.post("/webhooks/zalo-bot", json=e, headers=sent)).status_code for e in events]
            await self.worker.drain()
            return statuses
        before = len(self.api.hand_outs)
        self.api.enqueue(*events)
        last = before + len(events) - 1
        await self.api.wait_until(
            lambda: len(self.api.hand_outs) > last and self.api.polls > self.api.hand_outs[last], 10.0, "stored"
        )
        await self.worker.drain()
        return [200] * len(events)

    async def send(self, *events: dict[str, Any]) -> list[Sent]:
        await self.deliver(*events)
        new = self.api.sent(self.chat_id)[self.seen :]
        self.seen += len(new)
        return new

    async def say(self, text: str) -> str:
        """What the bot answered, its messages joined."""
        return "\n\n".join(message.text for message in await self.send(text_event(self.next_id(), self.chat_id, text)))


def line_number(answer: str, label: str) -> str:
    """The number in front of the line "N. label"."""
    found = [line.partition(". ")[0] for line in answer.splitlines() if line.partition(". ")[2] == label]
    assert found, f"no line {label!r} in {answer!r}"
    return found[-1]


@asynccontextmanager
async def zalo_bot(store: Store, api: FakeZaloBot, mode: str, **settings: object) -> AsyncIterator[Citizen]:
    """The bot as `python -m bot run` builds it with ZALO_BOT_TOKEN, on the fake API, by webhook or polling."""
    app = app_on(store, zalo_bot_webhook_secret=SECRET, **settings)
    await app.start()
    client = ZaloBotClient(api.token, api.base_url, policy=FAST)
    channel = app.zalo_bot(client)
    worker = app.zalo_bot_events(client)
    try:
        if mode == "webhook":
            transport = httpx.ASGITransport(app=app.web(zalo_bot_webhook=channel))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
                yield Citizen(app, api, web, worker)
        else:
            async with polling(channel):
                yield Citizen(app, api, None, worker)
    finally:
        await client.close()
        await app.close()


@asynccontextmanager
async def polling(channel: ZaloBotChannel) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(poll(channel, stop, timeout=1, error_backoff=0.01))
    try:
        yield
    finally:
        stop.set()
        await task


# -- the conversation script of issue 17 ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_the_conversation_script_runs_on_zalo(store: Store, api: FakeZaloBot, mode: str) -> None:
    async with zalo_bot(store, api, mode) as citizen:
        answer = await citizen.say("mat the bhyt thi phai lam sao")
        assert "thẻ BHYT" in answer and "<" not in answer
        assert "Menu chính" in answer  # the menu's button, as a numbered line

        offered = await citizen.say("the bhyt")
        assert "Có phải bạn muốn hỏi" in offered
        chosen = await citizen.say(line_number(offered, "Mất thẻ BHYT, dùng VssID, VNeID"))
        assert "VNeID" in chosen and "Xem căn cứ pháp lý" in chosen

        answer = await citizen.say("bhxh tu nguyen dong bao nhieu 1 thang")
        income = await citizen.say(line_number(answer, "Tính cho tôi"))
        assert "mức thu nhập" in income
        group = await citizen.say("3tr")  # a free answer
        months = await citizen.say(line_number(group, "Không thuộc nhóm nào"))
        assert "• 12 tháng" in months  # choices that are numbers: a number typed is the answer itself
        result = await citizen.say("12")
        assert "3.000.000 đồng" in result and "7.128.000 đồng" in result

        consent = await citizen.say(line_number(result, "Hỏi cán bộ tư vấn"))
        assert "91/2025/QH15" in consent and "180 ngày" in consent
        name = await citizen.say(line_number(consent, "Đồng ý"))
        assert "họ tên" in name
        phone = await citizen.say("Lê Thị Mai")
        assert "Số điện thoại" in phone and "Gửi số điện thoại của tôi" not in phone
        area = await citizen.say("0912345678")
        assert "xã, phường" in area
        interest = await citizen.say("x tien yen")
        when = await citizen.say(line_number(interest, "BHXH tự nguyện"))
        done = await citizen.say("bất kỳ lúc nào")  # the line's text presses it too
        assert "0912 345 678" in done and "/xoadulieu" in done

        transcript = [message.text for message in api.sent(CITIZEN)]
        consent_at = next(i for i, text in enumerate(transcript) if "91/2025/QH15" in text)
        assert not any("Lê Thị Mai" in text or "0912 345 678" in text for text in transcript[:consent_at])
        async with citizen.app.database.transaction() as connection:
            (lead,) = await leads.open_leads(connection, STAFF)
        assert lead.name == "Lê Thị Mai" and lead.session_key == f"zalo_bot:{CITIZEN}"

        erased = await citizen.say("/xoadulieu")
        assert "Mình đã xóa" in erased
        async with citizen.app.database.transaction() as connection:
            assert await leads.open_leads(connection, STAFF) == []
    assert all(len(message.text) <= 2000 for message in api.outbox)
    assert when


# -- rendering and reading ----------------------------------------------------------------------------


def test_buttons_are_numbered_lines_under_the_text() -> None:
    reply = Reply("Bạn hỏi về:", (Button("BHXH tự nguyện", "s:tn"), Button("Menu chính", "m")))
    assert render(reply) == ["Bạn hỏi về:\n\n1. BHXH tự nguyện\n2. Menu chính"]


def test_a_number_or_the_lines_text_presses_that_button() -> None:
    buttons = (Button("BHXH tự nguyện", "s:tn"), Button("« Quay lại", "m"))
    assert pressed("1", buttons) == buttons[0]
    assert pressed(" 02 ", buttons) == buttons[1]
    assert pressed("quay lại", buttons) == buttons[1]
    assert pressed("3", buttons) is None and pressed("0", buttons) is None and pressed("bhxh", buttons) is None


def test_at_a_question_whose_choices_are_numbers_a_typed_number_is_the_answer() -> None:
    question = (
        Button("1 người", "f:household:members:1"),
        Button("2 người", "f:household:members:2"),
        Button("« Quay lại", "f:household:members:back"),
        Button("Hủy", "f:household:members:cancel"),
    )
    assert render(Reply("Mấy người?", question)) == ["Mấy người?\n\n• 1 người\n• 2 người\n• « Quay lại\n• Hủy"]
    assert pressed("2", question) == question[1]
    assert pressed("3", question) is None  # three people, not "Quay lại"
    assert pressed("hủy", question) == question[3]


def test_a_text_over_2000_characters_is_cut_at_paragraphs_then_lines() -> None:
    paragraphs = ["Đoạn một. " * 90, "Đoạn hai. " * 90, "Đoạn ba. " * 90]
    parts = split_text("\n\n".join(paragraphs))
    assert [len(part) <= 2000 for part in parts] == [True, True]
    assert parts[0] == "\n\n".join(paragraphs[:2]).strip() and parts[1] == paragraphs[2].strip()
    lines = split_text("\n".join(["một dòng khá dài " * 10] * 30))
    assert all(len(part) <= 2000 for part in lines) and all(not p.startswith(" ") for p in lines)
    assert [len(part) for part in split_text("x" * 4500)] == [2000, 2000, 500]


def test_a_reply_that_only_speaks_of_telegrams_contact_button_is_not_shown() -> None:
    assert render(Reply("Bấm nút bên dưới để gửi số", contact_request="Gửi số điện thoại của tôi")) == []


def test_an_event_is_read_bare_or_wrapped() -> None:
    event = text_event("m-1", "c-1", "xin chào")
    assert parse(event) == parse(wrapped(event))
    assert to_inbound(parse(event)).text == "xin chào"
    assert to_inbound(parse(image_event("m-2", "c-1"))).kind is InboundKind.UNSUPPORTED
    with pytest.raises(NotAnEvent):
        parse({"ok": True, "result": {"message": {}}})


# -- by webhook ---------------------------------------------------------------------------------------


@transport_only
@pytest.mark.parametrize("headers", [{}, {HEADER: "sai-bi-mat-roi"}, {HEADER: SECRET + "x"}])
async def test_a_webhook_without_the_right_secret_is_refused_and_nothing_processed(
    store: Store, api: FakeZaloBot, headers: dict[str, str]
) -> None:
    async with zalo_bot(store, api, "webhook") as citizen:
        [status] = await citizen.deliver(text_event("m-1", CITIZEN, "mat the bhyt"), headers=headers)
        assert status == 401
        assert api.outbox == []
        [status] = await citizen.deliver(text_event("m-1", CITIZEN, "mat the bhyt"))
        assert status == 200 and len(api.sent(CITIZEN)) == 1  # the same message later, with the secret: answered


@pytest.mark.parametrize("mode", MODES)
async def test_a_duplicate_event_is_answered_once(store: Store, api: FakeZaloBot, mode: str) -> None:
    async with zalo_bot(store, api, mode) as citizen:
        event = text_event("dup-1", CITIZEN, "mat the bhyt thi phai lam sao")
        assert await citizen.deliver(event, event) == [200, 200]
        assert len(api.sent(CITIZEN)) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_a_reply_survives_the_process_ending_between_the_answer_and_its_sending(
    store: Store, api: FakeZaloBot, mode: str
) -> None:
    async with zalo_bot(store, api, mode) as citizen:
        api.fail("sendMessage", 500, times=FAST.attempts)  # the process "dies": its send never reaches Zalo
        await citizen.deliver(text_event("m-1", CITIZEN, "mat the bhyt thi phai lam sao"))
        assert api.sent(CITIZEN) == []
        later = citizen.app.clock() + timedelta(minutes=5)  # another instance, once the event's turn comes again
        restarted = ZaloBotEvents(
            citizen.app.database,
            citizen.app.service(ZALO_BOT),
            citizen.app.zalo_bot(citizen.worker.bot.client),
            clock=lambda: later,
        )
        assert await restarted.drain() == 1
        assert await restarted.drain() == 0
        [reply] = api.sent(CITIZEN)
        assert "thẻ BHYT" in reply.text  # the answer the service committed, sent once
        await citizen.deliver(text_event("m-1", CITIZEN, "mat the bhyt thi phai lam sao"))
        assert len(api.sent(CITIZEN)) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_a_message_delivered_again_after_its_answer_is_not_answered_twice(
    store: Store, api: FakeZaloBot, mode: str
) -> None:
    async with zalo_bot(store, api, mode) as citizen:
        event = text_event("again-1", CITIZEN, "mat the bhyt thi phai lam sao")
        assert await citizen.deliver(event) == [200]
        assert len(api.sent(CITIZEN)) == 1
        assert await citizen.deliver(event) == [200]
        assert await citizen.deliver(wrapped(event)) == [200]
        assert len(api.sent(CITIZEN)) == 1


@transport_only
async def test_two_messages_of_one_chat_are_answered_in_the_order_they_came(store: Store, api: FakeZaloBot) -> None:
    async with zalo_bot(store, api, "webhook") as citizen:
        first = await citizen.say("/menu")
        choice = line_number(first, "BHXH tự nguyện")  # typed in the second message: needs the first's lines
        api.fail("sendMessage", 500, times=FAST.attempts)  # the next answer waits: the chat's later events too
        statuses = await citizen.deliver(text_event("o-1", CITIZEN, "/menu"), text_event("o-2", CITIZEN, choice))
        assert statuses == [200, 200] and api.sent(CITIZEN)[citizen.seen :] == []
        later = citizen.app.clock() + timedelta(minutes=5)
        worker = ZaloBotEvents(
            citizen.app.database,
            citizen.app.service(ZALO_BOT),
            citizen.app.zalo_bot(citizen.worker.bot.client),
            clock=lambda: later,
        )
        assert await worker.drain() == 2
        menu, pressed_line = [message.text for message in api.sent(CITIZEN)[citizen.seen :]]
        assert line_number(menu, "BHXH tự nguyện") == choice
        assert pressed_line.startswith("Các câu hỏi về BHXH tự nguyện")  # the second read with the first's lines


@transport_only
async def test_both_event_shapes_are_answered_by_webhook(store: Store, api: FakeZaloBot) -> None:
    async with zalo_bot(store, api, "webhook") as citizen:
        statuses = await citizen.deliver(
            text_event("m-1", CITIZEN, "mat the bhyt"), wrapped(text_event("m-2", CITIZEN, "/menu"))
        )
        assert statuses == [200, 200] and len(api.sent(CITIZEN)) == 2
        [status] = await citizen.deliver({"event_name": "message.text.received"})
        assert status == 400 and len(api.sent(CITIZEN)) == 2


# -- by polling ---------------------------------------------------------------------------------------


@transport_only
async def test_polling_reads_events_after_empty_polls_and_errors(store: Store, api: FakeZaloBot) -> None:
    api.fail("getUpdates", 500)
    api.fail("getUpdates", 408, times=2)
    async with zalo_bot(store, api, "polling") as citizen:
        answer = await citizen.say("mat the bhyt thi phai lam sao")
    assert "thẻ BHYT" in answer
    assert [call.status for call in api.calls_of("getUpdates")][:3] == [500, 408, 408]


@pytest.mark.parametrize("kind", [image_event, sticker_event, unsupported_event])
@transport_only
async def test_a_picture_a_sticker_or_anything_but_text_gets_the_polite_reply(
    store: Store, api: FakeZaloBot, kind: Any
) -> None:
    async with zalo_bot(store, api, "polling") as citizen:
        [reply] = await citizen.send(kind("m-1", CITIZEN))
    assert "Mình chỉ đọc được tin nhắn chữ" in reply.text and "1. " in reply.text


# -- sending ------------------------------------------------------------------------------------------


@transport_only
async def test_a_429_is_waited_out_and_the_reply_then_sent(store: Store, api: FakeZaloBot) -> None:
    api.fail("sendMessage", 429, times=3)
    async with zalo_bot(store, api, "webhook") as citizen:
        answer = await citizen.say("mat the bhyt thi phai lam sao")
    assert "thẻ BHYT" in answer
    assert [call.status for call in api.calls_of("sendMessage")] == [429, 429, 429, 200]


@transport_only
async def test_5xx_answers_are_retried_a_few_times(store: Store, api: FakeZaloBot) -> None:
    api.fail("sendMessage", 502, times=2)
    async with zalo_bot(store, api, "webhook") as citizen:
        assert "thẻ BHYT" in await citizen.say("mat the bhyt thi phai lam sao")
        api.fail("sendMessage", 500, times=10)
        assert await citizen.say("/menu") == ""  # given up after a few tries (logged), not forever
    assert len(api.calls_of("sendMessage")) == 3 + FAST.attempts


@transport_only
async def test_a_warning_is_logged_at_80_percent_of_the_monthly_quota(
    store: Store, api: FakeZaloBot, caplog: pytest.LogCaptureFixture
) -> None:
    async with zalo_bot(store, api, "webhook", zalo_bot_monthly_quota=5) as citizen:
        for number in range(5):
            await citizen.say(f"/menu {number}" if number else "/menu")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "quota" in r.getMessage()]
    assert len(warnings) == 2 and "80%" in warnings[0] and "100%" in warnings[1]


async def test_the_app_reads_the_zalo_settings(store: Store) -> None:
    app: App = app_on(store, zalo_bot_webhook_secret=SECRET)
    assert app.settings.zalo_bot_api_base_url == "https://bot-api.zaloplatforms.com/bot"
    assert app.settings.zalo_bot_monthly_quota == 3000
    assert BUSY_TEXT


@transport_only
async def test_a_token_zalo_refuses_is_logged_without_the_token(store: Store, api: FakeZaloBot) -> None:
    async with ZaloBotClient("999:a-token-zalo-does-not-know", api.base_url, policy=FAST) as client:
        assert await client.send_message(CITIZEN, "xin chào") is False
    assert [call.status for call in api.calls] == []  # refused before any method ran (401)


# -- python -m bot run ---------------------------------------------------------------------------------


async def test_run_with_only_a_zalo_token_polls_and_answers(tmp_path: Path, api: FakeZaloBot) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("TELEGRAM_", "ZALO_", "WEB_", "MATCH_"))}
    env |= {
        "ZALO_BOT_TOKEN": api.token,
        "ZALO_BOT_API_BASE_URL": api.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "WEB_PORT": "0",
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=PROJECT_ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        api.enqueue(text_event("m-1", CITIZEN, "mat the bhyt thi phai lam sao"))
        [reply] = await api.wait_for_replies(CITIZEN, 1, timeout=60)
        assert "thẻ BHYT" in reply.text
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert "long polling started" in log and TOKEN_SECRET not in log and "Traceback" not in log
