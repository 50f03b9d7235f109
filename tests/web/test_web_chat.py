"""The web chat over HTTP (bot/web/chat.py over bot/channels/web_chat.py), on SQLite and PostgreSQL: the bot's
App with its real service and knowledge, a browser's requests as httpx sends them (ASGI in process; the event
stream over a real socket, served by uvicorn)."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.core.leads.consent import ConsentChannel
from bot.core.types import Reply
from bot.storage import leads
from bot.storage.tables import interactions, processed_updates
from bot.web import chat
from bot.web.server import serving
from tests.apps import app_on
from tests.databases import Store
from tests.storage_queries import STAFF

Replies = list[dict[str, Any]]


@pytest.fixture
async def app(store: Store) -> AsyncIterator[App]:
    started = app_on(store)
    await started.start()
    yield started
    await started.close()


def client_of(app: App, base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web()), base_url=base_url)


class Browser:
    """One browser tab: numbered messages, the replies last shown (to press their buttons)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.count = 0
        self.shown: Replies = []

    async def open(self) -> Replies:
        """The page opened: the greeting and its menu, as /chat/history gives them."""
        self.shown = (await self.client.get("/chat/history")).json()["turns"][0]["replies"]
        return self.shown

    async def post(self, **body: str) -> httpx.Response:
        self.count += 1
        return await self.client.post("/chat/messages", json={"client_msg_id": f"m-{self.count}", **body})

    async def say(self, text: str) -> Replies:
        return await self._replies(await self.post(text=text))

    async def press(self, label: str) -> Replies:
        found = [button["press"] for reply in self.shown for button in reply["buttons"] if button["text"] == label]
        assert found, f"no button {label!r} in {[[b['text'] for b in r['buttons']] for r in self.shown]}"
        return await self._replies(await self.post(press=found[0]))

    async def _replies(self, response: httpx.Response) -> Replies:
        assert response.status_code == 200, response.text
        self.shown = response.json()["replies"]
        return self.shown


def labels(replies: Replies) -> list[str]:
    return [button["text"] for reply in replies for button in reply["buttons"]]


def text_of(replies: Replies) -> str:
    return "\n".join(reply["text"] for reply in replies)


async def logged_questions(app: App) -> int:
    async with app.database.transaction() as connection:
        count = await connection.scalar(select(func.count()).select_from(interactions))
    return int(count or 0)


# -- the conversation script --------------------------------------------------------------------------------


async def test_a_question_without_diacritics_is_answered_as_plain_text_with_its_line_breaks(app: App) -> None:
    async with client_of(app) as client:
        replies = await Browser(client).say("mat the bhyt thi phai lam sao")
    [answer] = replies
    assert "thẻ BHYT" in answer["text"] and "\n" in answer["text"]
    assert "<" not in answer["text"]
    assert "Menu chính" in labels(replies)


async def test_a_did_you_mean_choice_pressed_gets_that_answer(app: App) -> None:
    async with client_of(app) as client:
        browser = Browser(client)
        offered = await browser.say("the bhyt")
        assert "Có phải bạn muốn hỏi" in text_of(offered)
        assert "Mất thẻ BHYT, dùng VssID, VNeID" in labels(offered)
        answer = await browser.press("Mất thẻ BHYT, dùng VssID, VNeID")
    assert "VNeID" in text_of(answer) and "Xem căn cứ pháp lý" in labels(answer)


async def test_the_same_message_twice_gets_one_answer_given_twice_and_is_logged_once(app: App) -> None:
    async with client_of(app) as client:
        message = {"client_msg_id": "lan-gui-1", "text": "mat the bhyt thi phai lam sao"}
        first = await client.post("/chat/messages", json=message)
        again = await client.post("/chat/messages", json=message)
    assert first.status_code == again.status_code == 200
    assert first.json()["replies"] and again.json() == first.json()
    assert await logged_questions(app) == 1


async def test_the_same_message_id_in_another_conversation_is_another_message(app: App) -> None:
    message = {"client_msg_id": "1", "text": "mat the bhyt thi phai lam sao"}
    async with client_of(app) as one, client_of(app) as other:
        assert (await one.post("/chat/messages", json=message)).json()["replies"]
        assert (await other.post("/chat/messages", json=message)).json()["replies"]
    assert await logged_questions(app) == 2


async def test_the_voluntary_calculator_is_started_and_answered(app: App) -> None:
    async with client_of(app) as client:
        browser = Browser(client)
        await browser.say("bhxh tu nguyen dong bao nhieu 1 thang")
        income = await browser.press("Tính cho tôi")
        assert "mức thu nhập" in text_of(income)
        await browser.say("3tr")
        await browser.press("Không thuộc nhóm nào")
        result = await browser.press("12 tháng")
    assert "3.000.000 đồng" in text_of(result) and "7.128.000 đồng" in text_of(result)
    assert "Hỏi cán bộ tư vấn" in labels(result)


