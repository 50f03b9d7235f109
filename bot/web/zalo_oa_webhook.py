"""POST /webhooks/zalo-oa: the Zalo Official Account's events (no staff login; Zalo's signature instead).

Zalo wants a 200 within 2 seconds, and delivers an event again later otherwise. So an event is only checked and
stored here (bot.storage.inbound_events, deduplicated on its message id), the instance's worker is woken, and the
answer goes back; bot.workers.inbound_events handles it afterwards (on this or any instance), in order per chat.

    401  X-ZEvent-Signature missing or wrong (SHA-256 over app id + raw body + timestamp + OA secret key,
         compared in constant time), or the event's timestamp older (or newer) than ZALO_OA_WEBHOOK_MAX_AGE_SECONDS;
         nothing is stored
    413  a body over MAX_EVENT_BYTES          400  signed, but not an event
    503  storage away: Zalo delivers the event again later
    200  stored, stored before, or an event the bot does not handle (follow, seen, …)
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.zalo_oa import CHANNEL, signature
from bot.channels.zalo_oa import events as zalo_events
from bot.storage import inbound_events
from bot.web.auth import context
from bot.web.bodies import limited_body

log = logging.getLogger(__name__)

PATH = "/webhooks/zalo-oa"
SIGNATURE_HEADER = "x-zevent-signature"
MAX_EVENT_BYTES = 64 * 1024


def _answer(status: int, description: str) -> Response:
    return JSONResponse({"error": 0 if status == 200 else status, "message": description}, status)


def _timestamp(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    found = data.get("timestamp") if isinstance(data, dict) else None
    if isinstance(found, int) and not isinstance(found, bool):
        return str(found)
    return found if isinstance(found, str) else None


async def zalo_oa_event(request: Request) -> Response:
    web = context(request)
    intake = web.zalo_oa
    if intake is None:
        return _answer(404, "not found")
    body = await limited_body(request, MAX_EVENT_BYTES)
    if body is None:
        return _answer(413, "too large")
    timestamp = _timestamp(body)
    header = request.headers.get(SIGNATURE_HEADER)
    if timestamp is None or not signature.valid(header, intake.app_id, body, timestamp, intake.secret_key):
        log.warning("zalo oa webhook: event without a valid signature refused")
        return _answer(401, "invalid signature")
    if not signature.fresh(timestamp, web.clock(), intake.max_age):
        log.warning("zalo oa webhook: stale event refused (timestamp %s)", timestamp[:15])
        return _answer(401, "stale event")
    try:
        event = zalo_events.from_json(json.loads(body))
    except zalo_events.NotAnEvent:
        return _answer(400, "not an event")
    if not event.from_citizen or not event.user_id:
        return _answer(200, "ignored")
    try:
        async with web.database.transaction() as connection:
            stored = await inbound_events.store(
                connection, CHANNEL, event.event_id, event.chat, body.decode(), web.clock()
            )
    except (OSError, SQLAlchemyError) as exc:
        log.error("zalo oa webhook: storage unavailable (%s)", type(exc).__name__)
        return _answer(503, "storage unavailable, deliver again later")
    if stored:
        intake.wake()
    return _answer(200, "ok")


routes: list[BaseRoute] = [Route(PATH, zalo_oa_event, methods=["POST"])]
