"""The web chat of the office's website: a full-page chat at /chat, a widget an office site embeds with one tag.

    GET  /chat              the chat page (Vietnamese; its script and styles under /chat/static)
    GET  /chat/widget.js    <script src="https://…/chat/widget.js" defer></script>: a launcher opening /chat in a frame
    GET  /chat/history      {"session": bool, "turns": [{"said": "…", "replies": [reply, …]}, …]}: the greeting, then
                            the conversation of the last day (so a reloaded page shows it again)
    POST /chat/messages     {"client_msg_id": "…", "text": "…"} or {"client_msg_id": "…", "press": "…"}
                            -> {"replies": [{"text": "…", "buttons": [{"text": "…", "press": "…"}]}]}
    POST /chat/new          a new conversation (a new session id; the old one's rows age out as retention says)
    GET  /chat/events       server-sent events: later messages for the session (see `send_later`)

No staff login: the conversation is the random id in the HttpOnly cookie `bhxh_chat` (made with the first
message; SameSite=None; Secure; Partitioned over HTTPS, so it works inside another site's frame; SameSite=Lax
over plain HTTP, where browsers refuse SameSite=None). Changes must come as JSON from this server's own pages
(the Origin header, when sent, names this host): another site cannot post into a citizen's conversation.

Each message is handled once by the web channel's service (bot.shell.service, channel "web"); a retried
request with the same client_msg_id gets the replies stored the first time (bot.storage.web_chat). Limits: the
request body, the text's length (a polite answer), and messages a minute per session and per client address
(429 with a Vietnamese message; counted in this process: each instance behind a load balancer counts its own).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels import web_chat
from bot.core.engine import menu_reply
from bot.core.types import Clock, InboundKind, Outcome, Reply
from bot.shell.transactions import StorageUnavailable
from bot.storage import install_keys
from bot.storage import web_chat as chat_store
from bot.storage.db import Database
from bot.web.auth import client_address, context, secure
from bot.web.bodies import limited_body
from bot.web.pages import render

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "chat_static"
COOKIE = "bhxh_chat"
COOKIE_PATH = "/chat"
MAX_BODY_BYTES = 16 * 1024  # a 2,000-character message escaped as JSON fits several times over
PER_SESSION_A_MINUTE = 20
PER_ADDRESS_A_MINUTE = 120  # an office or a school may share one address
EVENTS_POLL_SECONDS = 1.0
KEEP_ALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0  # then the stream ends and the browser reconnects (EventSource does it by itself)
SAME_MESSAGE_WAIT_SECONDS = 3.0  # a retry racing the first delivery waits this long for its stored replies

TOO_FAST = "Bạn gửi tin nhắn nhanh quá. Vui lòng chờ một phút rồi gửi tiếp."
BUSY = "Hệ thống đang bận. Bạn vui lòng gửi lại sau ít phút."
CLOSED = "Trò chuyện trên trang web đang tạm ngừng. Bạn vui lòng gọi tổng đài 1900 9068."
BAD_REQUEST = "Tin nhắn không hợp lệ. Bạn hãy tải lại trang rồi thử lại."
TOO_BIG = "Tin nhắn quá lớn."
ELSEWHERE = "Yêu cầu không đến từ trang trò chuyện."

PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    # its own scripts and styles only; any site may frame the chat (the widget), unlike the console (DENY)
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors *"
    ),
}
NO_STORE = {"cache-control": "no-store"}


# -- limits ---------------------------------------------------------------------------------------------


@dataclass
class Window:
    """At most `limit` events per key in any `seconds`, counted in this process."""

    limit: int
    seconds: float = 60.0
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, key: str, now: float) -> bool:
        if len(self.seen) > 10_000:  # forget keys quiet for a whole window
            self.seen = {k: times for k, times in self.seen.items() if times and times[-1] > now - self.seconds}
        times = self.seen.setdefault(key, deque())
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True


@dataclass
class ChatState:
    """What this process keeps for the web chat: the installation's key for update ids, the rate windows."""

    sessions: Window = field(default_factory=lambda: Window(PER_SESSION_A_MINUTE))
    addresses: Window = field(default_factory=lambda: Window(PER_ADDRESS_A_MINUTE))
    key: bytes | None = None


def _state(request: Request) -> ChatState:
    found = getattr(request.app.state, "web_chat", None)
    if not isinstance(found, ChatState):
        found = ChatState()
        request.app.state.web_chat = found
    return found


