"""A loopback Bot API server: python-telegram-bot talks to it exactly as it would to api.telegram.org.

    async with FakeTelegram() as telegram:
        application = build_application(telegram.token, telegram.base_url, handle)
        async with running(application):
            telegram.enqueue(text_message(1, chat_id=7, text="xin chào"))  # tests/fakes/telegram_updates.py
            [reply] = await telegram.wait_for_replies(7, 1)

Requests arrive as PTB's HTTPXRequest sends them: application/x-www-form-urlencoded, every value a string,
the non-string ones JSON-encoded (a JSON body is understood too), or multipart/form-data when a file is
uploaded (sendPhoto: the photo's bytes are recorded with the message, its caption as its text).
getUpdates long-polls like Telegram: it answers as soon as an update is queued, or after `timeout` seconds
with []. An update stays queued until a later getUpdates confirms it with a higher offset, so a restarted
bot gets back what it fetched but did not confirm; enqueueing an update a second time delivers it again (a
duplicate). setWebhook records its parameters (`webhook`) and getWebhookInfo reports them; deleteWebhook forgets them.
sendMessage checks what Telegram checks (HTML that parses, the length limit, callback data
within 64 bytes) and records what the citizen would see. Faults are injected per method, optionally for
one chat: 429 with retry_after, 500, or a connection dropped without an answer; for a number of calls
(`fail`) or for a while (`fail_for`: Telegram down for 30 s, or some chats told to wait 90 s).

For benchmarks (bench/bench_e2e.py) the bookkeeping stays cheap at tens of thousands of updates: getUpdates
costs what its batch costs, `sent(chat_id)` what that chat's messages cost, and the fake notes when it
first handed out each update (`handed_out_at`) and when each message arrived (`Sent.at`), both on
time.perf_counter's clock.
"""

from __future__ import annotations

import asyncio
import email.policy
import html
import inspect
import json
import re
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.loopback import LoopbackServer, wait_for_event
from tests.fakes.telegram_updates import BOT_USER, chat, update_kind

TOKEN = "424242:fake-token-that-must-never-be-logged"
MAX_TEXT = 4096  # Telegram's limit, in UTF-16 code units of the text as shown
MAX_CALLBACK_DATA = 64  # bytes
MAX_CAPTION = 1024  # a photo's caption, in UTF-16 code units of the text as shown
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STRING_PARAMETERS = frozenset({"text", "parse_mode", "callback_query_id", "caption", "url", "language_code"})
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
     "blockquote", "tg-emoji"}
)  # fmt: skip
TAG = re.compile(r"</?([a-z-]+)(?:\s[^<>]*)?>")
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


# -- what the fake records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    status: int  # the HTTP status answered; 0 for a dropped connection


@dataclass
class Sent:
    """A message the bot sent (or last edited), as the citizen sees it."""

    chat_id: int
    message_id: int
    text: str  # as shown: HTML tags gone, entities decoded
    html: str  # as sent
    parse_mode: str | None
    keyboard: list[list[dict[str, Any]]]  # inline keyboard rows
    at: float = field(default_factory=time.perf_counter)  # when the request reached the fake
    reply_keyboard: list[list[dict[str, Any]]] = field(default_factory=list)  # buttons under the text field
    remove_keyboard: bool = False  # the message took those buttons away
    photo: bytes | None = None  # sendPhoto: the picture uploaded (its caption, if any, is `text`)

    @property
    def asks_for_contact(self) -> bool:
        return any(button.get("request_contact") for row in self.reply_keyboard for button in row)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every button, top to bottom."""
        return [(b["text"], b.get("callback_data", "")) for row in self.keyboard for b in row]


@dataclass
class Fault:
    method: str
    times: int
    status: int  # 429, 500, ... or 0 to drop the connection without an answer
    retry_after: float = 1
    chat_id: int | None = None
    until: float | None = None  # time.perf_counter() when a fault for a while ends
    chat_ids: frozenset[int] | None = None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.until is not None and time.perf_counter() >= self.until:
            return False
        chat_id = params.get("chat_id")
        return (
            self.times > 0
            and self.method.lower() == method.lower()
            and (self.chat_id is None or chat_id == self.chat_id)
            and (self.chat_ids is None or chat_id in self.chat_ids)
        )


class BadRequest(Exception):
    pass


def shown_text(text: str, parse_mode: str | None) -> str:
    """The text Telegram would show, or BadRequest with Telegram's wording when the HTML does not parse."""
    if (parse_mode or "").upper() != "HTML":
        return text
    for match in re.finditer(r"<", text):
        tag = TAG.match(text, match.start())
        if tag is None or tag.group(1) not in HTML_TAGS:
            raise BadRequest(f"Bad Request: can't parse entities: unsupported start tag at byte offset {match.start()}")
    for match in re.finditer(r"&", text):
        if not ENTITY.match(text, match.start()):
            raise BadRequest(f"Bad Request: can't parse entities: unclosed entity at byte offset {match.start()}")
    return html.unescape(TAG.sub("", text))


