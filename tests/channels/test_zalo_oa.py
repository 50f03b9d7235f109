"""The Zalo Official Account channel, through the real adapter (signed webhook on app.web() over httpx's ASGI
transport, the stored events, the worker, the exactly-once service on SQLite and PostgreSQL, the httpx client)
against the loopback Zalo OA (tests/fakes/zalo_oa_api.py).

The conversation script of issue 17: a question without diacritics, a did-you-mean choice, the voluntary
calculator, a call-back request with the bot's own consent before any personal data, then /xoadulieu. The OA's
buttons are pressed as Zalo does it (their hidden payload comes back as the citizen's text); choices over the
OA's button limit are numbered lines, pressed by typing the number or the line's text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.channels.zalo_oa.client import RetryPolicy, ZaloOaClient
from bot.channels.zalo_oa.events import PRESS, Choice, Event, to_inbound
from bot.channels.zalo_oa.render import MAX_BUTTONS, Message, render, split_text
from bot.channels.zalo_oa.signature import sign, valid
from bot.core.types import Button, InboundKind, Reply
from bot.shell import zalo_oa_tokens
from bot.shell.zalo_oa_tokens import TokenKeeper
from bot.storage import inbound_events, leads, zalo_oa
from bot.storage.db import SQLITE
from bot.workers.inbound_events import ZaloOaEvents
from tests.apps import app_on
from tests.cli import BotCli
from tests.databases import Store
from tests.fakes.zalo_oa_api import (
    APP_ID,
    SECRET_KEY,
    FakeZaloOa,
    Sent,
    signature_of,
    signed,
    sticker_event,
    text_event,
)
from tests.storage_queries import STAFF

CITIZEN = "8412345678901234567"
FAST = RetryPolicy(attempts=4, backoff=0.01, max_wait=0.04)
transport_only = pytest.mark.parametrize("database_kind", [SQLITE], indirect=True)


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloOa]:
    async with FakeZaloOa() as fake:
        yield fake


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> Iterator[None]:
    """No token, no secret key, no citizen's name or number in any log record."""
    caplog.set_level(logging.DEBUG)
    yield
    fake: FakeZaloOa | None = request.node.funcargs.get("api")
    secrets = [SECRET_KEY, "Lê Thị Mai", "912345678"]
    if fake is not None:
        secrets += [token for pair in fake.issued for token in pair]
    records = [r.getMessage() for when in ("setup", "call", "teardown") for r in caplog.get_records(when)]
    for secret in secrets:
        assert [message for message in records if secret in message] == []


