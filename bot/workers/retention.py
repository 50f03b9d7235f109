"""Personal data is kept no longer than promised.

Once an hour (`sweep_once`): the personal data of leads older than LEAD_RETENTION_DAYS (the figure the consent
text states) is erased and older interest signals deleted; interactions older than INTERACTION_RETENTION_DAYS
(a question may hold a name typed in it), chat sessions idle that long and outbox rows sent that long ago are
deleted, a bounded batch per transaction like the pruning of processed updates (bot.workers.pruning).

Every few minutes (`drop_abandoned_once`): a call-back request abandoned half-way loses what it collected (a
name, a phone number) once its chat has been quiet for FLOW_IDLE_MINUTES, so within FLOW_IDLE_MINUTES plus
ABANDONED_FLOWS_EVERY_SECONDS.

    await run_retention(database, retention, stop, clock)        # until `stop` is set (the background workers)
    await run_abandoned_flows(database, flow_idle, stop, clock)  # the same
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.core.leads.consent import DEFAULT_INTERACTION_RETENTION_DAYS
from bot.core.types import Clock
from bot.storage import abandoned_flows, interactions, leads, outbox, sessions
from bot.storage.db import Database
from bot.workers.periodic import every
from bot.workers.pruning import ROWS_PER_TRANSACTION, in_batches

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 3600.0
ABANDONED_FLOWS_EVERY_SECONDS = 120.0
LEAD_FLOW = "lead"


@dataclass(frozen=True)
class Retention:
    lead_days: int  # LEAD_RETENTION_DAYS
    flow_idle: timedelta  # FLOW_IDLE_MINUTES: a flow untouched this long is over
    # INTERACTION_RETENTION_DAYS: the interaction log, idle chat sessions, sent outbox rows
    interaction_days: int = DEFAULT_INTERACTION_RETENTION_DAYS


@dataclass(frozen=True)
class SweepReport:
    leads: int
    signals: int
    interactions: int = 0
    sessions: int = 0
    outbox: int = 0


async def sweep_once(
    database: Database, retention: Retention, clock: Clock, chunk: int = ROWS_PER_TRANSACTION
) -> SweepReport:
    """One hourly sweep; the log, idle sessions and sent outbox rows `chunk` rows per transaction."""
    now = clock()
    async with database.transaction() as connection:
        purged = await leads.purge(connection, now - timedelta(days=retention.lead_days), now)
    cutoff = now - timedelta(days=retention.interaction_days)
    report = SweepReport(
        purged.leads,
        purged.signals,
        interactions=await in_batches(database, lambda c, n: interactions.forget_before(c, cutoff, n), chunk),
        sessions=await in_batches(database, lambda c, n: sessions.forget_idle(c, cutoff, n), chunk),
        outbox=await in_batches(database, lambda c, n: outbox.forget_sent_before(c, cutoff, n), chunk),
    )
    if report.leads or report.signals:
        log.info("retention: personal data erased from %d lead(s), %d signal(s) deleted", report.leads, report.signals)
    if report.interactions or report.sessions or report.outbox:
        log.info(
            "retention: %d interaction(s), %d idle chat session(s), %d sent outbox row(s) older than %d days deleted",
            report.interactions,
            report.sessions,
            report.outbox,
            retention.interaction_days,
        )
    return report


async def drop_abandoned_once(database: Database, flow_idle: timedelta, clock: Clock) -> int:
    """Drop the call-back requests of chats quiet for `flow_idle`; how many were dropped."""
    async with database.transaction() as connection:
        dropped = await abandoned_flows.drop_idle_flows(connection, LEAD_FLOW, clock() - flow_idle)
    if dropped:
        log.info("retention: %d abandoned call-back request(s) dropped with what they collected", dropped)
    return dropped


async def run_retention(
    database: Database,
    retention: Retention,
    stop: asyncio.Event,
    clock: Clock,
    every_seconds: float = CHECK_EVERY_SECONDS,
) -> None:
    """Sweep every `every_seconds` until `stop` is set."""
    await every(every_seconds, lambda: sweep_once(database, retention, clock), stop, "retention")


async def run_abandoned_flows(
    database: Database,
    flow_idle: timedelta,
    stop: asyncio.Event,
    clock: Clock,
    every_seconds: float = ABANDONED_FLOWS_EVERY_SECONDS,
) -> None:
    """Drop abandoned call-back requests every `every_seconds` until `stop` is set."""
    await every(every_seconds, lambda: drop_abandoned_once(database, flow_idle, clock), stop, "abandoned requests")
