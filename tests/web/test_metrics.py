"""GET /metrics over HTTP (httpx on App.web()), on SQLite and PostgreSQL: Prometheus' text format, counters that
move as the service commits messages, the outbox depth read from the database, send errors.

The counters belong to the process (as Prometheus expects), so tests compare before and after.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import App
from bot.channels.telegram import CHANNEL, build_application
from bot.channels.telegram.application import chat_key
from bot.channels.telegram.webhook import accepting
from bot.core.types import Inbound, InboundKind
from bot.shell.metrics import CONTENT_TYPE, Metrics, decision_of
from bot.web.webhooks import SECRET_HEADER, TELEGRAM_PATH
from tests.apps import app_on
from tests.databases import Store
from tests.fakes.conftest import ptb_timedelta
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import text_message

QUESTION = "mất thẻ bhyt thì làm sao"
SECRET = "bi-mat_2026"
SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (\S+)$")

__all__ = ["ptb_timedelta"]


@pytest.fixture
async def app(store: Store) -> AsyncIterator[App]:
    app = app_on(store, telegram_webhook_url="https://bot.example.vn/webhooks/telegram", telegram_webhook_secret=SECRET)
    await app.start()
    yield app
    await app.close()


def samples(text: str) -> dict[str, float]:
    """`name{labels}` -> value for every sample line; every other line is a # HELP or # TYPE comment."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# "):
            assert line.startswith(("# HELP ", "# TYPE ")), line
            continue
        match = SAMPLE.match(line)
        assert match is not None, line
        found[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return found


async def scrape(app: App) -> dict[str, float]:
    transport = httpx.ASGITransport(app=app.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    return samples(response.text)


async def test_messages_are_counted_by_channel_and_decision_with_their_latency(app: App) -> None:
    service = app.service(CHANNEL)
    before = await scrape(app)
    outcome = await service.handle(Inbound(chat_key(31), InboundKind.TEXT, text=QUESTION), 1)
    duplicate = await service.handle(Inbound(chat_key(31), InboundKind.TEXT, text=QUESTION), 1)
    after = await scrape(app)
    assert duplicate is None
    answered = f'bot_messages_total{{channel="telegram",decision="{decision_of(outcome)}"}}'
    repeated = 'bot_messages_total{channel="telegram",decision="duplicate"}'
    assert after[answered] - before.get(answered, 0) == 1
    assert after[repeated] - before.get(repeated, 0) == 1
    assert after["bot_reply_seconds_count"] - before["bot_reply_seconds_count"] == 1  # a duplicate has no reply
    assert after['bot_reply_seconds_bucket{le="+Inf"}'] == after["bot_reply_seconds_count"]


async def test_the_outbox_gauge_counts_replies_waiting_to_be_sent(app: App) -> None:
    assert (await scrape(app))["bot_outbox_pending"] == 0
    routing, _ = app.telegram_replies()
    service = app.service(CHANNEL, routing)  # replies stored in the outbox; nobody sends them here
    outcome = await service.handle(Inbound(chat_key(32), InboundKind.TEXT, text=QUESTION), 1)
    assert outcome is not None
    queued = len(getattr(outcome, "queued", ()))
    assert queued >= 1
    assert (await scrape(app))["bot_outbox_pending"] == queued


async def test_without_the_database_the_counters_are_still_served_without_the_gauge(store: Store, app: App) -> None:
    async with store.unreachable() as away:
        found = await scrape(app.on(away))
    assert "bot_outbox_pending" not in found
    assert "bot_reply_seconds_count" in found


async def test_a_reply_telegram_refuses_is_counted_as_a_send_error(app: App) -> None:
    name = 'bot_send_errors_total{channel="telegram"}'
    before = (await scrape(app)).get(name, 0)
    async with FakeTelegram() as api:
        api.fail("sendMessage", 403)  # the citizen blocked the bot
        routing, ledger = app.telegram_replies()
        application = build_application(api.token, api.base_url, app.service(CHANNEL, routing).handle, replies=ledger)
        async with accepting(application) as handler:
            transport = httpx.ASGITransport(app=app.web(telegram_webhook=handler))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                response = await client.post(
                    TELEGRAM_PATH, json=text_message(5, 33, QUESTION), headers={SECRET_HEADER: SECRET}
                )
            assert response.status_code == 200
            await api.wait_for_calls("sendMessage", 1)
        # the Application has stopped: the refused send is done with
    assert (await scrape(app))[name] - before >= 1


def test_the_exposition_escapes_label_values_and_ends_with_a_newline() -> None:
    metrics = Metrics()
    metrics.messages.inc('te"le\\gram', "answer")
    text = metrics.exposition(outbox_pending=3)
    assert 'bot_messages_total{channel="te\\"le\\\\gram",decision="answer"} 1\n' in text
    assert text.endswith("bot_outbox_pending 3\n")
