"""Delivers the outbox: claims due rows, sends each through a Sender, records the result.

    await run_outbox(database, send, stop)          # until `stop` is set
    await deliver_due(database, send, clock)        # one pass (tests, the CLI)

A claim is a lease (OutboxPolicy.lease): a worker that dies mid-send leaves the row to come due again when
the lease ends, so it is retried, not lost. Flood control (429) reschedules the row after Telegram's
retry_after; other temporary faults after an exponential backoff; a permanent refusal, or too many
attempts, gives the row up (kept with its last error for staff). Logs name the row, its kind and the
error type, never the text (it holds a citizen's name and phone number).

Between Telegram accepting a message and the row being marked sent there is one database write: a crash in
exactly that gap sends the message again after the lease. The Bot API has no idempotency key, so this
window can be made small (it is) but not closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.core.notifications import RetryLater, Sender, Undeliverable
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.outbox import Claimed

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxPolicy:
    batch: int = 20  # rows claimed per pass
    lease: timedelta = timedelta(seconds=120)  # longer than any one send may take
    backoff: timedelta = timedelta(seconds=5)  # after the first temporary fault, doubled after each further one
    max_backoff: timedelta = timedelta(hours=1)
    max_attempts: int = 15
    poll_seconds: float = 2.0  # pause between passes when nothing was due


@dataclass
class PassReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # claims that ran out before the result was recorded

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.lost


def backoff(attempt: int, policy: OutboxPolicy) -> timedelta:
    """The wait after the `attempt`-th try failed: backoff, 2×backoff, 4×backoff, … up to max_backoff."""
    return min(policy.backoff * 2 ** max(attempt - 1, 0), policy.max_backoff)


async def _deliver(database: Database, send: Sender, row: Claimed, clock: Clock, policy: OutboxPolicy) -> str:
    """Send one claimed row and record what happened: "sent", "retried", "failed" or "lost"."""
    try:
        await send(row.notification.chat_id, row.notification.text, row.notification.buttons)
    except RetryLater as exc:
        wait = timedelta(seconds=exc.seconds) if exc.seconds is not None else backoff(row.attempt, policy)
        return await _retry(database, row, clock, policy, wait, str(exc))
    except Undeliverable as exc:
        log.warning("outbox %s (%s): undeliverable after %d attempt(s): %s", row.id, row.kind, row.attempt, exc)
        async with database.transaction() as connection:
            recorded = await outbox.mark_failed(connection, row.id, row.attempt, clock(), f"undeliverable: {exc}")
        return "failed" if recorded else "lost"
    except Exception as exc:  # a bug in a sender must not stop the worker: retried with backoff
        log.exception("outbox %s (%s): sender raised %s", row.id, row.kind, type(exc).__name__)
        return await _retry(database, row, clock, policy, backoff(row.attempt, policy), type(exc).__name__)
    async with database.transaction() as connection:
        recorded = await outbox.mark_sent(connection, row.id, row.attempt, clock())
    if not recorded:
        log.warning("outbox %s (%s): sent, but its claim had run out", row.id, row.kind)
    return "sent" if recorded else "lost"


async def _retry(
    database: Database, row: Claimed, clock: Clock, policy: OutboxPolicy, wait: timedelta, error: str
) -> str:
    now = clock()
    async with database.transaction() as connection:
        if row.attempt >= policy.max_attempts:
            log.warning("outbox %s (%s): given up after %d attempts (%s)", row.id, row.kind, row.attempt, error)
            recorded = await outbox.mark_failed(connection, row.id, row.attempt, now, error)
            return "failed" if recorded else "lost"
        log.info("outbox %s (%s): attempt %d failed (%s), retry in %.0fs", row.id, row.kind, row.attempt, error,
                 wait.total_seconds())  # fmt: skip
        recorded = await outbox.reschedule(connection, row.id, row.attempt, now + wait, error)
    return "retried" if recorded else "lost"


async def deliver_due(
    database: Database, send: Sender, clock: Clock = utc_clock, policy: OutboxPolicy | None = None
) -> PassReport:
    """One pass: claim the rows due now (up to policy.batch), send them in order, record each result."""
    policy = policy or OutboxPolicy()
    async with database.transaction() as connection:
        claimed = await outbox.claim_due(connection, clock(), policy.batch, policy.lease)
    report = PassReport()
    for row in claimed:
        result = await _deliver(database, send, row, clock, policy)
        setattr(report, result, getattr(report, result) + 1)
    return report


async def run_outbox(
    database: Database,
    send: Sender,
    stop: asyncio.Event,
    clock: Clock = utc_clock,
    policy: OutboxPolicy | None = None,
) -> None:
    """Deliver until `stop` is set: a full batch is followed at once by the next pass, otherwise the worker
    waits poll_seconds (or until stopped). A database fault is logged and the pass tried again later."""
    policy = policy or OutboxPolicy()
    while not stop.is_set():
        try:
            report = await deliver_due(database, send, clock, policy)
        except (OSError, SQLAlchemyError) as exc:
            log.warning("outbox: database unavailable (%s), retrying", type(exc).__name__)
            report = PassReport()
        if report.handled < policy.batch:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), policy.poll_seconds)
