"""Citizens' replies that neither Telegram failing nor the process dying can lose (part of the shell).

The service writes each reply into the outbox (bot/storage/outbox.py) in the transaction that records the
update and saves the session, one row per message the channel sends, leased to this process:

    handle: record update -> decide -> save session -> write the replies (leased to us)   -> commit
    channel: send each reply at once, in the chat's order -> ReplyLedger.sent (recorded as sent)
             Telegram failing (5xx after a few quick tries, a long 429) -> ReplyLedger.later: the worker
             (bot/workers/outbox.py) takes the row and the chat's later ones, in order, until Telegram is back
    process killed -> the lease runs out and the worker sends what was not marked sent

So a reply leaves without waiting for the worker, and the worker only sees rows that failed or whose
process died. A reply can be sent twice only if the process dies between Telegram accepting it and the row
being marked sent (the Bot API has no idempotency key). Marks cost no transaction of their own when
messages keep coming: the next message's transaction records the replies sent since the previous one
(`sent_marks`); only when none begins within `linger` (50 ms) does the ledger commit them itself. So that
window is at most a few tens of milliseconds. `sent` returns once the mark is committed, so a chat's next
message waits that long at most, and a bot that stops has recorded everything it sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.leads.notifications import Notification
from bot.core.types import Clock, Outcome, Reply
from bot.storage import outbox
from bot.storage.db import Database

log = logging.getLogger(__name__)

# The worker leaves a reply alone this long while its handler sends it (renewed if sending takes longer): the
# replies of a process killed outright go out this long after, and the chat's next ones behind them.
DEFAULT_LEASE = timedelta(seconds=30)
RETRY_IN = timedelta(seconds=5)  # a reply the handler could not send is tried by the worker after this
MARK_ATTEMPTS = 3  # tries to record replies as sent when the database is briefly away
# s a sent reply waits for a message's transaction to record it before the ledger commits it: longer than the
# gap between messages at Telegram's cap (30 msg/s), so at that rate marks cost no transaction of their own.
LINGER = 0.05


@dataclass(frozen=True)
class ReplyRouting:
    """What the service needs to write a channel's replies to the outbox."""

    chat_id: Callable[[str], int | None]  # the session key's chat on the channel; None: not durable
    split: Callable[[Reply], Sequence[Reply]]  # one reply as the messages the channel sends, in order
    owner: str  # this process, as the rows it is sending name it
    lease: timedelta = DEFAULT_LEASE
    ledger: ReplyLedger | None = None  # its marks ride on the service's transactions (sent_marks)


@dataclass(frozen=True)
class QueuedReply:
    """One message of a reply, stored in the outbox row `row_id` and leased to this process as `attempt`."""

    row_id: int
    attempt: int
    reply: Reply


@dataclass(frozen=True)
class Handled(Outcome):
    """The outcome, with its replies stored: `queued` are the messages to send, in order, when `inline`;
    otherwise an earlier reply of the chat is still waiting and the worker sends these after it."""

    queued: tuple[QueuedReply, ...] = ()
    inline: bool = True


async def queue_replies(
    connection: AsyncConnection, outcome: Outcome, chat: str, key: str, routing: ReplyRouting, now: datetime
) -> Outcome:
    """Store the outcome's replies in the message's transaction; the outcome as a Handled."""
    chat_id = routing.chat_id(chat)
    messages = [message for reply in outcome.replies for message in routing.split(reply)]
    if chat_id is None or not messages:
        return outcome
    notes = [Notification(chat_id, m.text, m.buttons, m.contact_request, m.clear_keyboard, m.chart) for m in messages]
    stored = await outbox.enqueue_replies(connection, notes, key=key, owner=routing.owner, now=now, lease=routing.lease)
    queued = tuple(QueuedReply(row_id, stored.attempt, m) for row_id, m in zip(stored.ids, messages, strict=True))
    return Handled(outcome.replies, outcome.effects, outcome.session, queued, stored.inline)


async def forget_replies(connection: AsyncConnection, chat: str, routing: ReplyRouting) -> int:
    """/xoadulieu: the chat's stored replies that were sent (or given up) are deleted; how many."""
    chat_id = routing.chat_id(chat)
    return await outbox.forget_replies(connection, chat_id) if chat_id is not None else 0


@dataclass(frozen=True)
class Mark:
    """A reply Telegram accepted, to be recorded as sent; `recorded` is resolved once it is."""

    row_id: int
    attempt: int
    recorded: asyncio.Future[None]


async def record_marks(connection: AsyncConnection, marks: Sequence[Mark], now: datetime) -> None:
    if marks:
        await outbox.mark_many_sent(connection, [(mark.row_id, mark.attempt) for mark in marks], now)


def recorded(marks: Sequence[Mark]) -> None:
    for mark in marks:
        if not mark.recorded.done():
            mark.recorded.set_result(None)


