"""Times in the database (bot.storage.tables.UTCDateTime), on SQLite and PostgreSQL: written only with their
time zone, stored in UTC, read back time-zone aware in UTC, and compared as moments whatever zone they
were given in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from bot.core.leads.interest import SignalKind
from bot.storage import signals
from bot.storage.tables import UTCDateTime
from tests.databases import Store
from tests.lead_factories import NOW, migrated
from tests.storage_queries import signals_of

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CHAT = "telegram:1"


async def test_a_time_is_read_back_as_the_same_moment_in_utc(store: Store) -> None:
    written = NOW.astimezone(HANOI)  # 09:00 in Hà Nội

    async with migrated(store) as database, database.transaction() as connection:
        await signals.record(connection, CHAT, SignalKind.OFFERED, None, written)
        [signal] = await signals_of(connection, CHAT)
    read = signal.at
    assert read == written and read.tzinfo is UTC and read.hour == 2


async def test_times_given_in_other_zones_compare_as_moments(store: Store) -> None:
    """SQLite compares the stored text: right only because every time is stored in UTC."""
    moments = [NOW - timedelta(hours=2), NOW + timedelta(hours=2)]

    async with migrated(store) as database, database.transaction() as connection:
        for moment in moments:
            await signals.record(connection, CHAT, SignalKind.OFFERED, None, moment)
        deleted = await signals.forget_before(connection, NOW.astimezone(HANOI))
        left = [signal.at for signal in await signals_of(connection, CHAT)]
    assert (deleted, left) == (1, [NOW + timedelta(hours=2)])


async def test_a_time_without_its_zone_is_refused(store: Store) -> None:
    with pytest.raises(StatementError) as raised:
        async with migrated(store) as database, database.transaction() as connection:
            await signals.record(connection, CHAT, SignalKind.OFFERED, None, NOW.replace(tzinfo=None))
    assert isinstance(raised.value.orig, ValueError)


def test_the_type_converts_to_utc_on_the_way_in_and_out() -> None:
    column = UTCDateTime()
    dialect = sqlite.dialect()
    assert column.process_bind_param(NOW.astimezone(HANOI), dialect) == NOW
    assert column.process_bind_param(None, dialect) is None
    assert column.process_result_value(NOW.replace(tzinfo=None), dialect) == NOW
    assert column.process_result_value(None, dialect) is None
    with pytest.raises(ValueError, match="time zone"):
        column.process_bind_param(datetime(2026, 11, 23, 9, 0), dialect)