def _multipart(content_type: str, body: bytes) -> dict[str, str | bytes]:
    """The fields of a multipart/form-data body: a file's bytes, every other field as text."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        fields[name] = payload if part.get_filename() is not None else payload.decode()
    return fields


def _decode(name: str, value: Any) -> Any:
    """PTB sends non-string values JSON-encoded inside form fields."""
    if name in STRING_PARAMETERS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


# -- the server ---------------------------------------------------------------------------------------


class FakeTelegram(LoopbackServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.bot_user = dict(BOT_USER)
        self.calls: list[Call] = []  # every request, faulted ones included
        self.outbox: list[Sent] = []  # every message sent, all chats, in order
        self.commands: list[dict[str, Any]] = []  # as set by setMyCommands
        self.handed_out_at: dict[int, float] = {}  # update id -> when getUpdates first returned it
        # The queue is the updates handed out but not confirmed yet, then those never handed out, each in
        # the order enqueued: getUpdates always hands out a prefix of it, so the two parts stay apart.
        self._unconfirmed: list[dict[str, Any]] = []
        self._pending: deque[dict[str, Any]] = deque()
        self._sent_by_chat: dict[int, list[Sent]] = {}
        self._faults: list[Fault] = []
        self._next_message_id = 1000
        self.webhook: dict[str, Any] | None = None  # what setWebhook was given (url, secret_token, ...), if set
        self.webhook_error: tuple[int, str] | None = None  # getWebhookInfo's last_error_date and _message

    @property
    def base_url(self) -> str:
        """What ApplicationBuilder().base_url() takes: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what tests do ------------------------------------------------------------------------------

    def enqueue(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates; the same update enqueued twice is delivered twice."""
        self._pending.extend(updates)
        self._changed()

    def fail(
        self, method: str, status: int, times: int = 1, retry_after: float = 1, chat_id: int | None = None
    ) -> None:
        """Answer the next `times` calls of `method` (only those for `chat_id`, if given) with `status`:
        429 (with parameters.retry_after), 500, ..., or 0 to drop the connection without an answer."""
        self._faults.append(Fault(method, times, status, retry_after, chat_id))

    def fail_for(
        self,
        method: str,
        status: int,
        seconds: float,
        retry_after: float = 1,
        chat_ids: Iterable[int] | None = None,
    ) -> None:
        """Answer every call of `method` (only those for `chat_ids`, if given) with `status` for the next
        `seconds`: Telegram down (500) or flood control (429 with `retry_after`) that lasts."""
        chats = frozenset(chat_ids) if chat_ids is not None else None
        until = time.perf_counter() + seconds
        self._faults.append(Fault(method, 1 << 62, status, retry_after, until=until, chat_ids=chats))

    def recover(self) -> None:
        """Every fault injected so far ends now."""
        self._faults.clear()

    def sent(self, chat_id: int) -> list[Sent]:
        return list(self._sent_by_chat.get(chat_id, ()))

    @property
    def queued(self) -> int:
        """How many updates getUpdates still holds: never handed out, or handed out and not confirmed."""
        return len(self._unconfirmed) + len(self._pending)

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    async def wait_for_replies(self, chat_id: int, count: int, timeout: float = 5.0) -> list[Sent]:
        """Every message sent to the chat, once there are at least `count` of them."""
        return await self.wait_until(
            lambda: len(self.sent(chat_id)) >= count and self.sent(chat_id), timeout, f"{count} replies in {chat_id}"
        )

    async def wait_for_calls(self, method: str, count: int, timeout: float = 5.0) -> list[Call]:
        return await self.wait_until(
            lambda: len(self.calls_of(method)) >= count and self.calls_of(method), timeout, f"{count} {method}"
        )

    def requests_seen(self) -> list[str]:
        return [call.method for call in self.calls]

    # -- HTTP ---------------------------------------------------------------------------------------

    async def _serve_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.rstrip("\r\n").split("\r\n")
        _, target, _ = request_line.split(" ", 2)
        headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        url = urlsplit(target)
        params = self._parameters(url.query, headers.get("content-type", ""), body)
        answer = await self._answer(url.path, params)
        if answer is None:
            return False  # drop the connection without a word
        status, payload = answer
        content = json.dumps(payload, ensure_ascii=False).encode()
        writer.write(
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\nConnection: keep-alive\r\n\r\n".encode()
            + content
        )
        await writer.drain()
        return True

    @staticmethod
    def _parameters(query: str, content_type: str, body: bytes) -> dict[str, Any]:
        fields: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        if content_type.startswith("application/json") and body:
            fields |= json.loads(body)
        elif content_type.startswith("application/x-www-form-urlencoded"):
            fields |= dict(parse_qsl(body.decode(), keep_blank_values=True))
        elif content_type.startswith("multipart/form-data"):
            files = _multipart(content_type, body)
            fields |= {name: value for name, value in files.items() if isinstance(value, str)}
            uploads = {name: value for name, value in files.items() if isinstance(value, bytes)}
            return {name: _decode(name, value) for name, value in fields.items()} | uploads
        return {name: _decode(name, value) for name, value in fields.items()}

    async def _answer(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        prefix, _, method = path.rpartition("/")
        if prefix != f"/bot{self.token}":
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        fault = next((f for f in self._faults if f.matches(method, params)), None)
        if fault is not None:
            fault.times -= 1
            self._record(method, params, fault.status)
            return self._fault_answer(fault)
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            self._record(method, params, 404)
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        try:
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except BadRequest as exc:
            self._record(method, params, 400)
            return 400, {"ok": False, "error_code": 400, "description": str(exc)}
        self._record(method, params, 200)
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _fault_answer(fault: Fault) -> tuple[int, dict[str, Any]] | None:
        if fault.status == 0:
            return None
        answer: dict[str, Any] = {"ok": False, "error_code": fault.status}
        if fault.status == HTTPStatus.TOO_MANY_REQUESTS:
            answer["description"] = f"Too Many Requests: retry after {fault.retry_after}"
            answer["parameters"] = {"retry_after": fault.retry_after}
        else:
            answer["description"] = HTTPStatus(fault.status).phrase
        return fault.status, answer

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        self.calls.append(Call(method, params, status))
        self._changed()

    # -- the Bot API methods ------------------------------------------------------------------------

    def _api_getme(self, _: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        allowed = params.get("allowed_updates") or None
        self._unconfirmed = [u for u in self._unconfirmed if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while True:
            change = self._change
            if allowed is not None:  # Telegram never delivers the kinds the bot did not ask for
                self._unconfirmed = [u for u in self._unconfirmed if update_kind(u) in allowed]
            while self._pending and len(self._unconfirmed) < limit:
                update = self._pending.popleft()
                if allowed is None or update_kind(update) in allowed:
                    self._unconfirmed.append(update)
            if self._unconfirmed or loop.time() >= deadline:
                batch = self._unconfirmed[:limit]
                now = time.perf_counter()
                for update in batch:
                    self.handed_out_at.setdefault(update["update_id"], now)
                return sorted(batch, key=lambda u: u["update_id"])
            await wait_for_event(change, deadline - loop.time())

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text, parse_mode = str(params.get("text", "")), params.get("parse_mode")
        sent = self._checked(params, self._next_message_id, text, parse_mode)
        self._next_message_id += 1
        self.outbox.append(sent)
        self._sent_by_chat.setdefault(sent.chat_id, []).append(sent)
        return self._message_result(sent)

    def _api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """A photo uploaded as a file (PTB sends bytes as multipart/form-data); the caption is optional."""
        photo = params.get("photo")
        if not isinstance(photo, bytes) or not photo.startswith(PNG_SIGNATURE):
            raise BadRequest("Bad Request: IMAGE_PROCESS_FAILED")
        caption, parse_mode = str(params.get("caption", "")), params.get("parse_mode")
        shown = shown_text(caption, parse_mode)
        if len(shown.encode("utf-16-le")) // 2 > MAX_CAPTION:
            raise BadRequest("Bad Request: message caption is too long")
        # _checked checks the keyboard as for a text; a photo without a caption is still a message
        sent = self._checked(params, self._next_message_id, caption or "(ảnh)", None)
        sent.text, sent.html, sent.parse_mode, sent.photo = shown, caption, parse_mode, photo
        self._next_message_id += 1
        self.outbox.append(sent)
        self._sent_by_chat.setdefault(sent.chat_id, []).append(sent)
        return self._message_result(sent) | {"photo": [{"file_id": f"photo-{sent.message_id}", "width": 1, "height": 1,
                                                        "file_unique_id": f"p{sent.message_id}"}]}  # fmt: skip

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        in_chat = self._sent_by_chat.get(chat_id, []) if isinstance(chat_id, int) else []
        found = next((m for m in in_chat if m.message_id == message_id), None)
        if found is None:
            raise BadRequest("Bad Request: message to edit not found")
        edited = self._checked(params, found.message_id, str(params.get("text", "")), params.get("parse_mode"))
        self.outbox[self.outbox.index(found)] = edited
        in_chat[in_chat.index(found)] = edited
        return self._message_result(edited)

    @staticmethod
    def _checked(params: dict[str, Any], message_id: int, text: str, parse_mode: str | None) -> Sent:
        shown = shown_text(text, parse_mode)
        if not shown.strip():
            raise BadRequest("Bad Request: message text is empty")
        if len(shown.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise BadRequest("Bad Request: message is too long")
        keyboard = (params.get("reply_markup") or {}).get("inline_keyboard", [])
        for row in keyboard:
            for button in row:
                if len(button.get("callback_data", "").encode()) > MAX_CALLBACK_DATA:
                    raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
        markup = params.get("reply_markup") or {}
        reply_keyboard = markup.get("keyboard", [])
        return Sent(
            int(params["chat_id"]),
            message_id,
            shown,
            text,
            parse_mode,
            keyboard,
            reply_keyboard=reply_keyboard,
            remove_keyboard=bool(markup.get("remove_keyboard")),
        )

    def _message_result(self, sent: Sent) -> dict[str, Any]:
        result = {"message_id": sent.message_id, "date": int(time.time()), "chat": chat(sent.chat_id),
                  "from": self.bot_user, "text": sent.text}  # fmt: skip
        if sent.keyboard:
            result["reply_markup"] = {"inline_keyboard": sent.keyboard}
        return result

    def _api_answercallbackquery(self, _: dict[str, Any]) -> bool:
        return True

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        self.commands = list(params.get("commands", []))
        return True

    def _api_getmycommands(self, _: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands

    def _api_deletemycommands(self, _: dict[str, Any]) -> bool:
        self.commands = []
        return True

    def _api_getwebhookinfo(self, _: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": self.queued}
        if self.webhook is not None:
            info["url"] = self.webhook["url"]
            info |= {k: v for k, v in self.webhook.items() if k in ("max_connections", "allowed_updates")}
        if self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        """Telegram's checks: an https address, a secret of 1-256 characters A-Z a-z 0-9 _ -."""
        url, secret = str(params.get("url", "")), params.get("secret_token")
        if url and not url.startswith("https://"):
            raise BadRequest("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise BadRequest("Bad Request: secret token contains unallowed characters")
        self.webhook = dict(params) if url else None
        return True

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._unconfirmed, self._pending = [], deque()
        return True

    def _api_sendchataction(self, _: dict[str, Any]) -> bool:
        return True

    def _api_close(self, _: dict[str, Any]) -> bool:
        return True

    def _api_logout(self, _: dict[str, Any]) -> bool:
        return True