async def test_a_call_back_request_asks_consent_before_any_personal_data_and_is_stored(app: App) -> None:
    async with client_of(app) as client:
        browser = Browser(client)
        await browser.open()
        consent = await browser.press("Gặp cán bộ tư vấn")
        assert "91/2025/QH15" in text_of(consent) and "họ tên, số điện thoại" in text_of(consent)
        assert labels(consent)[:2] == ["Đồng ý", "Không, cảm ơn"]
        assert "họ tên" in text_of(await browser.press("Đồng ý"))
        phone = await browser.say("Lê Thị Mai")
        assert "Số điện thoại" in text_of(phone)
        assert "Gửi số điện thoại của tôi" not in text_of(phone)  # the web has no such button: no hint about it
        assert "xã, phường" in text_of(await browser.say("0912345678"))
        await browser.say("x tien yen")
        await browser.press("BHXH tự nguyện")
        done = await browser.press("Bất kỳ lúc nào")
    assert "0912 345 678" in text_of(done) and "/xoadulieu" in text_of(done)
    async with app.database.transaction() as connection:
        (lead,) = await leads.open_leads(connection, STAFF)
    assert lead.name == "Lê Thị Mai" and lead.consent_channel is ConsentChannel.WEB


async def test_xoadulieu_typed_erases_the_call_back_request_and_the_kept_conversation(app: App) -> None:
    async with client_of(app) as client:
        browser = Browser(client)
        await browser.open()
        await browser.press("Gặp cán bộ tư vấn")
        await browser.press("Đồng ý")
        await browser.say("Lê Thị Mai")
        await browser.say("0912345678")
        await browser.say("x tien yen")
        await browser.press("BHXH tự nguyện")
        await browser.press("Bất kỳ lúc nào")
        erased = await browser.say("/xoadulieu")
        assert "Mình đã xóa" in text_of(erased)
        history = (await client.get("/chat/history")).json()["turns"]
    async with app.database.transaction() as connection:
        assert await leads.open_leads(connection, STAFF) == []
    kept = json.dumps(history, ensure_ascii=False)
    assert "Lê Thị Mai" not in kept and "0912 345 678" not in kept and "/xoadulieu" in kept


# -- the page, history, new conversations --------------------------------------------------------------------


async def test_history_shows_the_greeting_then_the_conversation_after_a_reload(app: App) -> None:
    async with client_of(app) as client:
        first = (await client.get("/chat/history")).json()
        assert first["session"] is False and len(first["turns"]) == 1
        assert "Xin chào" in first["turns"][0]["replies"][0]["text"]
        await Browser(client).say("mat the bhyt thi phai lam sao")
        again = (await client.get("/chat/history")).json()
    assert again["session"] is True
    assert [turn["said"] for turn in again["turns"]] == ["", "mat the bhyt thi phai lam sao"]
    assert "VNeID" in again["turns"][1]["replies"][0]["text"]


async def test_a_pressed_buttons_label_is_shown_again_after_a_reload(app: App) -> None:
    async with client_of(app) as client:
        browser = Browser(client)
        await browser.open()
        await browser.client.post(
            "/chat/messages", json={"client_msg_id": "p", "press": "s:tn", "label": "BHXH tự nguyện"}
        )
        history = (await client.get("/chat/history")).json()["turns"]
    assert [turn["said"] for turn in history] == ["", "BHXH tự nguyện"]


async def test_a_new_conversation_gets_a_new_session_and_starts_from_the_greeting(app: App) -> None:
    async with client_of(app) as client:
        await Browser(client).say("mat the bhyt thi phai lam sao")
        old = client.cookies["bhxh_chat"]
        started = await client.post("/chat/new", json={})
        assert started.status_code == 200 and client.cookies["bhxh_chat"] != old
        assert len(started.json()["turns"]) == 1
        assert len((await client.get("/chat/history")).json()["turns"]) == 1


async def test_the_chat_page_may_be_framed_by_any_site_and_the_console_by_none(app: App) -> None:
    async with client_of(app) as client:
        page = await client.get("/chat")
        login = await client.get("/admin/login")
        script = await client.get("/chat/static/chat.js")
        widget = await client.get("/chat/widget.js")
    assert page.status_code == 200 and 'role="log"' in page.text and 'aria-live="polite"' in page.text
    assert "Cuộc trò chuyện mới" in page.text and "<script>" not in page.text
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self': no inline script
    assert "x-frame-options" not in page.headers
    assert login.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    assert script.status_code == 200 and "frame-ancestors *" in script.headers["content-security-policy"]
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("text/javascript")
    assert "/chat" in widget.text


# -- cookies, limits, requests from elsewhere ---------------------------------------------------------------


async def test_the_session_cookie_is_http_only_and_lax_over_plain_http(app: App) -> None:
    async with client_of(app) as client:
        response = await Browser(client).post(text="xin chao")
    cookie = response.headers["set-cookie"].lower()
    assert "bhxh_chat=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "path=/chat" in cookie
    assert "secure" not in cookie


