"""Calls to the Bot API that survive flood control and network trouble, and per-chat ordering.

A 429 answer carries `retry_after`: only the chat being answered waits (its sender sleeps with that chat's
replies queued behind it); every other chat keeps being answered. Network errors and 5xx answers are retried a few
times with a doubling backoff. Anything else (blocked by the user, a bad request) is logged and given up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.shell.metrics import METRICS

log = logging.getLogger(__name__)

CHANNEL = "telegram"  # the label of its failures in GET /metrics (application.CHANNEL, which imports this module)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries for one call when the network fails or Telegram answers 5xx
    backoff: float = 0.5  # seconds before the second try, doubled before each further one
    flood_attempts: int = 5  # tries for one call that Telegram keeps answering with 429
    max_flood_wait: float = 60.0  # a longer retry_after is not waited for: the call is given up
    startup_flood_wait: float = 5.0  # the same bound for setMyCommands, which holds up start-up


def seconds(retry_after: float | timedelta) -> float:
    """PTB gives retry_after as seconds or, with PTB_TIMEDELTA set, as a timedelta."""
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


async def deliver(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    update_id: int | None = None,
    max_flood_wait: float | None = None,
) -> T | None:
    """The result of `call()`, retried as the policy says; None (logged) when it is given up."""
    max_wait = policy.max_flood_wait if max_flood_wait is None else max_flood_wait
    floods = failures = 0
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            floods += 1
            wait = seconds(exc.retry_after)
            if floods >= policy.flood_attempts or wait > max_wait:
                log.warning("update %s: %s rate-limited (retry after %.0fs), given up", update_id, what, wait)
                METRICS.send_failed(CHANNEL)
                return None
            log.info("update %s: %s rate-limited, retrying in %.1fs", update_id, what, wait)
            await asyncio.sleep(wait)
        except BadRequest as exc:  # a subclass of NetworkError, but retrying cannot help
            log.warning("update %s: %s rejected: %s", update_id, what, exc.message)
            METRICS.send_failed(CHANNEL)
            return None
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            failures += 1
            if failures >= policy.attempts:
                log.warning("update %s: %s failed %d times (%s), given up", update_id, what, failures, _kind(exc))
                METRICS.send_failed(CHANNEL)
                return None
            delay = policy.backoff * 2 ** (failures - 1)
            log.info("update %s: %s failed (%s), retrying in %.2fs", update_id, what, _kind(exc), delay)
            await asyncio.sleep(delay)
        except TelegramError as exc:  # Forbidden (the citizen blocked the bot), ChatMigrated, ...
            log.warning("update %s: %s refused: %s", update_id, what, _kind(exc))
            METRICS.send_failed(CHANNEL)
            return None


def _kind(exc: TelegramError) -> str:
    return type(exc).__name__


class ChatLocks:
    """One lock per chat, so a chat's messages are handled and answered in order while other chats go on.

    A lock exists only while someone holds or waits for it, so the table does not grow with the number of
    chats ever seen. asyncio.Lock wakes its waiters first come, first served.
    """

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:
                del self._users[chat_id], self._locks[chat_id]


Spawn = Callable[[Coroutine[Any, Any, None]], object]  # starts a task, e.g. Application.create_task


class ChatSenders:
    """Each chat's outgoing work, done in order by one task per chat while the chat has some queued.

    `submit` returns at once, so a handler is done when its transaction is, and a chat waiting out a 429
    holds up nothing but its own later replies. Jobs should not raise (`deliver` gives up politely); one that
    does is logged and the chat's next job still runs.
    """

    def __init__(self) -> None:
        self._queues: dict[int, deque[tuple[Callable[[], Awaitable[object]], int | None]]] = {}
        self._held_back: set[int] = set()  # chats whose stored replies wait for the outbox worker

    def __len__(self) -> int:
        return len(self._queues)

    def hold_back(self, chat_id: int) -> None:
        """A stored reply of this chat went to the outbox worker: the chat's replies queued here go there too,
        behind it (see TelegramChannel.send_stored). Forgotten when the chat's queue is empty."""
        self._held_back.add(chat_id)

    def held_back(self, chat_id: int) -> bool:
        return chat_id in self._held_back

    def submit(self, chat_id: int, job: Callable[[], Awaitable[object]], update_id: int | None, spawn: Spawn) -> None:
        queue = self._queues.get(chat_id)
        if queue is not None:
            queue.append((job, update_id))
            return
        self._queues[chat_id] = deque([(job, update_id)])
        spawn(self._drain(chat_id))

    async def _drain(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                job, update_id = queue[0]
                try:
                    await job()
                except Exception as error:  # a bug in a job must not silence the chat
                    log.error("update %s: sending failed with %s", update_id, type(error).__name__, exc_info=error)
                queue.popleft()
        finally:
            del self._queues[chat_id]
            self._held_back.discard(chat_id)
