"""Sending the replies the service stored in the outbox (bot/shell/replies.py), right after its commit.

Each chat's stored replies go out through its ChatSenders queue, in order, with a few quick tries as for any
reply. A reply Telegram keeps failing (a 5xx or a network fault after `RetryPolicy.attempts` tries, a 429
asking for more than `max_flood_wait` or half the lease) is handed to the outbox worker, which keeps trying
until Telegram is back; the chat's later replies follow it there, so none overtakes it. Handing over takes
the chat's lock, so a message being handled at that moment either sees the handed-over row in its
transaction (its replies go to the worker too) or has queued its replies here already (they are released to
the worker behind it).
A reply that waits here longer than half its lease gets the lease renewed before it is sent, so the worker
never sends a row this process is still sending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import partial
from typing import Generic, Protocol, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.delivery import CHANNEL, ChatLocks, ChatSenders, RetryPolicy, Spawn, seconds
from bot.channels.telegram.photos import send_part
from bot.channels.telegram.render import render
from bot.core.types import Reply
from bot.shell.metrics import METRICS


class StoredReply(Protocol):
    """bot.shell.replies.QueuedReply as the channel uses it: one message, stored in one outbox row."""

    @property
    def row_id(self) -> int: ...

    @property
    def reply(self) -> Reply: ...


Row = TypeVar("Row", bound=StoredReply)


class Ledger(Protocol[Row]):
    """bot.shell.replies.ReplyLedger: what happened to each stored reply. Its calls never raise. It takes back
    the rows of its own type that the service stored (QueuedReply, which also carries the lease's attempt)."""

    @property
    def lease_seconds(self) -> float: ...

    async def sent(self, row: Row) -> None: ...

    async def later(self, row: Row, wait: float | None, error: str) -> None: ...

    async def release(self, row: Row) -> None: ...

    async def refused(self, row: Row, error: str) -> None: ...

    async def renew(self, row: Row) -> Row | None: ...


log = logging.getLogger(__name__)


class StoredReplies(Generic[Row]):
    def __init__(self, ledger: Ledger[Row], policy: RetryPolicy, locks: ChatLocks, senders: ChatSenders) -> None:
        self.ledger = ledger
        self.policy = policy
        self.locks = locks
        self.senders = senders

    def submit(self, bot: Bot, chat_id: int, rows: Sequence[Row], update_id: int | None, spawn: Spawn) -> None:
        """Send the rows after everything already queued for this chat."""
        renew_at = asyncio.get_running_loop().time() + self.ledger.lease_seconds / 2
        job = partial(self._send_all, bot, chat_id, rows, update_id, renew_at)
        self.senders.submit(chat_id, job, update_id, spawn)

    async def _send_all(
        self, bot: Bot, chat_id: int, rows: Sequence[Row], update_id: int | None, renew_at: float
    ) -> None:
        for row in rows:
            if self.senders.held_back(chat_id):
                await self.ledger.release(row)
                continue
            await self._send(bot, chat_id, row, update_id, renew_at)

    async def _send(self, bot: Bot, chat_id: int, row: Row, update_id: int | None, renew_at: float) -> None:
        """Send one row: recorded as sent, refused, or handed to the worker (the chat is then held back)."""
        loop = asyncio.get_running_loop()
        parts = render(row.reply)  # one: the service stored the reply as split_reply cut it
        if not parts:
            await self.ledger.refused(row, "empty")
            return
        floods = failures = 0
        while parts:
            part = parts[0]
            if loop.time() >= renew_at:
                renewed = await self.ledger.renew(row)
                if renewed is None:  # the worker may have it: it sends it, and the chat's next ones after it
                    self.senders.hold_back(chat_id)
                    return
                row, renew_at = renewed, loop.time() + self.ledger.lease_seconds / 2
            try:
                await send_part(bot, chat_id, part)
            except RetryAfter as exc:
                floods += 1
                wait = seconds(exc.retry_after)
                longest = min(self.policy.max_flood_wait, self.ledger.lease_seconds / 2)  # else the worker waits
                if floods >= self.policy.flood_attempts or wait > longest:
                    await self._hand_over(chat_id, row, wait, "telegram 429", update_id)
                    return
                log.info("update %s: sendMessage rate-limited, retrying in %.1fs", update_id, wait)
                await asyncio.sleep(wait)
                continue
            except (BadRequest, Forbidden) as exc:  # BadRequest is a NetworkError: caught first
                log.warning("update %s: sendMessage refused: %s", update_id, type(exc).__name__)
                METRICS.send_failed(CHANNEL)
                await self.ledger.refused(row, f"{type(exc).__name__}: {exc.message}")
                return
            except NetworkError as exc:  # TimedOut, connection faults, 5xx
                failures += 1
                if failures >= self.policy.attempts:
                    await self._hand_over(chat_id, row, None, f"telegram {type(exc).__name__}", update_id)
                    return
                await asyncio.sleep(self.policy.backoff * 2 ** (failures - 1))
                continue
            except TelegramError as exc:  # ChatMigrated, InvalidToken, ...
                log.warning("update %s: sendMessage refused: %s", update_id, type(exc).__name__)
                METRICS.send_failed(CHANNEL)
                await self.ledger.refused(row, type(exc).__name__)
                return
            parts.pop(0)
        await self.ledger.sent(row)

    async def _hand_over(self, chat_id: int, row: Row, wait: float | None, error: str, update_id: int | None) -> None:
        """The worker sends this row once Telegram lets it, and the chat's later replies after it."""
        after = f"after {wait:.0f}s" if wait is not None else "with backoff"
        log.info("update %s: sendMessage failing (%s), reply handed to the outbox worker (%s)", update_id, error, after)
        async with self.locks.hold(chat_id):
            await self.ledger.later(row, wait, error)
            self.senders.hold_back(chat_id)
