"""The interaction log: what was asked (normalised) and decided, per channel, with no personal data; a chat's
questions are reachable for /xoadulieu through a keyed hash of the chat."""

from __future__ import annotations

import asyncio
import hashlib
import secrets

import pytest

from bot.core.types import Alternative, LogInteraction
from bot.storage import install_keys, interactions
from bot.storage.db import Database
from bot.storage.interactions import InteractionRecord, chat_digest, mask_numbers
from bot.storage.migrations import migrate
from tests.databases import Store
from tests.lead_factories import NOW

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
                await interactions.log(connection, "telegram", effect, NOW)
        async with database.transaction() as connection:
            return await interactions.recent(connection)


async def test_a_logged_decision_is_read_back_with_its_scores(store: Store) -> None:
    [record] = await _log_and_read(store, ANSWERED)
    assert (record.channel, record.normalised, record.decision, record.matched_id, record.top) == (
        "telegram",
        ANSWERED.normalised,
        "answer",
        "bhyt.muc-dong-hgd",
        ANSWERED.top,
    )
    assert record.created_at is not None


async def test_recent_interactions_come_newest_first(store: Store) -> None:
    fallback = LogInteraction("gia vang hom nay", "fallback", None)
    records = await _log_and_read(store, ANSWERED, fallback)
    assert [r.decision for r in records] == ["fallback", "answer"]
    assert records[0].top == ()


async def test_a_question_in_the_field_that_is_not_covered_is_kept_with_its_subject(store: Store) -> None:
    uncovered = LogInteraction("thuong binh kham bhyt", "uncovered", None, (), "chế độ người có công")
    [record] = await _log_and_read(store, uncovered)
    assert (record.decision, record.matched_id, record.topic) == ("uncovered", None, "chế độ người có công")


async def test_phone_and_id_numbers_typed_in_a_question_are_not_stored(store: Store) -> None:
    question = LogInteraction("so toi 0912 345 678 cccd 079123456789 tra cuu bhxh", "fallback", None)
    [record] = await _log_and_read(store, question)
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


# -- issue 12: /xoadulieu reaches a chat's questions through a keyed hash of the chat, never its id ------------


async def _log_for_chats(store: Store, *chats: str) -> tuple[str, list[InteractionRecord]]:
    """Each chat asks once; the installation's key and the log as stored."""
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            key = await install_keys.get_or_create(connection, install_keys.INTERACTIONS, NOW)
            for chat in chats:
                await interactions.log(connection, "telegram", ANSWERED, NOW, chat_digest(key, chat))
        async with database.transaction() as connection:
            return key, await interactions.recent(connection)


async def test_a_logged_question_is_linked_to_its_chat_by_a_keyed_hash_not_by_the_chat_id(store: Store) -> None:
    key, [record] = await _log_for_chats(store, "telegram:987654321")
    assert record.chat_digest == chat_digest(key, "telegram:987654321")
    assert "987654321" not in record.chat_digest
    assert record.chat_digest != hashlib.sha256(b"telegram:987654321").hexdigest()[: len(record.chat_digest)]


def test_the_hash_of_a_chat_depends_on_the_installations_key() -> None:
    one, two = secrets.token_hex(32), secrets.token_hex(32)
    assert chat_digest(one, "telegram:1") == chat_digest(one, "telegram:1")
    assert chat_digest(one, "telegram:1") != chat_digest(one, "telegram:2")
    assert chat_digest(one, "telegram:1") != chat_digest(two, "telegram:1")


async def test_the_installations_key_is_made_once_and_shared_by_every_process(store: Store) -> None:
    async with store.open() as first, store.open() as second:
        await migrate(first)

        async def key_of(database: Database) -> str:
            async with database.transaction() as connection:
                return await install_keys.get_or_create(connection, install_keys.INTERACTIONS, NOW)

        made = await asyncio.gather(key_of(first), key_of(second))
        keys = [*made, await key_of(first)]
    assert len(set(keys)) == 1 and len(keys[0]) == 64


async def test_forgetting_a_chat_deletes_its_questions_and_no_other_chats(store: Store) -> None:
    async with store.open() as database:
        await migrate(database)
        async with database.transaction() as connection:
            key = await install_keys.get_or_create(connection, install_keys.INTERACTIONS, NOW)
            for chat in ("telegram:1", "telegram:2", "telegram:1"):
                await interactions.log(connection, "telegram", ANSWERED, NOW, chat_digest(key, chat))
            await interactions.log(connection, "telegram", ANSWERED, NOW)  # logged before chats were linked
        async with database.transaction() as connection:
            deleted = await interactions.forget_chat(connection, chat_digest(key, "telegram:1"))
        async with database.transaction() as connection:
            left = [record.chat_digest for record in await interactions.recent(connection)]
        names = {chat_digest(key, "telegram:2"): "telegram:2", None: "before the link"}
        result = deleted, [names[digest] for digest in left]
    assert result == (2, ["before the link", "telegram:2"])
