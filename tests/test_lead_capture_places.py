"""The call-back confirmation says what was asked, through the real service on SQLite and PostgreSQL: the
concrete time the citizen chose, and for a citizen outside the areas served, plainly who will call (the
office), or, when no office chat is configured, that nobody here can and where to ask instead."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import App
from bot.core.types import Inbound, InboundKind, Outcome
from bot.storage import leads, outbox
from bot.storage.migrations import migrate
from tests.apps import app_on
from tests.databases import Store
from tests.storage_queries import STAFF

CHAT = "telegram:5151"
OFFICE_CHAT = -100901
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # Friday 04/12/2026, 15:00 in Hà Nội
PLACE = "phường Hà Đông, Hà Nội"


class Chat:
    def __init__(self, app: App) -> None:
        self.service = app.service("telegram")
        self.service.now = lambda: NOW
        self.update_id = 0

    async def send(self, kind: InboundKind, text: str = "", action: str = "") -> Outcome:
        self.update_id += 1
        outcome = await self.service.handle(Inbound(CHAT, kind, text=text, action=action), self.update_id)
        assert outcome is not None
        return outcome

    async def say(self, text: str) -> Outcome:
        return await self.send(InboundKind.TEXT, text)

    async def press(self, label: str, outcome: Outcome) -> Outcome:
        buttons = {button.label: button.action for reply in outcome.replies for button in reply.buttons}
        assert label in buttons, f"no button {label!r} in {list(buttons)}"
        return await self.send(InboundKind.ACTION, action=buttons[label])


async def from_elsewhere(app: App) -> str:
    """A citizen outside the areas served asks for a call on Monday afternoon; what the bot answers."""
    await migrate(app.database)
    chat = Chat(app)
    await chat.say("nhờ cán bộ gọi lại tư vấn cho tôi")
    await chat.say("đồng ý")
    await chat.say("Lê Thị Mai")
    area = await chat.say("0912 345 678")
    await chat.press(app.kb.message("lead_area_other"), area)
    await chat.say(PLACE)
    when = await chat.say("bhyt")
    done = await chat.press("Chiều thứ Hai 07/12", when)
    return "\n".join(reply.text for reply in done.replies)


async def test_a_citizen_outside_the_areas_is_told_the_office_will_call_at_the_time_chosen(store: Store) -> None:
    app = app_on(store, office_chat_id=OFFICE_CHAT, office_name="Bảo hiểm xã hội tỉnh Quảng Ninh")
    try:
        said = await from_elsewhere(app)
        async with app.database.transaction() as connection:
            (lead,) = await leads.open_leads(connection, STAFF)
            (card,) = await outbox.rows(connection, lead.id)
    finally:
        await app.database.dispose()
    assert PLACE in said and "Bảo hiểm xã hội tỉnh Quảng Ninh sẽ gọi" in said
    assert "Chiều thứ Hai 07/12/2026" in said and "Chiều thứ Hai 07/12/2026" in card.payload["text"]
    assert (lead.area_code, lead.place_typed, card.chat_id) == ("other", PLACE, OFFICE_CHAT)
    assert PLACE in card.payload["text"]


async def test_with_no_office_chat_a_citizen_outside_the_areas_is_told_where_to_ask(store: Store) -> None:
    app = app_on(store)
    try:
        said = await from_elsewhere(app)
    finally:
        await app.database.dispose()
    assert PLACE in said and "1900 9068" in said and "sẽ gọi" not in said
