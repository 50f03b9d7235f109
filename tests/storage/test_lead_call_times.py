"""A lead's time to call and typed place (migration 0006), on SQLite and PostgreSQL: stored with the lead,
shown on the agent's card, erased with the personal data, and the migration goes down and up again."""

from __future__ import annotations

from datetime import date, timedelta

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage import leads, outbox
from bot.storage.migrations import config, head_revision, migrate
from tests.databases import Store
from tests.lead_factories import CONTEXT, NOW, OFFICE_CHAT, migrated, new_lead
from tests.storage_queries import STAFF

NEW_COLUMNS = {"call_on", "call_part", "place_typed"}


def _lead_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("leads")}


def _to(revision: str, down: bool) -> object:
    def run(connection: Connection) -> None:
        settings = config()
        settings.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(settings, revision)

    return run


async def test_the_day_and_part_of_day_and_the_typed_place_are_kept_with_the_lead(store: Store) -> None:
    new = new_lead(
        area_code="other",
        call_time="Chiều thứ Ba 24/11/2026",
        call_on=date(2026, 11, 24),
        call_part="pm",
        place_typed="phường Hà Đông, Hà Nội",
    )
    async with migrated(store) as database, database.transaction() as connection:
        created = await leads.create(connection, new, CONTEXT, NOW, NOW + timedelta(days=2), STAFF)
        lead = await leads.get(connection, created.lead.id)
        (card,) = await outbox.rows(connection, lead.id)
        await leads.withdraw(connection, "telegram:777", CONTEXT, NOW + timedelta(hours=1))
        erased = await leads.get(connection, lead.id)
    assert (lead.call_time, lead.call_on, lead.call_part) == ("Chiều thứ Ba 24/11/2026", date(2026, 11, 24), "pm")
    assert lead.place_typed == "phường Hà Đông, Hà Nội"
    assert card.chat_id == OFFICE_CHAT
    assert "phường Hà Đông, Hà Nội" in card.payload["text"] and "Chiều thứ Ba 24/11/2026" in card.payload["text"]
    assert (erased.call_time, erased.call_on, erased.call_part, erased.place_typed) == (None,) * 4


async def test_migration_0006_goes_down_and_up_again(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            await connection.run_sync(_to("0005", down=True))
            without = await connection.run_sync(_lead_columns)
            await connection.run_sync(_to("head", down=False))
            again = await connection.run_sync(_lead_columns)
    assert head_revision() >= "0006"  # later revisions come after it
    assert not NEW_COLUMNS & without and again >= NEW_COLUMNS
