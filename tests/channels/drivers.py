"""One citizen on one channel, behind the same small interface, for the channel contract of issue 17
(tests/channels/test_channel_contract.py): each driver runs the bot as that channel runs it, on a test's
database, against the channel's loopback fake, and turns what the citizen does into what the platform sends.

    async with DRIVERS["zalo_oa"](store) as citizen:
        texts = await citizen.say("bhxh tu nguyen dong bao nhieu 1 thang")   # the texts the citizen sees
        texts = await citizen.choose("Tính cho tôi")                          # a button or choice shown last

- Telegram: the real Application (build_application) polling FakeTelegram; a choice is its inline button
  pressed (a callback query with the button's data, on the message that carries it).
- Web chat: app.web() over httpx's ASGI transport; a choice is POST /chat/messages with the button's `press`.
- Zalo Bot Platform: POST /webhooks/zalo-bot with its secret, replies sent to FakeZaloBot; a choice is its
  number typed ("1"), or the line's text where the choices are numbers themselves ("12 tháng").
- Zalo OA: signed POST /webhooks/zalo-oa, then the OA worker drains the stored events and sends to FakeZaloOa;
  a choice is its button's hidden payload, or the key of its numbered line typed.

`choose(label)` presses the choice whose label contains `label`, among the choices shown last; `transcript`
is everything the citizen has seen, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from bot.app import App
from bot.channels.telegram import CHANNEL, RetryPolicy, build_application, chat_key, running
from bot.channels.zalo_bot import RetryPolicy as ZaloBotRetryPolicy
from bot.channels.zalo_bot import ZaloBotClient
from bot.channels.zalo_oa.client import RetryPolicy as ZaloOaRetryPolicy
from bot.channels.zalo_oa.client import ZaloOaClient
from bot.core.leads.consent import ConsentChannel
from bot.shell import zalo_oa_tokens
from bot.workers.inbound_events import ZaloOaEvents
from bot.workers.zalo_bot_events import ZaloBotEvents
from tests.apps import app_on
from tests.channels.conversations import Conversation
from tests.databases import Store
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api import Sent as TelegramSent
from tests.fakes.telegram_updates import callback_query, command
from tests.fakes.zalo_bot_api import FakeZaloBot, text_event
from tests.fakes.zalo_oa_api import APP_ID, SECRET_KEY, FakeZaloOa, signed
from tests.fakes.zalo_oa_api import Sent as ZaloOaSent
from tests.fakes.zalo_oa_api import text_event as oa_text_event

ZALO_BOT_SECRET = "zalo-bi-mat-cua-van-phong"
TELEGRAM_CITIZEN = 4001
ZALO_CITIZEN = "c0ffee1234"
OA_CITIZEN = "8419876543210987654"


class Citizen(Protocol):
    """What the conversation script needs of a channel."""

    app: App
    consent_channel: ConsentChannel  # recorded with a lead given on this channel
    transcript: list[str]  # every text the citizen has seen, in order

    async def say(self, text: str) -> list[str]:
        """Type `text`; the texts the citizen sees in answer."""
        ...

    async def choose(self, label: str) -> list[str]:
        """Press the button (or choice) shown last whose label contains `label`; the texts seen in answer."""
        ...

    async def session_key(self) -> str:
        """The key the bot keeps this citizen's conversation (and call-back request) under."""
        ...


def no_choice(label: str, shown: object) -> AssertionError:
    return AssertionError(f"no choice containing {label!r} among {shown!r}")


# -- Telegram ------------------------------------------------------------------------------------------


