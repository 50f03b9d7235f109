"""POST /webhooks/telegram: Telegram's updates by webhook (no staff login; Telegram's secret header instead).

Mounted only when the composition root hands the web context a Telegram webhook handler (`run` with
TELEGRAM_WEBHOOK_URL set). The handler (bot/channels/telegram/webhook.py) processes the update inside the request
and returns once the service has committed it, so the 200 comes after the update id is stored:

    401  X-Telegram-Bot-Api-Secret-Token missing or wrong (compared in constant time); nothing is processed
    413  a body over MAX_UPDATE_BYTES           400  not a JSON object with an integer update_id
    503  storage away: Telegram delivers the update again later      200  handled, or handled before
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.shell.transactions import StorageUnavailable
from bot.web.auth import context

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 1 << 20  # Telegram's updates are a few kilobytes; a message is at most 4096 characters

TelegramWebhookHandler = Callable[[dict[str, Any]], Awaitable[None]]


class TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    """The body, or TooLarge as soon as it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


def _secret_matches(given: str | None, secret: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


def _update(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    return data


def _answer(status: int, description: str) -> Response:
    return JSONResponse({"ok": status == 200, "description": description}, status)


async def telegram_update(request: Request) -> Response:
    web = context(request)
    handler, secret = web.telegram_webhook, web.telegram_webhook_secret
    if handler is None or not secret:
        return _answer(404, "not found")
    if not _secret_matches(request.headers.get(SECRET_HEADER), secret):
        log.warning("telegram webhook: request without the right secret refused")
        return _answer(401, "unauthorized")
    try:
        body = await _body(request, MAX_UPDATE_BYTES)
    except TooLarge:
        return _answer(413, "too large")
    data = _update(body)
    if data is None:
        return _answer(400, "not a Telegram update")
    try:
        await handler(data)
    except ValueError:
        return _answer(400, "not a Telegram update")
    except StorageUnavailable:
        return _answer(503, "storage unavailable, deliver again later")
    return _answer(200, "ok")


def routes(telegram: bool) -> list[BaseRoute]:
    """The webhook routes this server takes: POST /webhooks/telegram when `telegram`."""
    return [Route(TELEGRAM_PATH, telegram_update, methods=["POST"])] if telegram else []
