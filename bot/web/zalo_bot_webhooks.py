"""POST /webhooks/zalo-bot: Zalo Bot Platform events by webhook (no staff login; Zalo's secret header instead).

Mounted only when the composition root hands the web context a Zalo Bot handler and ZALO_BOT_WEBHOOK_SECRET is
set. The handler (bot/channels/zalo_bot/channel.py) only stores the event (bot.storage.inbound_events, once per
message id) and wakes the worker, so the 200 goes back at once; bot/workers/zalo_bot_events.py answers it
afterwards, keeping the replies with the answer, so none is lost if the process ends before they are sent. The
body is read only after the secret is checked:

    401  X-Bot-Api-Secret-Token missing or wrong (compared in constant time); nothing is stored
    413  a body over MAX_EVENT_BYTES          400  not a Zalo Bot event (bare, or wrapped in {"ok", "result"})
    503  storage away: Zalo delivers the event again later                  200  stored, or stored before
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.web.auth import context
from bot.web.webhooks import secret_header_webhook

log = logging.getLogger(__name__)

ZALO_BOT_PATH = "/webhooks/zalo-bot"
SECRET_HEADER = "x-bot-api-secret-token"
MAX_EVENT_BYTES = 1 << 16  # an event is a text of at most 2,000 characters and a few ids

ZaloBotWebhookHandler = Callable[[dict[str, Any]], Awaitable[None]]


def _event(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


async def zalo_bot_event(request: Request) -> Response:
    web = context(request)
    return await secret_header_webhook(
        request, web.zalo_bot_webhook, web.zalo_bot_webhook_secret, SECRET_HEADER, MAX_EVENT_BYTES, _event, "zalo_bot"
    )


def routes(zalo_bot: bool) -> list[BaseRoute]:
    """POST /webhooks/zalo-bot when `zalo_bot`."""
    return [Route(ZALO_BOT_PATH, zalo_bot_event, methods=["POST"])] if zalo_bot else []