async def test_the_chat_page_opens_the_session_so_a_first_message_sent_again_is_answered_once(app: App) -> None:
    async with client_of(app) as client:
        page = await client.get("/chat")
        session = client.cookies["bhxh_chat"]
        first = await client.post("/chat/messages", json={"client_msg_id": "m1", "text": "mat the bhyt"})
        again = await client.post("/chat/messages", json={"client_msg_id": "m1", "text": "mat the bhyt"})
        reload = await client.get("/chat")
    assert "bhxh_chat=" in page.headers["set-cookie"]
    assert "set-cookie" not in first.headers and client.cookies["bhxh_chat"] == session
    assert first.json() == again.json() and first.json()["replies"]
    assert "set-cookie" not in reload.headers  # a reload keeps the conversation
    async with app.database.transaction() as connection:
        handled = await connection.scalar(
            select(func.count()).select_from(processed_updates).where(processed_updates.c.channel == "web")
        )
    assert handled == 1


async def test_the_session_cookie_is_secure_same_site_none_and_partitioned_over_https(app: App) -> None:
    async with client_of(app, "https://testserver") as client:
        response = await Browser(client).post(text="xin chao")
        again = await Browser(client).post(text="cam on")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=none" in cookie and "partitioned" in cookie
    assert "set-cookie" not in again.headers  # made once, with the first message


async def test_over_twenty_messages_a_minute_in_one_session_get_429_in_vietnamese(app: App) -> None:
    async with client_of(app) as client:
        browser = Browser(client)
        statuses = [(await browser.post(text="")).status_code for _ in range(chat.PER_SESSION_A_MINUTE)]
        refused = await browser.post(text="")
    assert statuses == [200] * chat.PER_SESSION_A_MINUTE
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert refused.json()["error"] == chat.TOO_FAST


async def test_one_address_is_limited_across_sessions(app: App) -> None:
    async with client_of(app) as client:
        for number in range(chat.PER_ADDRESS_A_MINUTE):
            client.cookies.clear()
            assert (await client.post("/chat/messages", json={"client_msg_id": f"{number}", "text": ""})).is_success
        client.cookies.clear()
        refused = await client.post("/chat/messages", json={"client_msg_id": "x", "text": ""})
    assert refused.status_code == 429


async def test_a_long_text_gets_a_polite_answer_and_a_huge_body_413(app: App) -> None:
    async with client_of(app) as client:
        long = await Browser(client).say("bảo hiểm " * 300)
        huge = await client.post("/chat/messages", json={"client_msg_id": "big", "text": "a" * 20_000})
    assert "Tin nhắn dài quá (tối đa 2.000 ký tự)" in text_of(long)
    assert huge.status_code == 413
    assert await logged_questions(app) == 0


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (
            {"origin": "https://evil.example", "content-type": "application/json"},
            '{"client_msg_id": "1", "text": "hi"}',
        ),
        ({"content-type": "application/x-www-form-urlencoded"}, "client_msg_id=1&text=hi"),
        ({"content-type": "text/plain"}, '{"client_msg_id": "1", "text": "hi"}'),
    ],
)
async def test_a_message_not_sent_by_the_chat_page_is_refused(app: App, headers: dict[str, str], body: str) -> None:
    async with client_of(app) as client:
        response = await client.post("/chat/messages", content=body, headers=headers)
        new = await client.post("/chat/new", content="{}", headers=headers)
    assert response.status_code == new.status_code == 403
    assert await logged_questions(app) == 0


@pytest.mark.parametrize(
    "body",
    ['{"text": "hi"}', '{"client_msg_id": "1"}', '{"client_msg_id": "1", "text": "a", "press": "m"}', "[1]", "x"],
)
async def test_a_malformed_message_gets_400(app: App, body: str) -> None:
    async with client_of(app) as client:
        response = await client.post("/chat/messages", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]


# -- later messages -----------------------------------------------------------------------------------------


async def test_the_event_stream_delivers_a_queued_message(app: App) -> None:
    port = _free_port()
    async with serving(app.web(), "127.0.0.1", port), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await Browser(client).say("mat the bhyt thi phai lam sao")
        chat_key = f"web:{client.cookies['bhxh_chat']}"
        await chat.send_later(app.database, chat_key, Reply("Cán bộ đã xem câu hỏi của bạn."), app.clock)
        async with client.stream("GET", "/chat/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            data = await _first_data(stream)
        assert data == {"text": "Cán bộ đã xem câu hỏi của bạn.", "buttons": []}
        history = (await client.get("/chat/history")).json()["turns"]
    assert history[-1]["replies"] == [data]


async def test_the_event_stream_without_a_session_tells_the_browser_to_stop(app: App) -> None:
    async with client_of(app) as client:
        response = await client.get("/chat/events")
    assert response.status_code == 204


async def _first_data(stream: httpx.Response) -> Any:
    async for line in stream.aiter_lines():
        if line.startswith("data: "):
            return json.loads(line.removeprefix("data: "))
    raise AssertionError("the stream ended without a message")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
