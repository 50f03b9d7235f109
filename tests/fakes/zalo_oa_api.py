"""A loopback Zalo OA: OAuth v4 and the consultation message API, as the channel's httpx client sees them, and
webhook events signed as Zalo signs them.

    async with FakeZaloOa() as zalo:
        client = ZaloOaClient(APP_ID, SECRET_KEY, zalo.base_url, zalo.base_url)
        issued = await client.exchange_code(zalo.authorise())     # a code the OA admin's consent would give
        await client.send(issued.access_token, "u-7", Message("Xin chào"))
        [sent] = await zalo.wait_for_messages("u-7", 1)
        body, headers = signed(text_event("u-7", "mat the bhyt", "m-1"))   # what Zalo POSTs to the webhook

POST /v4/oa/access_token (form app_id, code | refresh_token, grant_type; header secret_key): a code works once;
a refresh token works once and is replaced (a second use answers error -118, as Zalo does once the token has
rotated). POST /v3.0/oa/message/cs (header access_token; JSON {recipient: {user_id}, message: {text, attachment}}):
refuses an unknown or expired access token with error -216, a text over 2,000 characters with error -201, and
records what the citizen sees. Faults are injected per call kind ("token", "send"): HTTP 401, 429 or 5xx for the
next calls; sends can be held (`hold_sends`) until `release_sends`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.loopback import LoopbackServer

APP_ID = "3141592653589793238"
SECRET_KEY = "oa-secret-key-never-logged-42"
OA_ID = "2718281828459045235"
MAX_TEXT = 2000
ACCESS_SECONDS = 90000
REFRESH_SECONDS = 7776000


@dataclass(frozen=True)
class Sent:
    user_id: str
    text: str
    buttons: tuple[tuple[str, str], ...]  # (title, payload)
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Fault:
    kind: str  # "token" or "send"
    status: int
    times: int


class FakeZaloOa(LoopbackServer):
    def __init__(self, app_id: str = APP_ID, secret_key: str = SECRET_KEY) -> None:
        super().__init__()
        self.app_id = app_id
        self.secret_key = secret_key
        self._codes: set[str] = set()
        self._access: set[str] = set()
        self._refresh: set[str] = set()
        self.issued: list[tuple[str, str]] = []  # (access, refresh) in the order handed out
        self.refreshes = 0  # refresh calls that succeeded
        self.refused_refreshes = 0
        self.refresh_delay = 0.0
        self.messages: list[Sent] = []
        self.faults: list[Fault] = []
        self.calls: list[str] = []  # "token" / "send", each request received
        self._held = asyncio.Event()
        self._held.set()

    @property
    def base_url(self) -> str:
        """Both ZALO_OA_API_BASE_URL and ZALO_OA_OAUTH_BASE_URL."""
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        self._held.set()  # sends held back by a test go through before the connections end
        await super().close()

    # -- what tests do ---------------------------------------------------------------------------------

    def authorise(self) -> str:
        """A one-time authorisation code, as the OA admin's consent would send to the app's callback."""
        code = secrets.token_urlsafe(16)
        self._codes.add(code)
        return code

    def expire_access(self) -> None:
        """Every access token handed out so far stops working (error -216)."""
        self._access.clear()

    def fail(self, kind: str, status: int, times: int = 1) -> None:
        self.faults.append(Fault(kind, status, times))

    def hold_sends(self) -> None:
        self._held.clear()

    def release_sends(self) -> None:
        self._held.set()

    def sent_to(self, user_id: str) -> list[Sent]:
        return [message for message in self.messages if message.user_id == user_id]

    async def wait_for_messages(self, user_id: str, count: int, timeout: float = 5.0) -> list[Sent]:
        return await self.wait_until(
            lambda: self.sent_to(user_id) if len(self.sent_to(user_id)) >= count else None,
            timeout,
            f"{count} messages to {user_id}",
        )

    def requests_seen(self) -> list[str]:
        return list(self.calls)

    # -- HTTP ------------------------------------------------------------------------------------------

    async def _serve_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        line = await reader.readline()
        if not line:
            return False
        _, path, _ = line.decode().split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        status, answer = await self._answer(path, headers, body)
        payload = json.dumps(answer).encode()
        reason = HTTPStatus(status).phrase
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n".encode()
            + f"content-length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        return True

    def _fault(self, kind: str) -> int | None:
        for fault in self.faults:
            if fault.kind == kind and fault.times > 0:
                fault.times -= 1
                return fault.status
        return None

    async def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        kind = (
            "token"
            if path.startswith("/v4/oa/access_token")
            else "send"
            if path.startswith("/v3.0/oa/message/cs")
            else ""
        )
        self.calls.append(kind or path)
        self._changed()
        if not kind:
            return 404, {"error": 404, "message": "not found"}
        status = self._fault(kind)
        if status is not None:
            return status, {"error": status, "message": "injected"}
        if kind == "token":
            answer = await self._token(headers, dict(parse_qsl(body.decode())))
            self._changed()  # tokens issued or refused: a test may wait for it
            return 200, answer
        return 200, await self._send(headers, json.loads(body))

    def _issue(self) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._access.add(access)
        self._refresh.add(refresh)
        self.issued.append((access, refresh))
        return {"access_token": access, "refresh_token": refresh, "expires_in": str(ACCESS_SECONDS),
                "refresh_token_expires_in": str(REFRESH_SECONDS)}  # fmt: skip

    async def _token(self, headers: dict[str, str], form: dict[str, str]) -> dict[str, Any]:
        if headers.get("secret_key") != self.secret_key or form.get("app_id") != self.app_id:
            return {"error": -14002, "error_name": "Invalid app secret"}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = form.get("code", "")
            if code not in self._codes:
                return {"error": -14019, "error_name": "Invalid authorization code"}
            self._codes.discard(code)
            return self._issue()
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if self.refresh_delay:
                await asyncio.sleep(self.refresh_delay)
            if token not in self._refresh:
                self.refused_refreshes += 1
                return {"error": -118, "error_name": "Invalid refresh token"}
            self._refresh.discard(token)  # single-use
            self.refreshes += 1
            return self._issue()
        return {"error": -14001, "error_name": "Invalid grant type"}

    async def _send(self, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if headers.get("access_token") not in self._access:
            return {"error": -216, "message": "Access token is invalid"}
        await self._held.wait()
        user_id = str(body.get("recipient", {}).get("user_id", ""))
        message = body.get("message", {})
        text = message.get("text", "")
        if not text or len(text) > MAX_TEXT:
            return {"error": -201, "message": "Text is invalid"}
        buttons = message.get("attachment", {}).get("payload", {}).get("buttons", [])
        shown = tuple((button["title"], button["payload"]) for button in buttons)
        self.messages.append(Sent(user_id, text, shown))
        self._changed()
        return {"error": 0, "message": "Success", "data": {"message_id": secrets.token_hex(8), "user_id": user_id}}


# -- webhook events, as Zalo sends them ------------------------------------------------------------------


def text_event(user_id: str, text: str, msg_id: str, timestamp_ms: int | None = None) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "user_id_by_app": f"app-{user_id}",
        "event_name": "user_send_text",
        "timestamp": str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)),
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": msg_id, "text": text},
    }


def sticker_event(user_id: str, msg_id: str) -> dict[str, Any]:
    event = text_event(user_id, "", msg_id)
    event["event_name"] = "user_send_sticker"
    event["message"] = {"msg_id": msg_id, "attachments": [{"type": "sticker", "payload": {"id": "s1"}}]}
    return event


def signature_of(body: bytes, timestamp: str, app_id: str = APP_ID, secret_key: str = SECRET_KEY) -> str:
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret_key.encode()).hexdigest()


def signed(event: dict[str, Any], app_id: str = APP_ID, secret_key: str = SECRET_KEY) -> tuple[bytes, dict[str, str]]:
    """The body and headers Zalo would POST for the event."""
    body = json.dumps(event, ensure_ascii=False).encode()
    mac = signature_of(body, str(event["timestamp"]), app_id, secret_key)
    return body, {"content-type": "application/json", "x-zevent-signature": f"mac={mac}"}