async def _key(request: Request, state: ChatState) -> bytes:
    if state.key is None:
        found = context(request)
        async with found.database.transaction() as connection:
            value = await install_keys.get_or_create(connection, install_keys.WEB_CHAT, found.clock())
        state.key = bytes.fromhex(value)
    return state.key


# -- responses ------------------------------------------------------------------------------------------


def _headers(response: Response, *extra: dict[str, str]) -> Response:
    for headers in (PAGE_HEADERS, *extra):
        for name, value in headers.items():
            response.headers[name] = value
    return response


def _json(data: dict[str, Any], status: int = 200, **headers: str) -> Response:
    return _headers(JSONResponse(data, status), NO_STORE, headers)


def _refusal(text: str, status: int, **headers: str) -> Response:
    return _json({"error": text, "replies": [web_chat.render(Reply(text))]}, status, **headers)


class PageHeaders:
    """The chat's headers on every response of an ASGI app (its static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                added = [(name.encode(), value.encode()) for name, value in PAGE_HEADERS.items()]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, with_headers)


def _session_id(request: Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if web_chat.valid_session_id(value) else None


def _set_session(response: Response, request: Request, session_id: str) -> None:
    """HttpOnly, for /chat only, until the browser closes. Over HTTPS SameSite=None (the chat works in another
    site's frame) with Secure and Partitioned (the frame's cookie belongs to that site's visit only)."""
    if secure(request):  # written out: http.cookies knows Partitioned from Python 3.14 only
        cookie = f"{COOKIE}={session_id}; Path={COOKIE_PATH}; HttpOnly; Secure; SameSite=None; Partitioned"
        response.headers.append("set-cookie", cookie)
    else:
        response.set_cookie(COOKIE, session_id, path=COOKIE_PATH, httponly=True, samesite="lax")


def _new_session_id() -> str:
    return secrets.token_urlsafe(24)


def _from_elsewhere(request: Request) -> bool:
    """A change not sent by this server's own page: an Origin naming another host, or not JSON (a plain form
    from another site, which needs no CORS preflight)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        return True
    return request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json"


def greeting(request: Request) -> Reply:
    """What the page opens with: the greeting and the menu (no message to the service: nothing is stored)."""
    kb = context(request).knowledge.current().kb
    return menu_reply(kb, kb.message("greeting"))


# -- endpoints ------------------------------------------------------------------------------------------


async def page(request: Request) -> Response:
    """The chat page; it opens the conversation's session (the cookie) if there is none yet, so that a first
    message sent again after a lost response belongs to the same session and is answered once."""
    office = context(request).office_name
    response = _headers(render(request, "chat/page.html", office_name=office), NO_STORE)
    if _session_id(request) is None:
        _set_session(response, request, _new_session_id())
    return response


async def widget(request: Request) -> Response:
    response = FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8")
    return _headers(response, {"cache-control": "public, max-age=3600", "cross-origin-resource-policy": "cross-origin"})


async def history(request: Request) -> Response:
    session_id = _session_id(request)
    turns: list[dict[str, Any]] = [{"said": "", "replies": [web_chat.render(greeting(request))]}]
    if session_id is not None:
        found = context(request)
        async with found.database.transaction() as connection:
            kept = await chat_store.history(connection, web_chat.chat_key(session_id), found.clock())
        turns += [{"said": turn.said, "replies": json.loads(turn.replies)} for turn in kept]
    return _json({"session": session_id is not None, "turns": turns})


async def new_conversation(request: Request) -> Response:
    if _from_elsewhere(request):
        return _refusal(ELSEWHERE, 403)
    response = _json({"session": True, "turns": [{"said": "", "replies": [web_chat.render(greeting(request))]}]})
    _set_session(response, request, _new_session_id())
    return response


async def messages(request: Request) -> Response:
    """One message in, the replies out; the time the server took in a Server-Timing header (`handle;dur=ms`)."""
    started = time.perf_counter()
    if _from_elsewhere(request):
        return _refusal(ELSEWHERE, 403)
    body = await limited_body(request, MAX_BODY_BYTES)
    if body is None:
        return _refusal(TOO_BIG, 413)
    try:
        message = web_chat.parse(json.loads(body or b"null"))
    except (ValueError, UnicodeDecodeError):
        return _refusal(BAD_REQUEST, 400)
    session_id = _session_id(request)
    made = session_id is None
    session_id = session_id or _new_session_id()
    state = _state(request)
    now = time.monotonic()
    if not state.addresses.allow(client_address(request), now) or not state.sessions.allow(session_id, now):
        return _refusal(TOO_FAST, 429, **{"retry-after": "60"})
    try:
        replies = await _answer(request, state, session_id, message)
    except StorageUnavailable:
        return _refusal(BUSY, 503, **{"retry-after": "30"})
    response = _json({"replies": replies})
    if made:
        _set_session(response, request, session_id)
    response.headers["server-timing"] = f"handle;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


async def _answer(
    request: Request, state: ChatState, session_id: str, message: web_chat.WebMessage
) -> list[dict[str, Any]]:
    found = context(request)
    refusal = web_chat.polite_refusal(message)
    if refusal is not None:
        return [web_chat.render(refusal)]
    if found.web_chat is None:
        return [web_chat.render(Reply(CLOSED))]
    chat = web_chat.chat_key(session_id)
    inbound = web_chat.to_inbound(session_id, message)
    update = web_chat.update_id(await _key(request, state), session_id, message.client_msg_id)
    replies: list[dict[str, Any]] = []

    async def keep(connection: AsyncConnection, outcome: Outcome) -> None:
        """In the message's transaction: the replies given, for the same message sent again and the history."""
        replies[:] = web_chat.render_all(outcome.replies)  # a retried transaction keeps its own
        if inbound.kind is InboundKind.ERASE:  # what the bot told the chat may repeat a name or a phone number
            await chat_store.forget(connection, chat)
        stored = json.dumps(replies, ensure_ascii=False)
        await chat_store.remember(connection, chat, message.client_msg_id, message.said, stored, found.clock())

    if await found.web_chat.handle(inbound, update, keep=keep) is None:  # handled before: the replies given then
        return await _given_before(found.database, chat, message.client_msg_id)
    return replies


async def _given_before(database: Database, chat: str, client_msg_id: str) -> list[dict[str, Any]]:
    """The replies stored for a message handled before; a retry racing the first delivery waits for them a
    moment (they are stored just after its transaction commits)."""
    waited = 0.0
    while True:
        async with database.transaction() as connection:
            stored = await chat_store.given(connection, chat, client_msg_id)
        if stored is not None:
            replies: list[dict[str, Any]] = json.loads(stored)
            return replies
        if waited >= SAME_MESSAGE_WAIT_SECONDS:
            log.info("web chat: a repeated message whose replies are not kept (answered over a day ago?)")
            return []
        await asyncio.sleep(0.1)
        waited += 0.1


async def events(request: Request) -> Response:
    """Later messages for the session as server-sent events (`id`, `data: {reply}`), a comment every
    KEEP_ALIVE_SECONDS; 204 (the browser stops asking) without a session."""
    session_id = _session_id(request)
    if session_id is None:
        return _headers(Response(status_code=204), NO_STORE)
    last = request.headers.get("last-event-id", "")
    after = int(last) if last.isdecimal() else None
    found = context(request)
    stream = _stream(found.database, found.clock, web_chat.chat_key(session_id), after)
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return _headers(StreamingResponse(stream, media_type="text/event-stream", headers=headers))


async def _stream(database: Database, clock: Clock, chat: str, after: int | None) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    started = quiet_since = loop.time()
    yield "retry: 3000\n\n"
    while loop.time() - started < STREAM_SECONDS:
        async with database.transaction() as connection:
            found = await chat_store.waiting(connection, chat, after)
            await chat_store.delivered(connection, [message.id for message in found], clock())
        for message in found:
            yield f"id: {message.id}\ndata: {message.reply}\n\n"
            after = message.id
        if found:
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= KEEP_ALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = loop.time()
        await asyncio.sleep(EVENTS_POLL_SECONDS)


async def send_later(database: Database, chat: str, reply: Reply, clock: Clock) -> int:
    """Queue a message for a web chat's event stream (`chat` is its session key, "web:…"): an agent's answer, a
    reminder. Nothing calls it yet; its id."""
    async with database.transaction() as connection:
        return await chat_store.queue(connection, chat, json.dumps(web_chat.render(reply), ensure_ascii=False), clock())


routes: list[BaseRoute] = [
    Route("/chat", page, methods=["GET"]),
    Route("/chat/widget.js", widget, methods=["GET"]),
    Route("/chat/history", history, methods=["GET"]),
    Route("/chat/messages", messages, methods=["POST"]),
    Route("/chat/new", new_conversation, methods=["POST"]),
    Route("/chat/events", events, methods=["GET"]),
    Mount("/chat/static", app=PageHeaders(StaticFiles(directory=STATIC)), name="chat-static"),
]
