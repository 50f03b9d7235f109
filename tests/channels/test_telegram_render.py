"""How replies become Telegram messages, and updates become Inbounds: pure functions, no network."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Update

from bot.channels.telegram import chat_key, render, split_text, to_inbound
from bot.channels.telegram.render import MAX_TEXT, size
from bot.core.types import Button, Inbound, InboundKind, Reply
from tests.factories import PHONE_KEYBOARD
from tests.fakes.telegram_updates import (
    callback_query,
    command,
    contact_message,
    edited_message,
    media_message,
    shared_contact_message,
    text_message,
)

CHAT = 1001


def test_a_short_text_is_one_message() -> None:
    assert split_text("Mức đóng BHYT hộ gia đình.") == ["Mức đóng BHYT hộ gia đình."]


def test_a_long_text_is_cut_between_paragraphs_first() -> None:
    first, second = "Đoạn một. " + "a" * 50, "Đoạn hai. " + "b" * 50
    assert split_text(f"{first}\n\n{second}", limit=100) == [first, second]


def test_a_paragraph_too_long_for_one_message_is_cut_between_sentences() -> None:
    sentences = [f"Câu số {n} nói về bảo hiểm y tế." for n in range(6)]
    parts = split_text(" ".join(sentences), limit=70)
    assert parts == [" ".join(sentences[i : i + 2]) for i in range(0, 6, 2)]


def test_a_word_longer_than_a_message_is_cut_inside() -> None:
    assert split_text("x" * 250, limit=100) == ["x" * 100, "x" * 100, "x" * 50]


def test_the_limit_counts_the_escaped_text() -> None:
    parts = split_text("a & b < c > d. " * 20, limit=50)
    assert all(size(part) <= 50 for part in parts)
    assert len(parts) > len("a & b < c > d. " * 20) // 50


def test_emoji_count_twice_as_telegram_counts_utf16() -> None:
    assert size("👍") == 2
    assert split_text("👍" * 60, limit=100) == ["👍" * 50, "👍" * 10]


@given(st.text(alphabet=PHONE_KEYBOARD + "<>&", max_size=600), st.integers(min_value=8, max_value=200))
def test_no_part_is_over_the_limit_and_no_word_is_lost(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < size(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_every_character_is_escaped_so_the_citizen_sees_it_literally() -> None:
    [message] = render(Reply('<b>5 < 6</b> & "x"'))
    assert message.html == '&lt;b&gt;5 &lt; 6&lt;/b&gt; &amp; "x"'


def test_buttons_are_one_per_row_under_the_last_part() -> None:
    reply = Reply("a" * (MAX_TEXT + 10), (Button("Một", "a:mot"), Button("Hai", "a:hai")))
    first, last = render(reply)
    assert first.keyboard is None
    assert last.keyboard is not None
    assert [[(b.text, b.callback_data) for b in row] for row in last.keyboard.inline_keyboard] == [
        [("Một", "a:mot")],
        [("Hai", "a:hai")],
    ]


def test_a_button_whose_action_is_over_64_bytes_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    [message] = render(Reply("Chọn:", (Button("Dài", "a:" + "đ" * 32), Button("Ngắn", "m"))))
    assert message.keyboard is not None
    assert [row[0].callback_data for row in message.keyboard.inline_keyboard] == ["m"]
    assert "dropped 1 button(s)" in caplog.text


def inbound(data: dict[str, Any]) -> Inbound | None:
    return to_inbound(Update.de_json(data, None))


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (command(1, CHAT, "start"), Inbound(chat_key(CHAT), InboundKind.START)),
        (command(1, CHAT, "menu"), Inbound(chat_key(CHAT), InboundKind.MENU)),
        (command(1, CHAT, "help"), Inbound(chat_key(CHAT), InboundKind.HELP)),
        (command(1, CHAT, "khac"), Inbound(chat_key(CHAT), InboundKind.TEXT, text="/khac")),
        (text_message(1, CHAT, "mất thẻ bhyt"), Inbound(chat_key(CHAT), InboundKind.TEXT, text="mất thẻ bhyt")),
        (callback_query(1, CHAT, "a:bhyt.the"), Inbound(chat_key(CHAT), InboundKind.ACTION, action="a:bhyt.the")),
        (media_message(1, CHAT, "sticker"), Inbound(chat_key(CHAT), InboundKind.UNSUPPORTED)),
        (edited_message(1, CHAT, "sửa lại"), None),  # an edit drives nothing: "đồng ý" edited in is no consent
        (edited_message(1, CHAT, None), None),
        (text_message(1, -100200, "chào cả nhóm", chat_type="group"), None),
        (
            text_message(1, CHAT, unicodedata.normalize("NFD", "Nguyễn Thị Lan")),  # Unikey's "tổ hợp"
            Inbound(chat_key(CHAT), InboundKind.TEXT, text="Nguyễn Thị Lan"),
        ),
    ],
    ids=[
        "start",
        "menu",
        "help",
        "unknown-command",
        "text",
        "button",
        "sticker",
        "edited",
        "live-location",
        "group",
        "decomposed",
    ],
)
def test_an_update_becomes_the_inbound_the_core_expects(update: dict[str, Any], expected: Inbound | None) -> None:
    assert inbound(update) == expected


def test_only_the_citizens_own_contact_card_is_their_own_number() -> None:
    own = inbound(contact_message(1, CHAT, "+84912345678"))
    assert own == Inbound(chat_key(CHAT), InboundKind.CONTACT, text="+84912345678")
    for user_id in (CHAT + 1, None):
        other = inbound(shared_contact_message(1, CHAT, "+84987654321", user_id))
        assert other == Inbound(chat_key(CHAT), InboundKind.OTHER_CONTACT, text="+84987654321")


def test_the_session_key_names_the_channel_and_the_chat() -> None:
    assert chat_key(123456) == "telegram:123456"
