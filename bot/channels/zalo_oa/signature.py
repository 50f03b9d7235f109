"""The signature of a Zalo OA webhook event, and the freshness of its timestamp.

Zalo signs each event with `X-ZEvent-Signature: mac=<hex>`, where hex = SHA-256 of the app id, the raw body, the
event's `timestamp` (milliseconds, as written in the body) and the OA secret key, concatenated in that order
(goclaw internal/channels/zalo/oa/webhook_signature.go; ../shared/CHANNELS.md §1.3). The header is accepted with
or without the "mac=" prefix, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

PREFIX = "mac="


def sign(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """The hex digest Zalo sends for this body (without the "mac=" prefix)."""
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(body)
    digest.update(timestamp.encode())
    digest.update(secret_key.encode())
    return digest.hexdigest()


def valid(header: str | None, app_id: str, body: bytes, timestamp: str, secret_key: str) -> bool:
    if not header or not app_id or not secret_key:
        return False
    given = header.strip()
    if given.lower().startswith(PREFIX):
        given = given[len(PREFIX) :]
    expected = sign(app_id, body, timestamp, secret_key)
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def moment(timestamp: str) -> datetime | None:
    """The event's time (its timestamp in milliseconds since 1970), or None when it is not one."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 15:
        return None
    return datetime.fromtimestamp(int(timestamp) / 1000, UTC)


def fresh(timestamp: str, now: datetime, max_age: timedelta) -> bool:
    """Whether the event's time is within max_age of now (either side: a clock a little ahead is no replay)."""
    at = moment(timestamp)
    return at is not None and abs(now - at) <= max_age