class TelegramCitizen:
    consent_channel = ConsentChannel.TELEGRAM

    def __init__(self, app: App, api: FakeTelegram) -> None:
        self.app = app
        self.talk = Conversation(api, TELEGRAM_CITIZEN)
        self.shown: list[TelegramSent] = []
        self.transcript: list[str] = []

    def _seen(self, messages: list[TelegramSent]) -> list[str]:
        self.shown = messages
        texts = [message.text for message in messages]
        self.transcript += texts
        return texts

    async def say(self, text: str) -> list[str]:
        if text.startswith("/") and " " not in text:  # a Telegram client marks a typed command as such
            return self._seen(await self.talk.send(command, TELEGRAM_CITIZEN, text.removeprefix("/")))
        return self._seen(await self.talk.say(text))

    async def choose(self, label: str) -> list[str]:
        found = [(m, data) for m in self.shown for text, data in m.buttons if label in text]
        if not found:
            raise no_choice(label, [m.buttons for m in self.shown])
        message, data = found[0]
        return self._seen(await self.talk.send(callback_query, TELEGRAM_CITIZEN, data, message.message_id))

    async def session_key(self) -> str:
        return chat_key(TELEGRAM_CITIZEN)


@asynccontextmanager
async def telegram(store: Store) -> AsyncIterator[TelegramCitizen]:
    """One bot process with the real Application polling the loopback Bot API."""
    async with FakeTelegram() as api:
        app = app_on(store)
        await app.start()
        try:
            application = build_application(
                api.token, api.base_url, app.service(CHANNEL).handle, policy=RetryPolicy(backoff=0.01)
            )
            async with running(application, poll_timeout=1):
                yield TelegramCitizen(app, api)
        finally:
            await app.close()


# -- the web chat --------------------------------------------------------------------------------------


