"""The background workers of a running bot: outbox delivery, the lead deadlines, the pruning of processed
updates, the retention sweep, the sweep of abandoned call-back requests (bot.workers.retention) and the
following of published knowledge revisions (bot.workers.knowledge_reload), started and stopped together.

    async with background(database, send, context, clock=clock):  # they run while the block does
        await serve(...)

On leaving the block both are told to stop: each finishes what it is doing (a send in progress is recorded)
and returns. One still busy after `grace` seconds is cancelled; a claimed outbox row it held comes due again
when its lease ends, so nothing is lost. A worker that fails on something unexpected is logged and
started again after a pause, so one bad row cannot stop the notifications for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from bot.core.leads.notifications import Sender
from bot.core.leads.routing import LeadContext
from bot.core.types import Clock
from bot.storage.db import Database
from bot.workers.knowledge_reload import run_knowledge_reload
from bot.workers.lead_deadlines import CHECK_EVERY_SECONDS, run_deadlines
from bot.workers.outbox import OutboxPolicy, run_outbox
from bot.workers.pruning import run_pruning
from bot.workers.retention import ABANDONED_FLOWS_EVERY_SECONDS, Retention, run_abandoned_flows, run_retention

log = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 5.0
GRACE_SECONDS = 30.0


async def supervised(
    name: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event, pause: float = RESTART_PAUSE_SECONDS
) -> None:
    """`run()` until `stop` is set; started again after `pause` if it fails."""
    while not stop.is_set():
        try:
            await run()
        except Exception as exc:
            log.exception("worker %s failed with %s; starting it again in %.0fs", name, type(exc).__name__, pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)


@asynccontextmanager
async def background(
    database: Database,
    send: Sender,
    context: LeadContext,
    *,
    clock: Clock,
    policy: OutboxPolicy | None = None,
    deadline_every_seconds: float = CHECK_EVERY_SECONDS,
    grace: float = GRACE_SECONDS,
    retention: Retention | None = None,
    abandoned_flows_every_seconds: float = ABANDONED_FLOWS_EVERY_SECONDS,
    follow_knowledge: Callable[[], Awaitable[bool]] | None = None,
    knowledge_poll_seconds: float = 3.0,
    more: Sequence[tuple[str, Callable[[asyncio.Event], Awaitable[None]]]] = (),
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    policy = policy or OutboxPolicy()
    workers = [
        asyncio.create_task(
            supervised("outbox", lambda: run_outbox(database, send, stop, clock, policy), stop), name="outbox"
        ),
        asyncio.create_task(
            supervised(
                "lead-deadlines", lambda: run_deadlines(database, context, stop, clock, deadline_every_seconds), stop
            ),
            name="lead-deadlines",
        ),
        asyncio.create_task(
            supervised("pruning", lambda: run_pruning(database, stop, clock), stop), name="processed-updates-pruning"
        ),
    ]
    if retention is not None:
        sweep = asyncio.create_task(
            supervised("retention", lambda: run_retention(database, retention, stop, clock), stop), name="retention"
        )
        workers.append(sweep)
        flow_idle, period = retention.flow_idle, abandoned_flows_every_seconds
        abandoned = asyncio.create_task(
            supervised("abandoned-flows", lambda: run_abandoned_flows(database, flow_idle, stop, clock, period), stop),
            name="abandoned-flows",
        )
        workers.append(abandoned)
    if follow_knowledge is not None:
        follow, every = follow_knowledge, knowledge_poll_seconds
        reload = asyncio.create_task(
            supervised("knowledge-reload", lambda: run_knowledge_reload(database, follow, stop, every), stop),
            name="knowledge-reload",
        )
        workers.append(reload)
    for name, run in more:  # channel workers (the Zalo OA's events): `run(stop)` until stop is set
        workers.append(asyncio.create_task(supervised(name, lambda run=run: run(stop), stop), name=name))  # type: ignore[misc]
    log.info("background workers started: %s", ", ".join(task.get_name() for task in workers))
    try:
        yield
    finally:
        stop.set()
        _, busy = await asyncio.wait(workers, timeout=grace)
        for task in busy:
            log.warning("worker %s did not stop within %.0fs: cancelled", task.get_name(), grace)
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        log.info("background workers stopped")
