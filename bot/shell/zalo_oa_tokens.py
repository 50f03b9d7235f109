"""The Zalo OA's access token, refreshed before it expires by one instance at a time.

    keeper = TokenKeeper(database, client.refresh, clock)
    token = await keeper.access_token()           # the stored one, or a new one when it expires within `margin`
    token = await keeper.refresh_now(stale=token) # after Zalo refused `token`

The refresh token is single-use and rotates: two instances refreshing with the same one would leave the office
with a refused token (and the OA admin to authorise again). So a refresh holds the tokens' row locked
(bot.storage.zalo_oa.for_refresh) while it calls Zalo and stores the new pair; an instance waiting on the lock
then finds the new access token and uses it instead of refreshing again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.types import Clock
from bot.storage import zalo_oa
from bot.storage.db import Database
from bot.storage.zalo_oa import Tokens

log = logging.getLogger(__name__)

DEFAULT_MARGIN = timedelta(minutes=10)


class NotConnected(Exception):
    """No tokens stored: run `python -m bot zalo-oa connect CODE` first."""


class IssuedTokens(Protocol):
    @property
    def access_token(self) -> str: ...
    @property
    def refresh_token(self) -> str: ...
    @property
    def access_seconds(self) -> int: ...
    @property
    def refresh_seconds(self) -> int: ...


def stored(issued: IssuedTokens, now: datetime) -> Tokens:
    return Tokens(
        issued.access_token,
        issued.refresh_token,
        now + timedelta(seconds=issued.access_seconds),
        now + timedelta(seconds=issued.refresh_seconds),
    )


async def connect(database: Database, issued: IssuedTokens, now: datetime) -> Tokens:
    """Store the tokens of a first authorisation (replacing any earlier ones)."""
    tokens = stored(issued, now)
    async with database.transaction() as connection:
        await zalo_oa.save(connection, tokens, now)
    return tokens


async def status(database: Database) -> Tokens | None:
    async with database.transaction() as connection:
        return await zalo_oa.current(connection)


class TokenKeeper:
    def __init__(
        self,
        database: Database,
        refresh: Callable[[str], Awaitable[IssuedTokens]],
        clock: Clock,
        margin: timedelta = DEFAULT_MARGIN,
    ) -> None:
        self.database = database
        self._refresh = refresh
        self.clock = clock
        self.margin = margin

    def _good(self, tokens: Tokens) -> bool:
        return tokens.access_expires_at - self.margin > self.clock()

    async def access_token(self) -> str:
        async with self.database.transaction() as connection:
            tokens = await zalo_oa.current(connection)
        if tokens is None:
            raise NotConnected
        if self._good(tokens):
            return tokens.access_token
        return await self.refresh_now(stale=tokens.access_token)

    async def refresh_now(self, stale: str) -> str:
        """A new access token, unless another instance already replaced `stale` with a good one."""
        async with self.database.transaction() as connection:
            tokens = await zalo_oa.for_refresh(connection)
            if tokens is None:
                raise NotConnected
            if tokens.access_token != stale and self._good(tokens):
                return tokens.access_token
            issued = await self._refresh(tokens.refresh_token)
            now = self.clock()
            fresh = stored(issued, now)
            await zalo_oa.save(connection, fresh, now)
        log.info("zalo oa: access token refreshed, valid until %s", fresh.access_expires_at.isoformat())
        return fresh.access_token
