"""What the Zalo Bot Platform channel keeps: its events before they are answered (bot.storage.inbound_events,
channel "zalo_bot"), the choices last shown per chat, the messages sent per month, and the installation's key for
update ids.

    store = ZaloBotStore(database)
    await store.keep_event("msg-1", "zalo_bot:abc", payload_json, now)   # False: that message was stored before
    await store.save_choices("zalo_bot:abc", [("BHXH tự nguyện", "s:tn"), ...], now)
    await store.choices("zalo_bot:abc")        -> [("BHXH tự nguyện", "s:tn"), ...]
    await store.count_sent("2026-12", 2)       -> this month's count once these 2 are added

Zalo has no buttons: the channel shows them as numbered lines, and a "1" typed in a later message presses the
first. The lines shown last are kept here, not in the process, so any instance reads them the same.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage import inbound_events, install_keys
from bot.storage.db import Database
from bot.storage.tables import zalo_bot_choices, zalo_bot_sends

CHANNEL = "zalo_bot"  # bot.channels.zalo_bot.CHANNEL: the events' channel in inbound_events
UPDATE_IDS_KEY = "zalo-bot-update-ids"  # turns a Zalo message id (a string) into the service's update id

Choices = list[tuple[str, str]]  # (label, action) per line, in the order shown


def _upsert_choices(dialect: Any) -> Any:
    statement = dialect.insert(zalo_bot_choices).values(
        chat=bindparam("chat"), buttons=bindparam("buttons"), updated_at=bindparam("now")
    )
    return statement.on_conflict_do_update(
        index_elements=[zalo_bot_choices.c.chat],
        set_={"buttons": statement.excluded.buttons, "updated_at": statement.excluded.updated_at},
    )


def _insert_month(dialect: Any) -> Any:
    return (
        dialect.insert(zalo_bot_sends)
        .values(month=bindparam("month"), count=0)
        .on_conflict_do_nothing(index_elements=[zalo_bot_sends.c.month])
    )


UPSERT_CHOICES = {"postgresql": _upsert_choices(postgresql), "sqlite": _upsert_choices(sqlite)}
INSERT_MONTH = {"postgresql": _insert_month(postgresql), "sqlite": _insert_month(sqlite)}
ADD_SENT = (
    update(zalo_bot_sends)
    .where(zalo_bot_sends.c.month == bindparam("the_month"))
    .values(count=zalo_bot_sends.c.count + bindparam("added"))
    .returning(zalo_bot_sends.c.count)
)


class ZaloBotStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def _dialect(self) -> str:
        return "postgresql" if self.database.dialect == "postgresql" else "sqlite"

    async def keep_event(self, event_id: str, chat: str, payload: str, now: datetime) -> bool:
        """Store an event for the worker (bot/workers/zalo_bot_events.py); False when it was stored before."""
        async with self.database.transaction() as connection:
            return await inbound_events.store(connection, CHANNEL, event_id, chat, payload, now)

    async def choices(self, chat: str) -> Choices:
        async with self.database.transaction(short=True) as connection:
            found = await connection.scalar(select(zalo_bot_choices.c.buttons).where(zalo_bot_choices.c.chat == chat))
        if found is None:
            return []
        return [(str(label), str(action)) for label, action in json.loads(found)]

    async def save_choices(self, chat: str, choices: Choices, now: datetime) -> None:
        buttons = json.dumps([list(choice) for choice in choices], ensure_ascii=False)
        async with self.database.transaction(short=True) as connection:
            await connection.execute(UPSERT_CHOICES[self._dialect()], {"chat": chat, "buttons": buttons, "now": now})

    async def forget_choices_before(self, cutoff: datetime) -> int:
        async with self.database.transaction() as connection:
            result = await connection.execute(zalo_bot_choices.delete().where(zalo_bot_choices.c.updated_at < cutoff))
        return int(result.rowcount or 0)

    async def count_sent(self, month: str, added: int) -> int:
        """Add `added` messages to `month`'s count; the count afterwards."""
        async with self.database.transaction(short=True) as connection:
            await connection.execute(INSERT_MONTH[self._dialect()], {"month": month})
            count = await connection.scalar(ADD_SENT, {"the_month": month, "added": added})
        return int(count or 0)

    async def sent_in(self, month: str) -> int:
        async with self.database.transaction(short=True) as connection:
            count = await connection.scalar(select(zalo_bot_sends.c.count).where(zalo_bot_sends.c.month == month))
        return int(count or 0)

    async def update_ids_key(self, now: datetime) -> bytes:
        """The installation's key for update ids (made by the first process that asks)."""
        async with self.database.transaction() as connection:
            value = await install_keys.get_or_create(connection, UPDATE_IDS_KEY, now)
        return bytes.fromhex(value)