class Citizen:
    """One Zalo user writing to the OA: each message a signed webhook event, then the worker drains."""

    def __init__(self, api: FakeZaloOa, web: httpx.AsyncClient, worker: ZaloOaEvents | None, user: str = CITIZEN):
        self.api = api
        self.web = web
        self.worker = worker  # None: a worker runs in the background
        self.user = user
        self.count = 0
        self.seen = 0

    async def post(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        body, signed_headers = signed(event)
        response = await self.web.post("/webhooks/zalo-oa", content=body, headers=headers or signed_headers)
        return response.status_code

    async def send_text(self, text: str) -> list[Sent]:
        self.count += 1
        assert await self.post(text_event(self.user, text, f"m-{self.user}-{self.count}")) == 200
        assert self.worker is not None
        await self.worker.drain()
        new = self.api.sent_to(self.user)[self.seen :]
        self.seen += len(new)
        return new

    async def say(self, text: str) -> list[Sent]:
        return await self.send_text(text)

    async def choose(self, messages: list[Sent], label: str) -> list[Sent]:
        """Press the OA button titled `label` (its payload comes back, hidden), or type the line's key."""
        for message in messages:
            for title, payload in message.buttons:
                if title == label:
                    return await self.send_text(payload)
        for message in messages:
            for line in message.text.splitlines():
                key, _, rest = line.partition(". ")
                if rest == label:
                    return await self.send_text(key)
        raise AssertionError(f"no choice {label!r} in {[(m.text, m.buttons) for m in messages]}")


def text(messages: list[Sent]) -> str:
    return "\n\n".join(message.text for message in messages)


async def connected(app: App, api: FakeZaloOa, client: ZaloOaClient) -> None:
    issued = await client.exchange_code(api.authorise())
    await zalo_oa_tokens.connect(app.database, issued, datetime.now(UTC))


@asynccontextmanager
async def zalo_oa_bot(store: Store, api: FakeZaloOa) -> AsyncIterator[tuple[App, httpx.AsyncClient, ZaloOaEvents]]:
    app = app_on(store, zalo_oa_app_id=APP_ID, zalo_oa_secret_key=SECRET_KEY)
    await app.start()
    client = ZaloOaClient(APP_ID, SECRET_KEY, api.base_url, api.base_url, policy=FAST)
    try:
        await connected(app, api, client)
        transport = httpx.ASGITransport(app=app.web())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
            yield app, web, app.zalo_oa_events(client)
    finally:
        await client.close()
        await app.close()


async def stored_events(app: App) -> int:
    async with app.database.transaction() as connection:
        return len((await connection.execute(inbound_events.inbound_events.select())).all())


# -- the conversation script of issue 17 ----------------------------------------------------------------


async def test_the_conversation_script_runs_on_the_zalo_oa(store: Store, api: FakeZaloOa) -> None:
    async with zalo_oa_bot(store, api) as (app, web, worker):
        citizen = Citizen(api, web, worker)
        answer = await citizen.say("mat the bhyt thi phai lam sao")
        assert "thẻ BHYT" in text(answer) and "<" not in text(answer)

        offered = await citizen.say("the bhyt")
        assert "Có phải bạn muốn hỏi" in text(offered)
        chosen = await citizen.choose(offered, "Mất thẻ BHYT, dùng VssID, VNeID")
        assert "VNeID" in text(chosen)

        answer = await citizen.say("bhxh tu nguyen dong bao nhieu 1 thang")
        income = await citizen.choose(answer, "Tính cho tôi")
        assert "mức thu nhập" in text(income)
        group = await citizen.say("3tr")  # a free answer
        months = await citizen.choose(group, "Không thuộc nhóm nào")
        assert "12 tháng" in text(months) or any("12 tháng" in t for m in months for t, _ in m.buttons)
        result = await citizen.say("12")  # at a calculator's question a typed number is the answer itself
        assert "3.000.000 đồng" in text(result) and "7.128.000 đồng" in text(result)

        consent = await citizen.choose(result, "Hỏi cán bộ tư vấn")
        assert "91/2025/QH15" in text(consent) and "180 ngày" in text(consent)
        name = await citizen.choose(consent, "Đồng ý")
        assert "họ tên" in text(name)
        phone = await citizen.say("Lê Thị Mai")
        assert "Số điện thoại" in text(phone) and "Gửi số điện thoại của tôi" not in text(phone)
        area = await citizen.say("0912345678")
        assert "xã, phường" in text(area)
        interest = await citizen.say("x tien yen")
        when = await citizen.choose(interest, "BHXH tự nguyện")
        done = await citizen.say("bất kỳ lúc nào")  # a choice's text typed presses it
        assert "0912 345 678" in text(done) and "/xoadulieu" in text(done)
        assert when

        transcript = [message.text for message in api.sent_to(CITIZEN)]
        consent_at = next(i for i, said in enumerate(transcript) if "91/2025/QH15" in said)
        assert not any("Lê Thị Mai" in said or "0912 345 678" in said for said in transcript[:consent_at])
        assert not any("request_user_info" in str(message.buttons) for message in api.messages)
        async with app.database.transaction() as connection:
            (lead,) = await leads.open_leads(connection, STAFF)
        assert lead.name == "Lê Thị Mai" and lead.session_key == f"zalo_oa:{CITIZEN}"

        erased = await citizen.say("/xoadulieu")
        assert "Mình đã xóa" in text(erased)
        async with app.database.transaction() as connection:
            assert await leads.open_leads(connection, STAFF) == []
    assert all(len(message.text) <= 2000 for message in api.messages)
    assert all(len(message.buttons) <= MAX_BUTTONS for message in api.messages)


# -- the webhook: signature, freshness, acknowledgement -------------------------------------------------


@transport_only
async def test_a_wrong_missing_or_stale_signature_is_refused_with_401_and_nothing_is_stored(
    store: Store, api: FakeZaloOa
) -> None:
    async with zalo_oa_bot(store, api) as (app, web, worker):
        citizen = Citizen(api, web, worker)
        event = text_event(CITIZEN, "xin chào", "m-1")
        body, headers = signed(event)
        wrong = {**headers, "x-zevent-signature": "mac=" + signature_of(body, event["timestamp"], secret_key="khac")}
        assert await citizen.post(event, wrong) == 401
        assert await citizen.post(event, {"content-type": "application/json"}) == 401
        other_body = {**headers}
        response = await web.post("/webhooks/zalo-oa", content=body.replace(b"xin", b"xun"), headers=other_body)
        assert response.status_code == 401  # the body changed after signing
        stale = text_event(CITIZEN, "xin chào", "m-2", int((datetime.now(UTC) - timedelta(hours=1)).timestamp() * 1000))
        assert await citizen.post(stale) == 401  # correctly signed, but an hour old: a replay
        assert await stored_events(app) == 0
        assert await worker.drain() == 0
    assert api.messages == []


def test_the_signature_is_sha256_over_app_id_body_timestamp_and_secret_compared_whole() -> None:
    body = b'{"event_name":"user_send_text","timestamp":"1733000000000"}'
    digest = sign(APP_ID, body, "1733000000000", SECRET_KEY)
    assert digest == signature_of(body, "1733000000000")
    assert valid(f"mac={digest}", APP_ID, body, "1733000000000", SECRET_KEY)
    assert valid(digest, APP_ID, body, "1733000000000", SECRET_KEY)
    assert not valid(digest[:-1], APP_ID, body, "1733000000000", SECRET_KEY)
    assert not valid(f"mac={digest}", APP_ID, body, "1733000000001", SECRET_KEY)
    assert not valid(None, APP_ID, body, "1733000000000", SECRET_KEY)
    assert not valid(digest, APP_ID, body, "1733000000000", "")


@transport_only
async def test_the_same_event_delivered_twice_is_answered_once(store: Store, api: FakeZaloOa) -> None:
    async with zalo_oa_bot(store, api) as (app, web, worker):
        citizen = Citizen(api, web, worker)
        event = text_event(CITIZEN, "mat the bhyt", "m-dup")
        assert [await citizen.post(event), await citizen.post(event)] == [200, 200]
        await worker.drain()
        assert await citizen.post(event) == 200  # a retry from Zalo after the answer
        await worker.drain()
        assert await stored_events(app) == 1
    assert len({message.text for message in api.sent_to(CITIZEN)}) == len(api.sent_to(CITIZEN)) >= 1


@transport_only
async def test_the_200_comes_before_the_reply_is_sent(store: Store, api: FakeZaloOa) -> None:
    async with zalo_oa_bot(store, api) as (app, web, worker):
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop, app.zalo_oa_wake, poll_seconds=0.05))
        try:
            api.hold_sends()  # Zalo's message API is slow today
            citizen = Citizen(api, web, None)
            assert await citizen.post(text_event(CITIZEN, "mat the bhyt", "m-ack")) == 200
            await api.wait_until(lambda: "send" in api.calls, 5.0, "the worker sending")
            assert api.messages == []  # acknowledged while the reply is still on its way
            api.release_sends()
            [reply, *_] = await api.wait_for_messages(CITIZEN, 1)
            assert "thẻ BHYT" in reply.text
        finally:
            stop.set()
            await running


