"""A citizen sees what the bot keeps about them (/dulieu, or typed "tôi đã để lại những thông tin gì") and erases
it by typing "xóa dữ liệu của tôi", through the bot as `python -m bot run` builds it, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.core.actions import ERASE
from bot.core.leads.records import CITIZEN
from bot.core.types import Inbound, InboundKind, Outcome
from bot.storage import leads
from bot.storage.migrations import migrate
from tests.apps import app_on
from tests.databases import Store
from tests.lead_factories import NAME, new_lead

CHAT = "telegram:5151001"
NEIGHBOUR = "telegram:5151002"
NEIGHBOUR_NAME = "Trần Văn Hùng"


@pytest.fixture
async def app(store: Store) -> AsyncIterator[App]:
    built = app_on(store)
    await migrate(built.database)
    try:
        yield built
    finally:
        await built.database.dispose()


async def send(app: App, update_id: int, kind: InboundKind, text: str = "", action: str = "") -> Outcome:
    outcome = await app.service("telegram").handle(Inbound(CHAT, kind, text=text, action=action), update_id)
    assert outcome is not None
    return outcome


async def store_requests(app: App) -> int:
    """A request of this chat, and one of a neighbour's chat; the id of this chat's."""
    context = app.service("telegram").leads
    assert context is not None
    now = datetime.now(UTC)
    async with app.database.transaction() as connection:
        mine = await leads.create(connection, new_lead(CHAT), context, now, None, CITIZEN)
        await leads.create(connection, new_lead(NEIGHBOUR, name=NEIGHBOUR_NAME), context, now, None, CITIZEN)
    return mine.lead.id


def text_of(outcome: Outcome) -> str:
    return "\n".join(reply.text for reply in outcome.replies)


async def test_dulieu_lists_the_chats_requests_masked_and_no_other_chats(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    lead_id = await store_requests(app)
    with caplog.at_level(logging.DEBUG):
        shown = text_of(await send(app, 1, InboundKind.MY_DATA))
    assert f"#{lead_id} ngày" in shown and NAME in shown and "Xã Tiên Yên" in shown and "Tình trạng: Mới" in shown
    assert "+84 91* *** *78" in shown and "+84912345678" not in shown and "0912 345 678" not in shown
    assert NEIGHBOUR_NAME not in shown
    assert "180 ngày" in shown and "90 ngày" in shown and "/xoadulieu" in shown
    assert NAME not in caplog.text and "+84912345678" not in caplog.text  # nothing personal in the logs


async def test_typed_words_list_them_too(app: App) -> None:
    await store_requests(app)
    shown = text_of(await send(app, 1, InboundKind.TEXT, "tôi đã để lại những thông tin gì"))
    assert NAME in shown and "+84 91* *** *78" in shown


async def test_typed_erase_asks_once_then_erases_and_the_listing_is_empty(app: App) -> None:
    await store_requests(app)
    asked = await send(app, 1, InboundKind.TEXT, "xoa du lieu cua toi")
    (question,) = asked.replies
    assert question.buttons[0].action == ERASE.data()
    still = text_of(await send(app, 2, InboundKind.MY_DATA))
    assert NAME in still  # asking erased nothing
    erased = text_of(await send(app, 3, InboundKind.ACTION, action=question.buttons[0].action))
    assert "đã xóa" in erased
    after = text_of(await send(app, 4, InboundKind.MY_DATA))
    assert NAME not in after and "chưa lưu yêu cầu gọi lại nào" in after
    async with app.database.transaction() as connection:
        neighbours = await leads.of_session(connection, NEIGHBOUR)
    assert [lead.name for lead in neighbours] == [NEIGHBOUR_NAME]  # the neighbour's request is untouched
