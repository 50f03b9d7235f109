"""POST /webhooks/telegram over HTTP (httpx on App.web()), on SQLite and PostgreSQL: the handler is the real
Application, as `run` builds it in webhook mode, answering through the loopback Bot API (tests/fakes).

An update is processed inside the request, so when the answer is 200 the update is committed and its replies
are queued for the chat; a chat's replies leave in order, so once a later update's reply has arrived whatever
an earlier one caused has been sent too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.channels.telegram import CHANNEL, Handle, build_application
from bot.channels.telegram.webhook import accepting
from bot.shell.service import Service
from bot.shell.transactions import Retry
from bot.web.webhooks import MAX_UPDATE_BYTES, SECRET_HEADER, TELEGRAM_PATH
from tests.apps import app_on
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.fakes.conftest import ptb_timedelta
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import command, text_message

SECRET = "bi-mat_cua-van-phong_2026"
URL = "https://bot.example.vn/webhooks/telegram"
CHAT = 4242
QUESTION = "mất thẻ bhyt thì làm sao"

__all__ = ["ptb_timedelta"]


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as api:
        yield api


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No traceback, and neither the token nor the webhook's secret, in any log record."""
    with clean_logs(caplog, SECRET):
        yield


def webhook_app(store: Store) -> App:
    return app_on(store, telegram_webhook_url=URL, telegram_webhook_secret=SECRET)


@asynccontextmanager
async def webhook_server(app: App, api: FakeTelegram, handle: Handle | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """The web server with the webhook route, its handler the Application `run` builds (durable replies and
    all); on exit the Application stops, after sending what it queued."""
    routing, ledger = app.telegram_replies()
    if handle is None:
        handle = app.service(CHANNEL, routing).handle
    application = build_application(api.token, api.base_url, handle, desk=app.desk(CHANNEL), replies=ledger)
    async with accepting(application) as handler:
        transport = httpx.ASGITransport(app=app.web(telegram_webhook=handler))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def deliver(client: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    """What Telegram does: POST the update as JSON with the secret header."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await client.post(TELEGRAM_PATH, json=update, headers=headers)


async def test_a_question_by_webhook_is_answered_through_the_bot_api(store: Store, fake_api: FakeTelegram) -> None:
    app = webhook_app(store)
    await app.start()
    try:
        async with webhook_server(app, fake_api) as client:
            response = await deliver(client, text_message(1, CHAT, QUESTION))
            assert response.status_code == 200
            [reply, *_] = await fake_api.wait_for_replies(CHAT, 1)
    finally:
        await app.close()
    assert "thẻ" in reply.text


async def test_a_wrong_or_missing_secret_is_refused_and_the_update_is_not_handled(
    store: Store, fake_api: FakeTelegram
) -> None:
    app = webhook_app(store)
    await app.start()
    try:
        async with webhook_server(app, fake_api) as client:
            wrong = await deliver(client, command(7, CHAT, "start"), secret="doan-bua")
            missing = await deliver(client, command(7, CHAT, "start"), secret=None)
            almost = await deliver(client, command(7, CHAT, "start"), secret=SECRET[:-1])
            assert (wrong.status_code, missing.status_code, almost.status_code) == (401, 401, 401)
            assert fake_api.calls_of("sendMessage") == []
            # the update id was not recorded: Telegram's own delivery, with the secret, is answered
            right = await deliver(client, command(7, CHAT, "start"))
            assert right.status_code == 200
            replies = await fake_api.wait_for_replies(CHAT, 1)
    finally:
        await app.close()
    assert len(replies) == 1


async def test_an_update_delivered_twice_is_answered_once(store: Store, fake_api: FakeTelegram) -> None:
    app = webhook_app(store)
    await app.start()
    try:
        async with webhook_server(app, fake_api) as client:
            first = await deliver(client, text_message(10, CHAT, QUESTION))
            first_replies = len(await fake_api.wait_for_replies(CHAT, 1))
            again = await deliver(client, text_message(10, CHAT, QUESTION))
            assert (first.status_code, again.status_code) == (200, 200)
            await deliver(client, command(11, CHAT, "help"))
            replies = await fake_api.wait_for_replies(CHAT, first_replies + 1)
    finally:
        await app.close()
    assert len(replies) == first_replies + 1
    assert replies[-1].text == app.kb.message("help")


async def test_junk_is_refused_with_400_and_an_oversized_body_with_413(store: Store, fake_api: FakeTelegram) -> None:
    app = webhook_app(store)
    await app.start()
    headers = {SECRET_HEADER: SECRET, "content-type": "application/json"}
    try:
        async with webhook_server(app, fake_api) as client:
            statuses = [
                (await client.post(TELEGRAM_PATH, content=body, headers=headers)).status_code
                for body in (b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "1"}', b"\xff\xfe")
            ]
            huge = await client.post(TELEGRAM_PATH, content=b" " * (MAX_UPDATE_BYTES + 1), headers=headers)
            unauthorised_junk = await client.post(TELEGRAM_PATH, content=b"not json")
    finally:
        await app.close()
    assert statuses == [400] * 5
    assert huge.status_code == 413
    assert unauthorised_junk.status_code == 401  # the secret is checked before anything is read
    assert fake_api.calls_of("sendMessage") == []


async def test_with_the_database_away_the_answer_is_503_and_telegrams_next_delivery_is_answered(
    store: Store, fake_api: FakeTelegram
) -> None:
    app = webhook_app(store)
    await app.start()
    try:
        async with store.unreachable() as away:
            retry = Retry(attempts=2, first_pause=0.01)
            service = Service(away, app.knowledge, app.today, CHANNEL, retry=retry, now=app.clock)
            async with webhook_server(app, fake_api, service.handle) as client:
                refused = await deliver(client, text_message(20, CHAT, QUESTION))
        assert refused.status_code == 503
        assert fake_api.calls_of("sendMessage") == []  # no "busy" text: Telegram delivers the update again
        async with webhook_server(app, fake_api) as client:
            again = await deliver(client, text_message(20, CHAT, QUESTION))
            assert again.status_code == 200
            [reply, *_] = await fake_api.wait_for_replies(CHAT, 1)
    finally:
        await app.close()
    assert "thẻ" in reply.text


async def test_without_a_webhook_handler_the_route_is_not_served(store: Store) -> None:
    app = webhook_app(store)
    transport = httpx.ASGITransport(app=app.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(TELEGRAM_PATH, json=command(1, CHAT, "start"), headers={SECRET_HEADER: SECRET})
    await app.close()
    assert response.status_code in (404, 405)