@transport_only
async def test_events_of_one_chat_are_answered_in_order_and_stickers_get_the_polite_reply(
    store: Store, api: FakeZaloOa
) -> None:
    async with zalo_oa_bot(store, api) as (_, web, worker):
        citizen = Citizen(api, web, worker)
        assert await citizen.post(sticker_event(CITIZEN, "m-s")) == 200
        assert await citizen.post(text_event(CITIZEN, "mat the bhyt", "m-t")) == 200
        assert await citizen.post({"event_name": "follow", "timestamp": text_event(CITIZEN, "", "x")["timestamp"],
                                   "follower": {"id": CITIZEN}}) == 200  # fmt: skip
        assert await worker.drain() == 2
        first, *rest = api.sent_to(CITIZEN)
        assert "thẻ BHYT" not in first.text and any("thẻ BHYT" in message.text for message in rest)


# -- sending: tokens, retries ---------------------------------------------------------------------------


@transport_only
async def test_a_refused_access_token_is_refreshed_and_the_message_sent_again(store: Store, api: FakeZaloOa) -> None:
    async with zalo_oa_bot(store, api) as (_, web, worker):
        api.expire_access()
        answer = await Citizen(api, web, worker).say("mat the bhyt")
        assert "thẻ BHYT" in text(answer)
        assert api.refreshes == 1


