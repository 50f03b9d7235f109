"""A loopback Zalo Bot Platform API: the channel's httpx client talks to it as to bot-api.zaloplatforms.com.

    async with FakeZaloBot() as zalo:
        client = ZaloBotClient(zalo.token, zalo.base_url)
        zalo.enqueue(text_event("m1", "chat-7", "xin chào"))   # getUpdates hands it out, one per call
        [reply] = await zalo.wait_for_replies("chat-7", 1)

Every call is POST /bot<token>/<method> with a JSON body, answered {ok, result} or {ok: false, error_code,
description} (../shared/CHANNELS.md §1.1). A wrong token gets 401. getUpdates long-polls: it answers with one event
(not a list) as soon as one is queued, or after `timeout` seconds with HTTP 408 "Request timeout"; there is no
offset, so an event enqueued twice is delivered twice (a duplicate). sendMessage refuses a text over 2,000
characters or an empty one (400) and records what the citizen sees. setWebhook, deleteWebhook and getWebhookInfo
keep the webhook's address and secret (8-256 characters). Faults are injected per method: 401, 408, 429, 5xx for
the next calls (`fail`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from tests.fakes.loopback import LoopbackServer, wait_for_event

TOKEN = "1234567890:zalo-fake-token-never-logged"
MAX_TEXT = 2000


# -- events, as Zalo sends them -----------------------------------------------------------------------


def _message(message_id: str, chat_id: str, chat_type: str = "PRIVATE", **fields: Any) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": 1764900000000,
        "from": {"id": chat_id, "display_name": "Người dân", "is_bot": False},
        "chat": {"id": chat_id, "chat_type": chat_type},
        **fields,
    }


def text_event(message_id: str, chat_id: str, text: str, chat_type: str = "PRIVATE") -> dict[str, Any]:
    return {"event_name": "message.text.received", "message": _message(message_id, chat_id, chat_type, text=text)}


def image_event(message_id: str, chat_id: str) -> dict[str, Any]:
    message = _message(message_id, chat_id, photo="https://example.invalid/a.jpg", caption="ảnh")
    return {"event_name": "message.image.received", "message": message}


def sticker_event(message_id: str, chat_id: str) -> dict[str, Any]:
    return {"event_name": "message.sticker.received", "message": _message(message_id, chat_id, sticker="st-1")}


def unsupported_event(message_id: str, chat_id: str) -> dict[str, Any]:
    return {"event_name": "message.unsupported.received", "message": _message(message_id, chat_id)}


def wrapped(event: dict[str, Any]) -> dict[str, Any]:
    """The event as getUpdates answers it (and as some webhooks deliver it)."""
    return {"ok": True, "result": event}


# -- what the fake records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    status: int


@dataclass(frozen=True)
class Sent:
    chat_id: str
    text: str
    at: float = field(default_factory=time.perf_counter)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass
class Fault:
    method: str
    status: int
    times: int


class FakeZaloBot(LoopbackServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.outbox: list[Sent] = []
        self.webhook: dict[str, Any] | None = None
        self.polls = 0  # getUpdates calls received so far (counted on arrival)
        self.hand_outs: list[int] = []  # per event handed out, the number of the getUpdates call that did
        self._pending: deque[dict[str, Any]] = deque()
        self._faults: list[Fault] = []

    @property
    def base_url(self) -> str:
        """ZALO_BOT_API_BASE_URL: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what tests do ------------------------------------------------------------------------------

    def enqueue(self, *events: dict[str, Any]) -> None:
        """Queue events for getUpdates; the same event enqueued twice is delivered twice."""
        self._pending.extend(events)
        self._changed()

    def fail(self, method: str, status: int, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `status` (401, 408, 429, 500, 502, …)."""
        self._faults.append(Fault(method, status, times))

    @property
    def queued(self) -> int:
        return len(self._pending)

    def sent(self, chat_id: str) -> list[Sent]:
        return [message for message in self.outbox if message.chat_id == chat_id]

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for_replies(self, chat_id: str, count: int, timeout: float = 5.0) -> list[Sent]:
        return await self.wait_until(
            lambda: len(self.sent(chat_id)) >= count and self.sent(chat_id), timeout, f"{count} replies in {chat_id}"
        )

    def requests_seen(self) -> list[str]:
        return [call.method for call in self.calls]

    # -- HTTP ---------------------------------------------------------------------------------------

    async def _serve_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.rstrip("\r\n").split("\r\n")
        verb, path, _ = request_line.split(" ", 2)
        headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        params = json.loads(body) if body else {}
        status, payload = await self._answer(verb, path, params if isinstance(params, dict) else {})
        content = json.dumps(payload, ensure_ascii=False).encode()
        writer.write(
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\nConnection: keep-alive\r\n\r\n".encode()
            + content
        )
        await writer.drain()
        return True

    @staticmethod
    def _error(status: int, description: str = "") -> tuple[int, dict[str, Any]]:
        return status, {"ok": False, "error_code": status, "description": description or HTTPStatus(status).phrase}

    async def _answer(self, verb: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prefix, _, method = path.rpartition("/")
        if verb != "POST":
            return self._error(405)
        if prefix != f"/bot{self.token}":
            return self._error(401, "Unauthorized")
        fault = next((f for f in self._faults if f.method == method and f.times > 0), None)
        if fault is not None:
            fault.times -= 1
            self._record(method, params, fault.status)
            return self._error(fault.status, "Request timeout" if fault.status == 408 else "")
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            self._record(method, params, 404)
            return self._error(404, "Not Found")
        try:
            result = await handler(params)
        except ValueError as exc:
            self._record(method, params, 400)
            return self._error(400, str(exc))
        if result is None:  # an empty long poll
            self._record(method, params, 408)
            return self._error(408, "Request timeout")
        self._record(method, params, 200)
        return 200, {"ok": True, "result": result}

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        self.calls.append(Call(method, params, status))
        self._changed()

    # -- the methods --------------------------------------------------------------------------------

    async def _api_getme(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"id": "bot-1", "account_name": "bot.bhxh", "account_type": "BASIC", "can_join_groups": False}

    async def _api_getupdates(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if self.webhook is not None:
            raise ValueError("webhook is set: getUpdates is not available")
        self.polls += 1
        number = self.polls
        self._changed()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while True:
            change = self._change
            if self._pending:
                self.hand_outs.append(number)
                return self._pending.popleft()
            if loop.time() >= deadline:
                return None
            await wait_for_event(change, deadline - loop.time())

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, text = params.get("chat_id"), params.get("text")
        if not isinstance(chat_id, str) or not chat_id:
            raise ValueError("chat_id is required")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text is empty")
        if len(text) > MAX_TEXT:
            raise ValueError("text is too long")
        self.outbox.append(Sent(chat_id, text))
        return {"message_id": f"sent-{len(self.outbox)}", "date": int(time.time() * 1000)}

    async def _api_sendchataction(self, _: dict[str, Any]) -> bool:
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url, secret = str(params.get("url", "")), str(params.get("secret_token", ""))
        if not url.startswith("https://"):
            raise ValueError("url must be https")
        if not 8 <= len(secret) <= 256:
            raise ValueError("secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret}
        return {"url": url, "updated_at": int(time.time() * 1000)}

    async def _api_deletewebhook(self, _: dict[str, Any]) -> dict[str, Any]:
        self.webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _api_getwebhookinfo(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook["url"] if self.webhook else "", "updated_at": int(time.time() * 1000)}
