"""POST /webhooks/telegram: Telegram's updates by webhook (no staff login; Telegram's secret header instead).

Mounted only when the composition root hands the web context a Telegram webhook handler (`run` with
TELEGRAM_WEBHOOK_URL set). The handler (bot/channels/telegram/webhook.py) processes the update inside the request
and returns once the service has committed it, so the 200 comes after the update id is stored:

    401  X-Telegram-Bot-Api-Secret-Token missing or wrong (compared in constant time); nothing is processed
    413  a body over MAX_UPDATE_BYTES           400  not a JSON object with an integer update_id
    503  storage away: Telegram delivers the update again later      200  handled, or handled before
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.shell.staff_auth import same_token
from bot.shell.transactions import StorageUnavailable
from bot.web.auth import context
from bot.web.bodies import limited_body

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 1 << 20  # Telegram's updates are a few kilobytes; a message is at most 4096 characters

TelegramWebhookHandler = Callable[[dict[str, Any]], Awaitable[None]]


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


async def secret_header_webhook(
    request: Request,
    handler: Callable[[dict[str, Any]], Awaitable[None]] | None,
    secret: str,
    header: str,
    limit: int,
    read: Callable[[bytes], dict[str, Any] | None],
    name: str,
) -> Response:
    """A platform's event by webhook (Telegram, the Zalo Bot Platform): the secret header checked in constant
    time before the body is read (401, nothing processed), the body bounded (413), `read` to the event (400 when
    it is none), then `handler`; 503 when storage is away, so the platform delivers it again."""
    if handler is None or not secret:
        return _answer(404, "not found")
    if not same_token(secret, request.headers.get(header)):
        log.warning("%s webhook: request without the right secret refused", name)
        return _answer(401, "unauthorized")
    body = await limited_body(request, limit)
    if body is None:
        return _answer(413, "too large")
    data = read(body)
    if data is None:
        return _answer(400, f"not a {name} event")
    try:
        await handler(data)
    except ValueError:
        return _answer(400, f"not a {name} event")
    except (StorageUnavailable, OSError, SQLAlchemyError) as exc:
        log.error("%s webhook: storage unavailable (%s)", name, type(exc).__name__)
        return _answer(503, "storage unavailable, deliver again later")
    return _answer(200, "ok")


async def telegram_update(request: Request) -> Response:
    web = context(request)
    return await secret_header_webhook(
        request, web.telegram_webhook, web.telegram_webhook_secret, SECRET_HEADER, MAX_UPDATE_BYTES, _update, "telegram"
    )


def routes(telegram: bool) -> list[BaseRoute]:
    """The webhook routes this server takes: POST /webhooks/telegram when `telegram`."""
    return [Route(TELEGRAM_PATH, telegram_update, methods=["POST"])] if telegram else []
