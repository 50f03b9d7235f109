"""Leads not contacted in time: the agent is reminded and the office chat told (through the outbox)."""

from __future__ import annotations

import asyncio
import logging

from bot.core.leads.routing import LeadContext
from bot.core.types import Clock
from bot.storage import leads
from bot.storage.db import Database
from bot.workers.periodic import every

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 300.0


async def escalate_once(database: Database, context: LeadContext, clock: Clock) -> list[int]:
    """One check; the ids of the leads escalated now."""
    async with database.transaction() as connection:
        escalated = await leads.escalate_overdue(connection, context, clock())
    if escalated:
        log.info("leads overdue for first contact, escalated: %s", ",".join(map(str, escalated)))
    return escalated


async def run_deadlines(
    database: Database,
    context: LeadContext,
    stop: asyncio.Event,
    clock: Clock,
    every_seconds: float = CHECK_EVERY_SECONDS,
) -> None:
    """Check every `every_seconds` until `stop` is set."""
    await every(every_seconds, lambda: escalate_once(database, context, clock), stop, "lead deadlines")