@transport_only
@pytest.mark.parametrize("status", [429, 500, 502])
async def test_429_and_5xx_are_retried_with_backoff(store: Store, api: FakeZaloOa, status: int) -> None:
    async with zalo_oa_bot(store, api) as (_, web, worker):
        api.fail("send", status, times=2)
        answer = await Citizen(api, web, worker).say("mat the bhyt")
        assert "thẻ BHYT" in text(answer)


@transport_only
async def test_a_send_that_keeps_failing_is_tried_again_later_without_answering_twice(
    store: Store, api: FakeZaloOa
) -> None:
    async with zalo_oa_bot(store, api) as (app, web, worker):
        api.fail("send", 503, times=4)
        citizen = Citizen(api, web, worker)
        assert await citizen.say("mat the bhyt") == []
        async with app.database.transaction() as connection:
            assert await inbound_events.pending(connection, "zalo_oa") == 1
            await connection.execute(inbound_events.inbound_events.update().values(claimed_until=None))
        await worker.drain()
        assert "thẻ BHYT" in text(api.sent_to(CITIZEN))


async def test_two_instances_refreshing_at_once_use_the_refresh_token_once(store: Store, api: FakeZaloOa) -> None:
    app = app_on(store)
    await app.start()
    first_db, second_db = store.open(), store.open()
    clients = [ZaloOaClient(APP_ID, SECRET_KEY, api.base_url, api.base_url, policy=FAST) for _ in range(2)]
    try:
        issued = await clients[0].exchange_code(api.authorise())
        tokens = await zalo_oa_tokens.connect(app.database, issued, datetime.now(UTC) - timedelta(days=2))
        assert tokens.access_expires_at < datetime.now(UTC)  # expired: both instances want a new one
        api.refresh_delay = 0.2
        keepers = [
            TokenKeeper(database, client.refresh, lambda: datetime.now(UTC))
            for database, client in zip((first_db, second_db), clients, strict=True)
        ]
        got = await asyncio.gather(*(keeper.access_token() for keeper in keepers))
        assert api.refreshes == 1 and api.refused_refreshes == 0
        assert got[0] == got[1] == api.issued[-1][0]
        async with app.database.transaction() as connection:
            now = await zalo_oa.current(connection)
        assert now is not None and now.refresh_token == api.issued[-1][1]
        assert SECRET_KEY not in repr(clients[0]) and now.access_token not in repr(now)
    finally:
        for client in clients:
            await client.close()
        await first_db.dispose()
        await second_db.dispose()
        await app.close()


# -- rendering and reading ----------------------------------------------------------------------------


