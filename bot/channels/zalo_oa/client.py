"""The Zalo OA's HTTP APIs, with httpx.

    client = ZaloOaClient(app_id, secret_key, api_base_url, oauth_base_url)
    issued = await client.exchange_code(code)            # OAuth v4: the first tokens
    issued = await client.refresh(refresh_token)         # new tokens (the refresh token is single-use)
    await client.send(access_token, user_id, message)    # a consultation ("cs") message

OAuth v4 (CHANNELS.md §1.3): POST {oauth}/v4/oa/access_token with the secret key in the `secret_key` header and the
form fields app_id, code (or refresh_token) and grant_type; a PKCE code_verifier is sent when given. Messages:
POST {api}/v3.0/oa/message/cs with the access token in the `access_token` header. Zalo answers errors as
{"error": <negative code>, "message": …} with HTTP 200.

429, 5xx and network failures are retried with exponential backoff; an access token refused (HTTP 401, or Zalo's
-216/-124) raises TokenRejected for the caller to refresh. Tokens and the secret key travel in headers and form
bodies only, never in URLs, and no error message includes them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.zalo_oa.events import user_of
from bot.channels.zalo_oa.render import Message

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE_URL = "https://oauth.zaloapp.com"
TOKEN_PATH = "/v4/oa/access_token"
CS_PATH = "/v3.0/oa/message/cs"
ACCESS_REFUSED = frozenset({-216, -124})  # access token invalid / expired
CONSENT_AGAIN = -118  # the refresh token is no longer valid: the OA admin must authorise the app again
DEFAULT_ACCESS_SECONDS = 3600
DEFAULT_REFRESH_SECONDS = 90 * 24 * 3600


class ZaloOaError(Exception):
    """Zalo refused a call: HTTP status (0: no answer), Zalo's error code and message; never a token."""

    def __init__(self, call: str, status: int, code: int = 0, description: str = "") -> None:
        super().__init__(f"{call}: HTTP {status}, error {code} {description}".strip())
        self.call = call
        self.status = status
        self.code = code
        self.description = description

    @property
    def retriable(self) -> bool:
        return self.status in (0, 429) or self.status >= 500


class TokenRejected(ZaloOaError):
    """The access token was refused: refresh it and send again."""


class ConsentNeeded(ZaloOaError):
    """The refresh token was refused (-118 or similar): `python -m bot zalo-oa connect` with a new code."""


@dataclass(frozen=True)
class Issued:
    access_token: str
    refresh_token: str
    access_seconds: int
    refresh_seconds: int

    def __repr__(self) -> str:
        return f"Issued(access for {self.access_seconds}s, refresh for {self.refresh_seconds}s)"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries of one call on 429, 5xx or no answer
    backoff: float = 0.5  # seconds before the second try, doubled before each further one
    max_wait: float = 30.0


def _seconds(value: Any, default: int) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default


def message_body(user_id: str, message: Message) -> dict[str, Any]:
    """The JSON of a consultation message: text, and a template of query buttons when it has buttons."""
    content: dict[str, Any] = {"text": message.text}
    if message.buttons:
        buttons = [{"title": title, "type": "oa.query.hide", "payload": payload} for title, payload in message.buttons]
        content["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
    return {"recipient": {"user_id": user_id}, "message": content}


class ZaloOaClient:
    def __init__(
        self,
        app_id: str,
        secret_key: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
        oauth_base_url: str = DEFAULT_OAUTH_BASE_URL,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app_id = app_id
        self._secret_key = secret_key
        self.api_base_url = api_base_url.rstrip("/")
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.AsyncClient(timeout=timeout)

    def __repr__(self) -> str:
        return f"ZaloOaClient(app {self.app_id})"

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ZaloOaClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _post(self, call: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer; retries 429/5xx/no answer; ZaloOaError (or TokenRejected on HTTP 401) otherwise."""
        wait = self.policy.backoff
        for attempt in range(1, self.policy.attempts + 1):
            try:
                response = await self._http.post(url, **kwargs)
            except httpx.HTTPError as exc:
                error = ZaloOaError(call, 0, description=type(exc).__name__)
            else:
                if response.status_code == 401:
                    raise TokenRejected(call, 401)
                if response.status_code == 200:
                    try:
                        data = response.json()
                    except ValueError:
                        raise ZaloOaError(call, 200, description="not JSON") from None
                    if not isinstance(data, dict):
                        raise ZaloOaError(call, 200, description="not a JSON object")
                    return data
                error = ZaloOaError(call, response.status_code)
                if not error.retriable:
                    raise error
            if attempt == self.policy.attempts:
                raise error
            log.warning("zalo oa %s: %s, trying again in %.1fs", call, error, wait)
            await self._sleep(wait)
            wait = min(wait * 2, self.policy.max_wait)
        raise AssertionError("unreachable")

    async def _tokens(self, call: str, form: dict[str, str]) -> Issued:
        data = await self._post(
            call, self.oauth_base_url + TOKEN_PATH, data=form, headers={"secret_key": self._secret_key}
        )
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            code = data.get("error")
            code = code if isinstance(code, int) else 0
            description = str(data.get("error_name") or data.get("error_description") or data.get("message") or "")
            if call == "refresh":
                raise ConsentNeeded(call, 200, code, description[:200])
            raise ZaloOaError(call, 200, code, description[:200])
        return Issued(
            access,
            refresh,
            _seconds(data.get("expires_in"), DEFAULT_ACCESS_SECONDS),
            _seconds(data.get("refresh_token_expires_in"), DEFAULT_REFRESH_SECONDS),
        )

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Issued:
        form = {"app_id": self.app_id, "code": code, "grant_type": "authorization_code"}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return await self._tokens("exchange", form)

    async def refresh(self, refresh_token: str) -> Issued:
        form = {"app_id": self.app_id, "refresh_token": refresh_token, "grant_type": "refresh_token"}
        return await self._tokens("refresh", form)

    async def send(self, access_token: str, chat: str, message: Message) -> str:
        """Send one message to the chat's user ("zalo_oa:<user id>" or the bare id); Zalo's message id."""
        body = message_body(user_of(chat), message)
        data = await self._post("send", self.api_base_url + CS_PATH, json=body, headers={"access_token": access_token})
        code = data.get("error", 0)
        if code in ACCESS_REFUSED:
            raise TokenRejected("send", 200, int(code), str(data.get("message", ""))[:200])
        if code not in (0, None):
            number = int(code) if isinstance(code, int) else 0
            raise ZaloOaError("send", 200, number, str(data.get("message", ""))[:200])
        found = data.get("data")
        return str(found.get("message_id", "")) if isinstance(found, dict) else ""