class WebCitizen:
    consent_channel = ConsentChannel.WEB

    def __init__(self, app: App, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self.count = 0
        self.shown: list[dict[str, Any]] = []
        self.transcript: list[str] = []

    async def _post(self, **body: str) -> list[str]:
        self.count += 1
        response = await self.client.post("/chat/messages", json={"client_msg_id": f"m-{self.count}", **body})
        assert response.status_code == 200, response.text
        self.shown = response.json()["replies"]
        texts = [reply["text"] for reply in self.shown]
        self.transcript += texts
        return texts

    async def say(self, text: str) -> list[str]:
        return await self._post(text=text)

    async def choose(self, label: str) -> list[str]:
        found = [button["press"] for reply in self.shown for button in reply["buttons"] if label in button["text"]]
        if not found:
            raise no_choice(label, [reply["buttons"] for reply in self.shown])
        return await self._post(press=found[0])

    async def session_key(self) -> str:
        return f"web:{self.client.cookies['bhxh_chat']}"


@asynccontextmanager
async def web_chat(store: Store) -> AsyncIterator[WebCitizen]:
    """The office website's chat: app.web() as a browser's requests reach it."""
    app = app_on(store)
    await app.start()
    try:
        transport = httpx.ASGITransport(app=app.web())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield WebCitizen(app, client)
    finally:
        await app.close()


# -- numbered choices, as both Zalo channels show them -------------------------------------------------


def typed_for(texts: list[str], label: str) -> str | None:
    """What to type to pick the line containing `label`: the key of "1. …" / "a. …", or the text of "• …"."""
    for text in reversed(texts):  # the choices are the last lines shown
        for line in reversed(text.splitlines()):
            key, dot, rest = line.partition(". ")
            if dot and key.isalnum() and len(key) <= 3 and label in rest:
                return key
            if line.startswith("• ") and label in line:
                return line.removeprefix("• ")
    return None


# -- the Zalo Bot Platform -----------------------------------------------------------------------------


class ZaloBotCitizen:
    consent_channel = ConsentChannel.ZALO

    def __init__(self, app: App, api: FakeZaloBot, web: httpx.AsyncClient, worker: ZaloBotEvents) -> None:
        self.app = app
        self.api = api
        self.web = web
        self.worker = worker  # answers what the webhook stored
        self.count = 0
        self.seen = 0
        self.shown: list[str] = []
        self.transcript: list[str] = []

    async def say(self, text: str) -> list[str]:
        self.count += 1
        event = text_event(f"msg-{self.count}", ZALO_CITIZEN, text)
        response = await self.web.post(
            "/webhooks/zalo-bot", json=event, headers={"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET}
        )
        assert response.status_code == 200, response.text
        await self.worker.drain()
        new = self.api.sent(ZALO_CITIZEN)[self.seen :]
        self.seen += len(new)
        self.shown = [message.text for message in new]
        self.transcript += self.shown
        return self.shown

    async def choose(self, label: str) -> list[str]:
        typed = typed_for(self.shown, label)
        if typed is None:
            raise no_choice(label, self.shown)
        return await self.say(typed)

    async def session_key(self) -> str:
        return f"zalo_bot:{ZALO_CITIZEN}"


@asynccontextmanager
async def zalo_bot(store: Store) -> AsyncIterator[ZaloBotCitizen]:
    """The Zalo Bot channel by webhook (ZALO_BOT_WEBHOOK_SECRET set), sending to the loopback Zalo Bot API."""
    async with FakeZaloBot() as api:
        app = app_on(store, zalo_bot_webhook_secret=ZALO_BOT_SECRET)
        await app.start()
        policy = ZaloBotRetryPolicy(flood_backoff=0.01, max_flood_wait=0.04, backoff=0.01)
        client = ZaloBotClient(api.token, api.base_url, policy=policy)
        try:
            transport = httpx.ASGITransport(app=app.web(zalo_bot_webhook=app.zalo_bot(client)))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
                yield ZaloBotCitizen(app, api, web, app.zalo_bot_events(client))
        finally:
            await client.close()
            await app.close()


# -- the Zalo Official Account -------------------------------------------------------------------------


class ZaloOaCitizen:
    consent_channel = ConsentChannel.ZALO

    def __init__(self, app: App, api: FakeZaloOa, web: httpx.AsyncClient, worker: ZaloOaEvents) -> None:
        self.app = app
        self.api = api
        self.web = web
        self.worker = worker
        self.count = 0
        self.seen = 0
        self.shown: list[ZaloOaSent] = []
        self.transcript: list[str] = []

    async def say(self, text: str) -> list[str]:
        self.count += 1
        body, headers = signed(oa_text_event(OA_CITIZEN, text, f"m-{self.count}"))
        response = await self.web.post("/webhooks/zalo-oa", content=body, headers=headers)
        assert response.status_code == 200, response.text
        await self.worker.drain()
        new = self.api.sent_to(OA_CITIZEN)[self.seen :]
        self.seen += len(new)
        self.shown = new
        texts = [message.text for message in new]
        self.transcript += texts
        return texts

    async def choose(self, label: str) -> list[str]:
        payloads = [payload for message in self.shown for title, payload in message.buttons if label in title]
        if payloads:
            return await self.say(payloads[0])  # Zalo sends a button's payload back as the citizen's text
        typed = typed_for([message.text for message in self.shown], label)
        if typed is None:
            raise no_choice(label, [(message.text, message.buttons) for message in self.shown])
        return await self.say(typed)

    async def session_key(self) -> str:
        return f"zalo_oa:{OA_CITIZEN}"


@asynccontextmanager
async def zalo_oa(store: Store) -> AsyncIterator[ZaloOaCitizen]:
    """The OA connected (first authorisation code exchanged), its signed webhook on app.web(), its worker."""
    async with FakeZaloOa() as api:
        app = app_on(store, zalo_oa_app_id=APP_ID, zalo_oa_secret_key=SECRET_KEY)
        await app.start()
        policy = ZaloOaRetryPolicy(attempts=4, backoff=0.01, max_wait=0.04)
        client = ZaloOaClient(APP_ID, SECRET_KEY, api.base_url, api.base_url, policy=policy)
        try:
            issued = await client.exchange_code(api.authorise())
            await zalo_oa_tokens.connect(app.database, issued, datetime.now(UTC))
            transport = httpx.ASGITransport(app=app.web())
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
                yield ZaloOaCitizen(app, api, web, app.zalo_oa_events(client))
        finally:
            await client.close()
            await app.close()


DRIVERS: dict[str, Callable[[Store], AbstractAsyncContextManager[Citizen]]] = {
    "telegram": telegram,
    "web_chat": web_chat,
    "zalo_bot": zalo_bot,
    "zalo_oa": zalo_oa,
}
