"""`python -m bot run` with a token also runs the background workers: a lead waiting in the outbox reaches
its agent through the loopback Bot API, the agent's button works, and SIGTERM stops everything cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.leads.records import CITIZEN, LeadStatus
from bot.storage import agents, leads
from bot.storage.db import Database
from bot.storage.migrations import migrate
from tests.factories import PROJECT_ROOT
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_updates import callback_query
from tests.lead_factories import CONTEXT, NAME, new_lead

AGENT = 111


async def a_lead_waiting_for_its_agent(url: str) -> int:
    """What the citizen's flow leaves behind before the bot starts: the agent, the lead, its outbox row."""
    now = datetime.now(UTC)
    async with Database(url) as database:
        await migrate(database)
        async with database.transaction() as connection:
            await agents.add(connection, AGENT, "Đại lý A", "qn-tien-yen", now)
            created = await leads.create(connection, new_lead(), CONTEXT, now, now + timedelta(days=2), CITIZEN)
    return created.lead.id


async def status_of(url: str, lead_id: int) -> LeadStatus:
    async with Database(url) as database, database.transaction() as connection:
        return (await leads.get(connection, lead_id)).status


async def test_run_delivers_the_outbox_to_the_agent_whose_button_works_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    lead_id = await a_lead_waiting_for_its_agent(url)
    async with FakeTelegram() as api:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("TELEGRAM_", "MATCH_", "LEAD_"))}
        env |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": url,
            "OUTBOX_POLL_SECONDS": "0.05",
            "PTB_TIMEDELTA": "true",
            "LOG_LEVEL": "DEBUG",
            "WEB_PORT": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=PROJECT_ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            [notice] = await api.wait_for_replies(AGENT, 1, timeout=60)
            [claim] = [data for label, data in notice.buttons if label == "Nhận"]
            api.enqueue(callback_query(1, AGENT, claim, message_id=notice.message_id))
            await api.wait_for_calls("editMessageText", 1, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode("utf-8")
    assert process.returncode == 0, log
    assert f"Yêu cầu tư vấn mới #{lead_id}" in notice.text
    assert "Đã nhận" in api.sent(AGENT)[0].text
    assert await status_of(url, lead_id) == LeadStatus.CLAIMED
    assert "background workers started" in log and "background workers stopped" in log
    assert "Traceback" not in log
    assert TOKEN.partition(":")[2] not in log
    assert NAME not in log and "0912" not in log
