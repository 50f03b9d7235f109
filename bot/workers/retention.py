"""Personal data is kept no longer than promised: once an hour, the personal data of leads older than the
retention period (LEAD_RETENTION_DAYS, the figure the consent text states) is erased, older interest signals
are deleted, and call-back requests abandoned half-way lose what they collected."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.storage import abandoned_flows, leads
from bot.storage.db import Database
from bot.workers.outbox import Clock, utc_clock
from bot.workers.periodic import every

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 3600.0
LEAD_FLOW = "lead"


@dataclass(frozen=True)
class Retention:
    lead_days: int  # LEAD_RETENTION_DAYS
    flow_idle: timedelta  # FLOW_IDLE_MINUTES: a flow untouched this long is over


@dataclass(frozen=True)
class SweepReport:
    leads: int
    signals: int
    flows: int


async def sweep_once(database: Database, retention: Retention, clock: Clock = utc_clock) -> SweepReport:
    now = clock()
    async with database.transaction() as connection:
        purged = await leads.purge(connection, now - timedelta(days=retention.lead_days), now)
        flows = await abandoned_flows.drop_idle_flows(connection, LEAD_FLOW, now - retention.flow_idle)
    report = SweepReport(purged.leads, purged.signals, flows)
    if report.leads or report.signals or report.flows:
        log.info(
            "retention: personal data erased from %d lead(s), %d signal(s) deleted, %d abandoned request(s) dropped",
            report.leads,
            report.signals,
            report.flows,
        )
    return report


async def run_retention(
    database: Database,
    retention: Retention,
    stop: asyncio.Event,
    clock: Clock = utc_clock,
    every_seconds: float = CHECK_EVERY_SECONDS,
) -> None:
    """Sweep every `every_seconds` until `stop` is set."""
    await every(every_seconds, lambda: sweep_once(database, retention, clock), stop, "retention")