class SentMarks:
    """The marks a message's transaction records (see `sent_marks`)."""

    def __init__(self, marks: list[Mark], now: Clock) -> None:
        self.marks = marks
        self.now = now

    async def record(self, connection: AsyncConnection) -> None:
        await record_marks(connection, self.marks, self.now())


@asynccontextmanager
async def sent_marks(routing: ReplyRouting | None, now: Clock) -> AsyncIterator[SentMarks]:
    """Around a message's transaction: `record(connection)` in it records the replies sent since the last
    commit; they count as recorded once the transaction commits, and are put back if it fails."""
    ledger = routing.ledger if routing is not None else None
    marks = ledger.take() if ledger is not None else []
    try:
        yield SentMarks(marks, now)
    except BaseException:
        if ledger is not None and marks:
            ledger.put_back(marks)
        raise
    recorded(marks)


class ReplyLedger:
    """What the channel tells the outbox about the replies it sends. Database faults are logged, never
    raised: a row left unmarked is sent by the worker when its lease ends."""

    def __init__(
        self,
        database: Database,
        owner: str,
        lease: timedelta = DEFAULT_LEASE,
        retry_in: timedelta = RETRY_IN,
        *,
        now: Clock,
        linger: float = LINGER,
    ) -> None:
        self.database = database
        self.owner = owner
        self.lease = lease
        self.retry_in = retry_in
        self.now = now
        self.linger = linger
        self._marks: list[Mark] = []  # sent, not yet recorded
        self._flusher: asyncio.Task[None] | None = None

    @property
    def lease_seconds(self) -> float:
        return self.lease.total_seconds()

    async def sent(self, row: QueuedReply) -> None:
        """Record that Telegram accepted the message: returns once a transaction has (see the docstring)."""
        recorded = asyncio.get_running_loop().create_future()
        self._marks.append(Mark(row.row_id, row.attempt, recorded))
        self._wake()
        await asyncio.shield(recorded)

    def _wake(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    def take(self) -> list[Mark]:
        """The marks not yet recorded, for a transaction to record (put_back if it fails)."""
        taken, self._marks = self._marks, []
        return taken

    def put_back(self, marks: list[Mark]) -> None:
        self._marks[:0] = marks
        self._wake()

    async def _flush(self) -> None:
        while self._marks:
            await asyncio.sleep(self.linger)  # a message's transaction may record them meanwhile
            marks = self.take()
            if marks:
                await self._record(marks)

    async def _record(self, marks: list[Mark]) -> None:
        for attempt in range(1, MARK_ATTEMPTS + 1):
            try:
                async with self.database.transaction(short=True) as connection:
                    await record_marks(connection, marks, self.now())
                break
            except (SQLAlchemyError, OSError) as error:
                if attempt == MARK_ATTEMPTS:
                    log.warning("%d sent replies not recorded (%s): sent again when their lease ends",
                                len(marks), type(error).__name__)  # fmt: skip
                    break
                await asyncio.sleep(0.1 * 2**attempt)
        recorded(marks)

    async def later(self, row: QueuedReply, wait: float | None, error: str) -> None:
        """Hand the row to the worker: tried after `wait` seconds (Telegram's retry_after) or after a backoff."""
        delay = timedelta(seconds=wait) if wait is not None else self.retry_in
        await self._update(row, "handed to the worker", lambda c: outbox.reschedule(
            c, row.row_id, row.attempt, self.now() + delay, error))  # fmt: skip

    async def release(self, row: QueuedReply) -> None:
        """Hand the row to the worker at once: it waits behind an earlier reply of its chat that is waiting."""
        await self._update(row, "released", lambda c: outbox.reschedule(
            c, row.row_id, row.attempt, self.now(), "waiting behind an earlier reply"))  # fmt: skip

    async def refused(self, row: QueuedReply, error: str) -> None:
        """Telegram refused the message for good (blocked, a bad request): it is not tried again."""
        await self._update(row, "given up", lambda c: outbox.mark_failed(
            c, row.row_id, row.attempt, self.now(), f"undeliverable: {error}"))  # fmt: skip

    async def renew(self, row: QueuedReply) -> QueuedReply | None:
        """The row with its lease extended, or None if the lease ran out and the worker may have taken it."""
        try:
            async with self.database.transaction(short=True) as connection:
                attempt = await outbox.renew(connection, row.row_id, row.attempt, self.owner, self.now(), self.lease)
        except (SQLAlchemyError, OSError) as error:
            log.warning("outbox %s: lease not renewed (%s)", row.row_id, type(error).__name__)
            return None
        return replace(row, attempt=attempt) if attempt is not None else None

    async def _update(self, row: QueuedReply, what: str, change: Callable[[AsyncConnection], Awaitable[bool]]) -> None:
        try:
            async with self.database.transaction(short=True) as connection:
                done = await change(connection)
        except (SQLAlchemyError, OSError) as error:
            log.warning("outbox %s: reply not %s (%s); the worker takes it when its lease ends",
                        row.row_id, what, type(error).__name__)  # fmt: skip
            return
        if not done:
            log.info("outbox %s: reply not %s: its lease had run out", row.row_id, what)
