"""The workers of `python -m bot run` started and stopped together: a failing worker is started again, a
worker stuck in a send is cancelled after the grace period and its message comes back after the lease."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.core.leads.notifications import Notification
from bot.core.types import Button
from bot.storage import outbox
from bot.workers.background import background, supervised
from bot.workers.outbox import OutboxPolicy
from tests.databases import Store
from tests.lead_factories import CONTEXT, NOW, migrated

POLICY = OutboxPolicy(lease=timedelta(minutes=2), poll_seconds=0.01)
NOTICE = Notification(111, "Yêu cầu tư vấn mới #1", (Button("Nhận", "lead:1:claim"),))


async def test_a_worker_that_fails_is_logged_and_started_again(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    calls = 0

    async def run() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug")
        stop.set()

    await asyncio.wait_for(supervised("outbox", run, stop, pause=0.01), 5)
    assert calls == 2
    assert "worker outbox failed with RuntimeError; starting it again" in caplog.text


async def test_both_workers_run_in_the_block_and_stop_with_it(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sent: list[tuple[int, str]] = []
    delivered = asyncio.Event()

    async def send(chat_id: int, text: str, buttons: tuple[Button, ...]) -> None:
        sent.append((chat_id, text))
        delivered.set()

    async with migrated(store) as database:
        async with database.transaction() as connection:
            await outbox.enqueue(connection, NOTICE, kind="lead-new", dedupe_key="n1", now=NOW)
        async with background(database, send, CONTEXT, clock=lambda: NOW, policy=POLICY):
            await asyncio.wait_for(delivered.wait(), 5)
        tasks = {task.get_name() for task in asyncio.all_tasks()}
    assert sent == [(111, NOTICE.text)]
    assert not tasks & {"outbox", "lead-deadlines"}
    assert "background workers stopped" in caplog.text


async def test_a_send_stuck_at_shutdown_is_cancelled_and_its_message_comes_back_after_the_lease(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    started = asyncio.Event()

    async def stuck(chat_id: int, text: str, buttons: tuple[Button, ...]) -> None:
        started.set()
        await asyncio.Event().wait()  # Telegram never answers

    async with migrated(store) as database:
        async with database.transaction() as connection:
            await outbox.enqueue(connection, NOTICE, kind="lead-new", dedupe_key="n1", now=NOW)
        async with background(database, stuck, CONTEXT, clock=lambda: NOW, policy=POLICY, grace=0.05):
            await asyncio.wait_for(started.wait(), 5)
        async with database.transaction() as connection:
            [row] = await outbox.rows(connection)
            again = await outbox.claim_due(connection, NOW + POLICY.lease, 10, POLICY.lease)
    assert "worker outbox did not stop within 0s: cancelled" in caplog.text
    assert row.sent_at is None and row.next_attempt_at == NOW + POLICY.lease
    assert [claimed.notification for claimed in again] == [NOTICE]
