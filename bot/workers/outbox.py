"""Delivers the outbox: claims due rows, sends each through a Sender, records the result.

    await run_outbox(database, send, stop, clock)   # until `stop` is set
    await deliver_due(database, send, clock)        # one pass (tests, the CLI)

A claim is a lease (OutboxPolicy.lease): a worker that dies mid-send leaves the row to come due again when
the lease ends, so it is retried, not lost. Flood control (429) reschedules the row after Telegram's
retry_after; other temporary faults after an exponential backoff; a permanent refusal, or too many
attempts, gives the row up (kept with its last error for staff). Logs name the row, its kind and the
error type, never the text (it holds a citizen's name and phone number).

Citizens' replies (kind "reply") are sent by the handler right after its commit; the worker gets those that
failed there or whose process died. They are tried for as long as Telegram keeps failing, up to
`reply_max_age` (REPLY_RETRY_HOURS) after they were written, with a backoff capped at `reply_max_backoff` so
they leave soon after Telegram is back; a 429's retry_after is waited out whatever its length. A chat's rows
leave in order: the worker claims only the first unsent row of each chat and, once it is sent, goes on with
the chat's next one. When Telegram fails with a network error or a 5xx (not a 429, which concerns one chat),
the rest of the pass is put back for the same time instead of being tried one by one against a server that
is down.

Between Telegram accepting a message and the row being marked sent there is one database write: a crash in
exactly that gap sends the message again after the lease. The Bot API has no idempotency key, so this
window can be made small (it is) but not closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.core.leads.notifications import RetryLater, Sender, Undeliverable
from bot.core.types import Clock
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.outbox import Claimed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxPolicy:
    batch: int = 20  # rows claimed per pass
    lease: timedelta = timedelta(seconds=120)  # longer than any one send may take
    backoff: timedelta = timedelta(seconds=5)  # after the first temporary fault, doubled after each further one
    max_backoff: timedelta = timedelta(hours=1)
    max_attempts: int = 15  # for messages to agents; citizens' replies are bounded by reply_max_age instead
    poll_seconds: float = 2.0  # pause between passes when nothing was due
    reply_max_age: timedelta = timedelta(hours=24)  # a citizen's reply is given up this long after it was written
    reply_max_backoff: timedelta = timedelta(seconds=30)  # a reply is tried this often at least while Telegram fails


@dataclass
class PassReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # claims that ran out before the result was recorded
    put_back: int = 0  # claimed, not tried: Telegram was failing (see the module's docstring)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.lost


def backoff(attempt: int, policy: OutboxPolicy, kind: str = "") -> timedelta:
    """The wait after the `attempt`-th try failed: backoff, 2×backoff, 4×backoff, … up to max_backoff
    (reply_max_backoff for a citizen's reply)."""
    ceiling = policy.reply_max_backoff if kind == outbox.REPLY else policy.max_backoff
    return min(policy.backoff * 2 ** max(attempt - 1, 0), ceiling)


@dataclass(frozen=True)
class Delivered:
    result: str  # "sent", "retried", "failed" or "lost"
    next_in_chat: Claimed | None = None  # the chat's next row, claimed as this one was marked sent
    down_until: datetime | None = None  # Telegram failed (not a 429): the rest of the pass waits until then


def _expired(row: Claimed, now: datetime, policy: OutboxPolicy) -> bool:
    return row.kind == outbox.REPLY and row.created_at is not None and now - row.created_at >= policy.reply_max_age


async def _deliver(database: Database, send: Sender, row: Claimed, clock: Clock, policy: OutboxPolicy) -> Delivered:
    """Send one claimed row and record what happened."""
    if _expired(row, clock(), policy):
        log.warning("outbox %s (%s): not delivered within %s, given up", row.id, row.kind, policy.reply_max_age)
        async with database.transaction() as connection:
            recorded = await outbox.mark_failed(connection, row.id, row.attempt, clock(), "expired")
        return Delivered("failed" if recorded else "lost")
    notification = row.notification
    try:
        await send(notification.chat_id, notification.text, notification.buttons, **notification.options())
    except RetryLater as exc:
        if exc.seconds is not None:
            return Delivered(await _retry(database, row, clock, policy, timedelta(seconds=exc.seconds), str(exc)))
        wait = backoff(row.attempt, policy, row.kind)
        return Delivered(await _retry(database, row, clock, policy, wait, str(exc)), down_until=clock() + wait)
    except Undeliverable as exc:
        log.warning("outbox %s (%s): undeliverable after %d attempt(s): %s", row.id, row.kind, row.attempt, exc)
        async with database.transaction() as connection:
            recorded = await outbox.mark_failed(connection, row.id, row.attempt, clock(), f"undeliverable: {exc}")
        return Delivered("failed" if recorded else "lost")
    except Exception as exc:  # a bug in a sender must not stop the worker: retried with backoff
        log.exception("outbox %s (%s): sender raised %s", row.id, row.kind, type(exc).__name__)
        wait = backoff(row.attempt, policy, row.kind)
        return Delivered(await _retry(database, row, clock, policy, wait, type(exc).__name__))
    now = clock()
    async with database.transaction() as connection:
        recorded = await outbox.mark_sent(connection, row.id, row.attempt, now)
        following = await outbox.claim_next(connection, notification.chat_id, now, policy.lease) if recorded else None
    if not recorded:
        log.warning("outbox %s (%s): sent, but its claim had run out", row.id, row.kind)
    return Delivered("sent" if recorded else "lost", following)


async def _put_back(database: Database, rows: Sequence[Claimed], at: datetime) -> int:
    """Claimed rows not tried (Telegram is failing): due again at `at`."""
    async with database.transaction() as connection:
        for row in rows:
            await outbox.reschedule(connection, row.id, row.attempt, at, "not tried: Telegram was failing")
    return len(rows)


async def _retry(
    database: Database, row: Claimed, clock: Clock, policy: OutboxPolicy, wait: timedelta, error: str
) -> str:
    now = clock()
    async with database.transaction() as connection:
        if row.attempt >= policy.max_attempts and row.kind != outbox.REPLY:
            log.warning("outbox %s (%s): given up after %d attempts (%s)", row.id, row.kind, row.attempt, error)
            recorded = await outbox.mark_failed(connection, row.id, row.attempt, now, error)
            return "failed" if recorded else "lost"
        log.info("outbox %s (%s): attempt %d failed (%s), retry in %.0fs", row.id, row.kind, row.attempt, error,
                 wait.total_seconds())  # fmt: skip
        recorded = await outbox.reschedule(connection, row.id, row.attempt, now + wait, error)
    return "retried" if recorded else "lost"


async def deliver_due(database: Database, send: Sender, clock: Clock, policy: OutboxPolicy | None = None) -> PassReport:
    """One pass: claim the rows due now (up to policy.batch), send them in order, record each result."""
    policy = policy or OutboxPolicy()
    async with database.transaction() as connection:
        claimed = deque(await outbox.claim_due(connection, clock(), policy.batch, policy.lease))
    report = PassReport()
    while claimed:
        row = claimed.popleft()
        delivered = await _deliver(database, send, row, clock, policy)
        setattr(report, delivered.result, getattr(report, delivered.result) + 1)
        if delivered.next_in_chat is not None:
            claimed.appendleft(delivered.next_in_chat)
        if delivered.down_until is not None and claimed:
            report.put_back += await _put_back(database, claimed, delivered.down_until)
            claimed.clear()
    return report


async def run_outbox(
    database: Database,
    send: Sender,
    stop: asyncio.Event,
    clock: Clock,
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