def test_up_to_five_buttons_are_oa_buttons_more_are_numbered_lines() -> None:
    few = Reply("Bạn hỏi về:", (Button("BHXH tự nguyện", "s:tn"), Button("Menu chính", "m")))
    assert render(few) == [Message("Bạn hỏi về:", (("BHXH tự nguyện", PRESS + "s:tn"), ("Menu chính", PRESS + "m")))]
    many = Reply("Chọn:", tuple(Button(f"Mục {i}", f"s:{i}") for i in range(1, 8)))
    [message] = render(many)
    assert message.buttons == () and message.text.endswith("6. Mục 6\n7. Mục 7")


def test_a_number_the_lines_text_or_a_button_payload_presses_the_choice() -> None:
    shown = (Choice("1", "BHXH tự nguyện", "s:tn"), Choice("2", "« Quay lại", "m"))

    def typed(said: str) -> tuple[InboundKind, str]:
        inbound = to_inbound(Event("user_send_text", "1", CITIZEN, "m", said), shown)
        return inbound.kind, inbound.action or inbound.text

    assert typed("1") == (InboundKind.ACTION, "s:tn")
    assert typed("quay lại") == (InboundKind.ACTION, "m")
    assert typed(PRESS + "s:x") == (InboundKind.ACTION, "s:x")
    assert typed("3") == (InboundKind.TEXT, "3")
    assert to_inbound(Event("user_send_text", "1", CITIZEN, "m", "/xoadulieu")).kind is InboundKind.ERASE
    assert to_inbound(Event("user_send_image", "1", CITIZEN, "m", "")).kind is InboundKind.UNSUPPORTED


def test_a_text_over_2000_characters_is_cut_at_paragraphs() -> None:
    paragraphs = ["Đoạn một. " * 90, "Đoạn hai. " * 90, "Đoạn ba. " * 90]
    parts = split_text("\n\n".join(paragraphs))
    assert parts == ["\n\n".join(paragraphs[:2]).strip(), paragraphs[2].strip()]
    assert [len(part) for part in split_text("x" * 4500)] == [2000, 2000, 500]


def test_a_reply_that_only_speaks_of_telegrams_contact_button_is_not_sent() -> None:
    from bot.channels.zalo_oa.render import render_all

    messages, _ = render_all((Reply("Bấm nút bên dưới", contact_request="Gửi số điện thoại của tôi"),))
    assert messages == []


# -- the command line -----------------------------------------------------------------------------------


async def test_connect_stores_the_first_tokens_and_status_prints_when_they_expire(
    run_bot: BotCli, api: FakeZaloOa
) -> None:
    env = {
        "ZALO_OA_APP_ID": APP_ID,
        "ZALO_OA_SECRET_KEY": SECRET_KEY,
        "ZALO_OA_OAUTH_BASE_URL": api.base_url,
        "ZALO_OA_API_BASE_URL": api.base_url,
        "DATABASE_URL": "sqlite+aiosqlite:///oa.db",
    }
    before = await run_bot.in_thread("zalo-oa", "status", extra_env=env)
    assert before.returncode == 1 and "Chưa kết nối" in before.stdout
    connected_ = await run_bot.in_thread("zalo-oa", "connect", api.authorise(), extra_env=env)
    assert connected_.returncode == 0, connected_.stderr
    assert "Đã kết nối Zalo OA" in connected_.stdout and "hết hạn" in connected_.stdout
    status = await run_bot.in_thread("zalo-oa", "status", extra_env=env)
    assert status.returncode == 0 and "Refresh token hết hạn" in status.stdout
    again = await run_bot.in_thread("zalo-oa", "connect", "ma-sai", extra_env=env)
    assert again.returncode == 1 and "-14019" in again.stderr
    printed = "".join(r.stdout + r.stderr for r in (before, connected_, status, again))
    assert SECRET_KEY not in printed
    assert not any(token in printed for pair in api.issued for token in pair)
    missing = await run_bot.in_thread("zalo-oa", "connect", "x", extra_env={"DATABASE_URL": env["DATABASE_URL"]})
    assert missing.returncode == 1 and "ZALO_OA_APP_ID" in missing.stderr
