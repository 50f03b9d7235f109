"""The interaction log: what was asked (normalised) and decided, per channel, with no personal data."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.types import Alternative, LogInteraction
from bot.storage import interactions
from bot.storage.interactions import InteractionRecord, mask_numbers
from bot.storage.migrations import migrate
from tests.databases import Store

ANSWERED = LogInteraction(
    "muc dong bhyt ho gia dinh",
    "answer",
    "bhyt.muc-dong-hgd",
    (Alternative("bhyt.muc-dong-hgd", 0.58), Alternative("calc.bhyt-hgd", 0.3)),
)


async def _log_and_read(store: Store, *effects: LogInteraction) -> list[InteractionRecord]:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            for effect in effects:
                await interactions.log(connection, "telegram", effect)
        async with database.transaction() as connection:
            return await interactions.recent(connection)


def test_a_logged_decision_is_read_back_with_its_scores(store: Store) -> None:
    [record] = asyncio.run(_log_and_read(store, ANSWERED))
    assert (record.channel, record.normalised, record.decision, record.matched_id, record.top) == (
        "telegram",
        ANSWERED.normalised,
        "answer",
        "bhyt.muc-dong-hgd",
        ANSWERED.top,
    )
    assert record.created_at is not None


def test_recent_interactions_come_newest_first(store: Store) -> None:
    fallback = LogInteraction("gia vang hom nay", "fallback", None)
    records = asyncio.run(_log_and_read(store, ANSWERED, fallback))
    assert [r.decision for r in records] == ["fallback", "answer"]
    assert records[0].top == ()


def test_a_question_in_the_field_that_is_not_covered_is_kept_with_its_subject(store: Store) -> None:
    uncovered = LogInteraction("thuong binh kham bhyt", "uncovered", None, (), "chế độ người có công")
    [record] = asyncio.run(_log_and_read(store, uncovered))
    assert (record.decision, record.matched_id, record.topic) == ("uncovered", None, "chế độ người có công")


def test_phone_and_id_numbers_typed_in_a_question_are_not_stored(store: Store) -> None:
    question = LogInteraction("so toi 0912 345 678 cccd 079123456789 tra cuu bhxh", "fallback", None)
    [record] = asyncio.run(_log_and_read(store, question))
    assert record.normalised == "so toi # cccd # tra cuu bhxh"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("0912345678", "#"),
        ("goi 0912.345.678 nhe", "goi # nhe"),
        ("ma so 79-123-456-78", "ma so #"),
        ("nam 2026 luong 2340000", "nam 2026 luong #"),
        ("5 nguoi 12 thang 1 263 600", "5 nguoi 12 thang #"),
        ("sinh nam 1965 dong 20 nam", "sinh nam 1965 dong 20 nam"),
    ],
)
def test_runs_of_seven_digits_or_more_are_masked(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked
