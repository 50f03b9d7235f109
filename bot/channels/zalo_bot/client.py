"""The Zalo Bot Platform's HTTP API: POST {base}{token}/{method} with a JSON body, answers {ok, result, …}.

    client = ZaloBotClient(token, "https://bot-api.zaloplatforms.com/bot")
    await client.send_message("chat id", "Xin chào")   # 429 waited out, 5xx and network errors retried
    event = await client.get_update(timeout=30)       # one event, or None when the long poll was empty (HTTP 408)

The token is in every URL path, so no URL is ever logged: httpx's and httpcore's request logs are silenced (as
the Telegram channel does) and errors are logged by their kind and status only. A 429 carries no retry_after
(none is documented), so it is waited out exponentially: 1, 2, 4 … seconds, capped, a few times.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
EMPTY_POLL = 408  # getUpdates answers 408 when no message came during the long poll


@dataclass(frozen=True)
class RetryPolicy:
    flood_attempts: int = 5  # tries of one call that keeps getting 429
    flood_backoff: float = 1.0  # seconds before the second try after a 429, doubled before each further one
    max_flood_wait: float = 30.0  # the longest single wait after a 429
    attempts: int = 4  # tries of one call when the network fails or Zalo answers 5xx
    backoff: float = 0.5  # seconds before the second try, doubled before each further one


class ZaloBotError(Exception):
    """Zalo refused a call: its HTTP status (0: no answer at all) and description; never the URL."""

    def __init__(self, method: str, status: int, description: str = "") -> None:
        super().__init__(f"{method}: {status} {description}".strip())
        self.method = method
        self.status = status
        self.description = description

    @property
    def retriable(self) -> bool:
        return self.status == 0 or self.status >= 500


def quiet_loggers() -> None:
    """httpx and httpcore log request URLs, which contain the token."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


class ZaloBotClient:
    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        policy: RetryPolicy | None = None,
        timeout: float = 10.0,
    ) -> None:
        quiet_loggers()
        self._token = token
        self.base_url = base_url
        self.policy = policy or RetryPolicy()
        self._client = httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ZaloBotClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def call(self, method: str, payload: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
        """The `result` of one call; ZaloBotError when it fails (status 0: no answer)."""
        url = f"{self.base_url}{self._token}/{method}"
        extra = {} if timeout is None else {"timeout": httpx.Timeout(timeout + 10.0)}
        try:
            response = await self._client.post(url, json=payload or {}, **extra)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:  # its text may hold the URL: only its kind is kept
            raise ZaloBotError(method, 0, type(exc).__name__) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ZaloBotError(method, response.status_code if response.status_code != 200 else 502, "not JSON")
        if response.status_code != 200 or not answer.get("ok", False):
            code = answer.get("error_code")
            status = response.status_code if response.status_code != 200 else code if isinstance(code, int) else 400
            raise ZaloBotError(method, status, str(answer.get("description", ""))[:200])
        return answer.get("result")

    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_update(self, timeout: float = 30.0) -> dict[str, Any] | None:
        """One event (getUpdates returns one, not a list; a list is read too), or None for an empty poll."""
        try:
            result = await self.call("getUpdates", {"timeout": int(timeout)}, timeout=timeout)
        except ZaloBotError as exc:
            if exc.status == EMPTY_POLL:
                return None
            raise
        if isinstance(result, list):
            return result[0] if result and isinstance(result[0], dict) else None
        return result if isinstance(result, dict) else None

    async def send_message(self, chat_id: str, text: str) -> bool:
        """sendMessage, retried as the policy says; False (logged) when it is given up."""
        return await self.deliver("sendMessage", {"chat_id": chat_id, "text": text})

    async def deliver(self, method: str, payload: dict[str, Any]) -> bool:
        policy = self.policy
        floods = failures = 0
        while True:
            try:
                await self.call(method, payload)
                return True
            except ZaloBotError as exc:
                if exc.status == 429:
                    floods += 1
                    if floods >= policy.flood_attempts:
                        log.warning("zalo_bot: %s rate-limited %d times, given up", method, floods)
                        return False
                    wait = min(policy.flood_backoff * 2 ** (floods - 1), policy.max_flood_wait)
                    log.info("zalo_bot: %s rate-limited (429), retrying in %.1fs", method, wait)
                    await asyncio.sleep(wait)
                elif exc.retriable:
                    failures += 1
                    if failures >= policy.attempts:
                        log.warning("zalo_bot: %s failed %d times (%s), given up", method, failures, exc.status)
                        return False
                    delay = policy.backoff * 2 ** (failures - 1)
                    log.info("zalo_bot: %s failed (%s), retrying in %.2fs", method, exc.status, delay)
                    await asyncio.sleep(delay)
                else:
                    log.warning("zalo_bot: %s refused (%s)", method, exc.status)
                    return False
