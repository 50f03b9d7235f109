"""The real Application, built by build_application, against the loopback Bot API in tests/fakes.

Every test waits for what the bot sends (FakeTelegram.wait_for_replies wakes on each request), never for
a fixed time. To show that something was *not* sent, a test sends a last message in the same chat and
waits for its reply: a chat's updates are answered one at a time, in order, so anything the earlier ones
caused has been sent by then.

The `handle` fixture is the service the bot calls: the real bot.shell.service.Service, once on an SQLite file
and once on PostgreSQL (the `store` fixture), so every conversation runs on both databases. The transport's
own failures and start-up (429, 5xx, a dropped connection, getUpdates failing, setMyCommands) are
`@transport_only`: the database plays no part in them, so they run on SQLite only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram.constants import MessageLimit
from telegram.ext import Application

from bot.app import system_clock
from bot.channels.telegram import (
    BUSY_TEXT,
    CHANNEL,
    COMMANDS,
    Handle,
    RetryPolicy,
    build_application,
    chat_key,
    running,
    serve,
)
from bot.channels.telegram.polling import DEFAULT_BATCH
from bot.core.engine import answer_reply, menu_buttons
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Button, Inbound, Outcome, Reply
from bot.shell.live_knowledge import Knowledge
from bot.shell.service import Service
from bot.shell.transactions import StorageUnavailable
from bot.storage import sessions
from bot.storage.db import SQLITE
from bot.storage.migrations import migrate
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.factories import TODAY
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import MEDIA, callback_query, command, edited_message, media_message, text_message

CHAT_A, CHAT_B = 1001, 1002
transport_only = pytest.mark.parametrize("database_kind", [SQLITE], indirect=True)  # see the module docstring
HOTLINE = "1900 9068"
FAST = RetryPolicy(backoff=0.01)  # retries as in production, without the waiting


@asynccontextmanager
async def service_on(store: Store, kb: KnowledgeBase, matcher: Matcher) -> AsyncIterator[Handle]:
    """The real Service on a migrated database, as one bot process opens it."""
    database = store.open()
    await migrate(database)
    try:
        yield Service(database, Knowledge(kb, matcher), lambda: TODAY, CHANNEL, now=system_clock).handle
    finally:
        await database.dispose()


@pytest.fixture
async def handle(store: Store, real_kb: KnowledgeBase, real_matcher: Matcher) -> AsyncIterator[Handle]:
    """The service the bot calls: the real Service, on SQLite and on PostgreSQL."""
    async with service_on(store, real_kb, real_matcher) as service:
        yield service


@asynccontextmanager
async def bot_running(api: FakeTelegram, handle: Handle, **options: Any) -> AsyncIterator[Application]:
    application = build_application(api.token, api.base_url, handle, **({"policy": FAST} | options))
    async with running(application, poll_timeout=1):
        yield application


@pytest.fixture
async def telegram(fake_api: FakeTelegram, handle: Handle) -> AsyncIterator[FakeTelegram]:
    """The loopback Bot API with the bot polling it."""
    async with bot_running(fake_api, handle):
        yield fake_api


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Over every test, start-up and shut-down included: no traceback, and never the token, at any level."""
    with clean_logs(caplog):
        yield


def labels_and_actions(buttons: tuple[Button, ...]) -> list[tuple[str, str]]:
    return [(button.label, button.action) for button in buttons]


def replying(reply: Reply) -> Handle:
    """A service that answers everything with this reply."""

    async def handle(inbound: Inbound, update_id: int | None) -> Outcome:
        return Outcome((reply,))

    return handle


# -- conversations ----------------------------------------------------------------------------------


async def test_start_shows_the_greeting_and_the_menu_buttons(telegram: FakeTelegram, real_kb: KnowledgeBase) -> None:
    telegram.enqueue(command(1, CHAT_A, "start"))
    [reply] = await telegram.wait_for_replies(CHAT_A, 1)
    assert reply.text == real_kb.message("greeting")
    assert reply.parse_mode == "HTML"
    assert reply.buttons == labels_and_actions(menu_buttons(real_kb))


async def test_the_command_menu_is_registered_at_start_up(telegram: FakeTelegram) -> None:
    assert telegram.commands == [{"command": c.command, "description": c.description} for c in COMMANDS]


@pytest.mark.parametrize(("name", "message"), [("menu", "greeting"), ("help", "help")])
async def test_menu_and_help_commands_answer_with_the_menu(
    telegram: FakeTelegram, real_kb: KnowledgeBase, name: str, message: str
) -> None:
    telegram.enqueue(command(1, CHAT_A, name))
    [reply] = await telegram.wait_for_replies(CHAT_A, 1)
    assert reply.text == real_kb.message(message)
    assert reply.buttons == labels_and_actions(menu_buttons(real_kb))


async def test_a_question_with_and_without_diacritics_gets_the_same_answer(
    telegram: FakeTelegram, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    question = "Mất thẻ BHYT thì phải làm sao?"
    decision = real_matcher.match(question)
    assert decision.kind == "answer" and decision.entry_id is not None
    expected = answer_reply(real_kb.entries[decision.entry_id], real_kb, TODAY)

    telegram.enqueue(text_message(1, CHAT_A, question), text_message(2, CHAT_B, "mat the bhyt thi phai lam sao"))
    [with_marks] = await telegram.wait_for_replies(CHAT_A, 1)
    [without_marks] = await telegram.wait_for_replies(CHAT_B, 1)
    assert with_marks.text == without_marks.text == expected.text
    assert with_marks.buttons == without_marks.buttons == labels_and_actions(expected.buttons)


async def test_pressing_menu_buttons_leads_to_an_answer_and_stops_each_spinner(
    telegram: FakeTelegram, real_kb: KnowledgeBase
) -> None:
    telegram.enqueue(command(1, CHAT_A, "start"))
    [menu] = await telegram.wait_for_replies(CHAT_A, 1)
    subject_action = next(action for _, action in menu.buttons if action.startswith("s:"))

    telegram.enqueue(callback_query(2, CHAT_A, subject_action, message_id=menu.message_id))
    [_, subject] = await telegram.wait_for_replies(CHAT_A, 2)
    entry_action = next(action for _, action in subject.buttons if action.startswith("a:"))

    telegram.enqueue(callback_query(3, CHAT_A, entry_action, message_id=subject.message_id))
    [_, _, answer] = await telegram.wait_for_replies(CHAT_A, 3)
    assert answer.text == answer_reply(real_kb.entries[entry_action.removeprefix("a:")], real_kb, TODAY).text
    answered = await telegram.wait_for_calls("answerCallbackQuery", 2)
    assert [call.params["callback_query_id"] for call in answered] == ["q2", "q3"]


async def test_an_out_of_scope_question_gets_the_fallback_with_the_hotline(
    telegram: FakeTelegram, real_kb: KnowledgeBase
) -> None:
    telegram.enqueue(text_message(1, CHAT_A, "Giá vàng hôm nay bao nhiêu?"))
    [reply] = await telegram.wait_for_replies(CHAT_A, 1)
    assert HOTLINE in reply.text
    assert reply.buttons == labels_and_actions(menu_buttons(real_kb))


@pytest.mark.parametrize("kind", sorted(MEDIA))
async def test_a_message_without_text_gets_the_polite_unsupported_reply(
    telegram: FakeTelegram, real_kb: KnowledgeBase, kind: str
) -> None:
    telegram.enqueue(media_message(1, CHAT_A, kind))
    [reply] = await telegram.wait_for_replies(CHAT_A, 1)
    assert reply.text == real_kb.message("unsupported")
    assert reply.buttons == labels_and_actions(menu_buttons(real_kb))


async def test_a_4000_character_message_gets_a_reply(telegram: FakeTelegram) -> None:
    text = ("Cho em hỏi về bảo hiểm, nhà em ở quê, làm ruộng, không có lương. " * 70)[:4000]
    telegram.enqueue(text_message(1, CHAT_A, text))
    [reply] = await telegram.wait_for_replies(CHAT_A, 1)
    assert reply.text.strip()


async def test_a_stale_button_gets_the_stale_reply_and_the_menu(telegram: FakeTelegram, real_kb: KnowledgeBase) -> None:
    telegram.enqueue(callback_query(1, CHAT_A, "a:muc-da-bi-xoa"))
    [reply] = await telegram.wait_for_replies(CHAT_A, 1)
    assert reply.text == real_kb.message("stale")
    assert reply.buttons == labels_and_actions(menu_buttons(real_kb))
    await telegram.wait_for_calls("answerCallbackQuery", 1)


async def test_an_edited_message_gets_no_reply(telegram: FakeTelegram, real_kb: KnowledgeBase) -> None:
    """An edit drives nothing (an old message edited into "đồng ý" is no consent): the citizen sends anew."""
    telegram.enqueue(edited_message(1, CHAT_A, "mất thẻ bhyt"), command(2, CHAT_A, "help"))
    replies = await telegram.wait_for_replies(CHAT_A, 1)
    assert [reply.text for reply in replies] == [real_kb.message("help")]


async def test_a_live_location_moving_gets_no_reply(telegram: FakeTelegram, real_kb: KnowledgeBase) -> None:
    telegram.enqueue(edited_message(1, CHAT_A, text=None), command(2, CHAT_A, "help"))
    replies = await telegram.wait_for_replies(CHAT_A, 1)
    assert [reply.text for reply in replies] == [real_kb.message("help")]


@transport_only
async def test_serve_answers_until_it_is_told_to_stop(fake_api: FakeTelegram, handle: Handle) -> None:
    stop = asyncio.Event()
    application = build_application(fake_api.token, fake_api.base_url, handle, policy=FAST)
    serving = asyncio.create_task(serve(application, stop))
    fake_api.enqueue(command(1, CHAT_A, "start"))
    await fake_api.wait_for_replies(CHAT_A, 1)
    stop.set()
    await asyncio.wait_for(serving, 5)
    assert not application.running


# -- exactly once ------------------------------------------------------------------------------------


@pytest.mark.parametrize("together", [True, False], ids=["same-batch", "redelivered-later"])
async def test_the_same_update_delivered_twice_is_answered_once(
    telegram: FakeTelegram, real_kb: KnowledgeBase, together: bool
) -> None:
    question = text_message(1, CHAT_A, "Giá vàng hôm nay bao nhiêu?")
    telegram.enqueue(question)
    if not together:
        await telegram.wait_for_replies(CHAT_A, 1)
    telegram.enqueue(question, command(2, CHAT_A, "help"))
    replies = await telegram.wait_for_replies(CHAT_A, 2)
    assert [reply.text for reply in replies] == [real_kb.message("fallback"), real_kb.message("help")]


async def test_the_same_button_press_delivered_twice_is_answered_once(
    telegram: FakeTelegram, real_kb: KnowledgeBase
) -> None:
    press = callback_query(1, CHAT_A, "m")
    telegram.enqueue(press, press, command(2, CHAT_A, "help"))
    replies = await telegram.wait_for_replies(CHAT_A, 2)
    assert [r.text for r in replies] == [real_kb.message("greeting"), real_kb.message("help")]


async def test_a_restart_in_the_middle_of_a_conversation_continues_it(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    async with service_on(store, real_kb, real_matcher) as first, bot_running(fake_api, first):
        fake_api.enqueue(command(1, CHAT_A, "start"), text_message(2, CHAT_A, "mất thẻ bhyt thì làm sao"))
        [_, answer] = await fake_api.wait_for_replies(CHAT_A, 2)
    followup = next(action for _, action in answer.buttons if action.startswith("a:"))

    # A new process: a new database connection and a new Application on the same Bot API.
    async with service_on(store, real_kb, real_matcher) as second, bot_running(fake_api, second):
        fake_api.enqueue(callback_query(3, CHAT_A, followup, message_id=answer.message_id))
        replies = await fake_api.wait_for_replies(CHAT_A, 3)
    assert replies[2].text == answer_reply(real_kb.entries[followup[2:]], real_kb, TODAY).text

    database = store.open()
    try:
        async with database.transaction() as connection:
            session = await sessions.load(connection, chat_key(CHAT_A))
    finally:
        await database.dispose()
    assert session is not None and session.turns == 3 and session.last_entry == followup[2:]


# -- rendering ----------------------------------------------------------------------------------------


async def test_html_special_characters_in_an_answer_are_shown_literally(fake_api: FakeTelegram) -> None:
    text = 'Mức <b>đóng</b> & "hưởng": 5 < 6 > 4, &amp; <a href="x">link</a>'
    async with bot_running(fake_api, replying(Reply(text, (Button("A & <B>", "a:x"),)))):
        fake_api.enqueue(text_message(1, CHAT_A, "câu hỏi"))
        [reply] = await fake_api.wait_for_replies(CHAT_A, 1)
    assert reply.text == text
    assert "<b>" not in reply.html
    assert reply.buttons == [("A & <B>", "a:x")]


async def test_a_long_answer_is_split_at_paragraphs_with_the_buttons_under_the_last_part(
    fake_api: FakeTelegram,
) -> None:
    paragraph = "Câu trả lời dài về bảo hiểm xã hội. " * 55  # about 2,000 characters: two fit in one message
    text = "\n\n".join(f"Đoạn {n}. {paragraph}".strip() for n in range(1, 6))
    async with bot_running(fake_api, replying(Reply(text, (Button("Menu chính", "m"),)))):
        fake_api.enqueue(text_message(1, CHAT_A, "câu hỏi"))
        parts = await fake_api.wait_for_replies(CHAT_A, 3)
    assert [part.text[:7] for part in parts] == ["Đoạn 1.", "Đoạn 3.", "Đoạn 5."]
    assert all(len(part.text) <= MessageLimit.MAX_TEXT_LENGTH for part in parts)
    assert [part.buttons for part in parts] == [[], [], [("Menu chính", "m")]]
    assert "\n\n".join(part.text for part in parts) == text


# -- failures ----------------------------------------------------------------------------------------


@transport_only
async def test_a_429_on_one_chat_delays_that_chat_only(fake_api: FakeTelegram, handle: Handle) -> None:
    fake_api.fail("sendMessage", 429, retry_after=1, chat_id=CHAT_A)
    async with bot_running(fake_api, handle):
        fake_api.enqueue(command(1, CHAT_A, "start"), command(2, CHAT_B, "start"))
        await fake_api.wait_for_replies(CHAT_A, 1)
    assert [sent.chat_id for sent in fake_api.outbox] == [CHAT_B, CHAT_A]
    to_a = [call.status for call in fake_api.calls_of("sendMessage") if call.params["chat_id"] == CHAT_A]
    assert to_a == [429, 200]


@transport_only
async def test_a_chat_waiting_out_a_429_holds_up_no_later_batch(fake_api: FakeTelegram, handle: Handle) -> None:
    fake_api.fail("sendMessage", 429, retry_after=2, chat_id=CHAT_A)
    others = [command(n, 2000 + n, "help") for n in range(2, 3 * DEFAULT_BATCH + 2)]  # three batches' worth
    async with bot_running(fake_api, handle):
        fake_api.enqueue(command(1, CHAT_A, "start"), *others)
        await fake_api.wait_for_replies(CHAT_A, 1)
    order = [sent.chat_id for sent in fake_api.outbox]
    assert order[-1] == CHAT_A
    assert sorted(order[:-1]) == [2000 + n for n in range(2, 3 * DEFAULT_BATCH + 2)]


async def test_updates_fetched_but_not_handled_when_the_bot_dies_are_answered_after_the_restart(
    fake_api: FakeTelegram, store: Store, real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    stuck = asyncio.Event()

    async def dying(inbound: Inbound, update_id: int | None) -> Outcome | None:
        if update_id == 3:
            stuck.set()
            await asyncio.Event().wait()  # the process dies while this update is being handled
        return await first(inbound, update_id)

    async with service_on(store, real_kb, real_matcher) as first:
        bot = asyncio.create_task(_run_until_cancelled(fake_api, dying))
        fake_api.enqueue(command(1, CHAT_A, "start"), command(2, CHAT_B, "start"), command(3, CHAT_A, "help"))
        await fake_api.wait_for_replies(CHAT_B, 1)
        await asyncio.wait_for(stuck.wait(), 5)
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
    assert fake_api.queued == 3  # nothing of the batch was confirmed to Telegram

    async with service_on(store, real_kb, real_matcher) as second, bot_running(fake_api, second):
        replies = await fake_api.wait_for_replies(CHAT_A, 2)
        fake_api.enqueue(command(4, CHAT_B, "help"))
        await fake_api.wait_for_replies(CHAT_B, 2)
    assert [r.text for r in replies] == [real_kb.message("greeting"), real_kb.message("help")]
    assert len(fake_api.sent(CHAT_B)) == 2  # update 2 was answered once, before the crash
    assert fake_api.queued == 0


async def _run_until_cancelled(api: FakeTelegram, handle: Handle) -> None:
    async with bot_running(api, handle):
        await asyncio.Event().wait()


@transport_only
@pytest.mark.parametrize("status", [500, 502, 0], ids=["500", "502", "dropped-connection"])
async def test_a_server_error_on_send_is_retried(fake_api: FakeTelegram, handle: Handle, status: int) -> None:
    fake_api.fail("sendMessage", status, times=2)
    async with bot_running(fake_api, handle):
        fake_api.enqueue(command(1, CHAT_A, "start"))
        [reply] = await fake_api.wait_for_replies(CHAT_A, 1)
    assert reply.buttons
    assert [call.status for call in fake_api.calls_of("sendMessage")] == [status, status, 200]


@transport_only
async def test_a_send_that_keeps_failing_is_given_up_and_the_bot_goes_on(
    fake_api: FakeTelegram, handle: Handle, real_kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.fail("sendMessage", 500, times=FAST.attempts, chat_id=CHAT_A)
    async with bot_running(fake_api, handle):
        fake_api.enqueue(command(1, CHAT_A, "start"), command(2, CHAT_B, "start"), command(3, CHAT_A, "help"))
        [help_reply] = await fake_api.wait_for_replies(CHAT_A, 1)
        await fake_api.wait_for_replies(CHAT_B, 1)
    assert help_reply.text == real_kb.message("help")
    to_a = [call.status for call in fake_api.calls_of("sendMessage") if call.params["chat_id"] == CHAT_A]
    assert to_a == [500] * FAST.attempts + [200]
    assert "update 1: sendMessage failed 4 times (NetworkError), given up" in caplog.messages


@transport_only
async def test_start_up_waits_out_a_short_429_on_set_my_commands(fake_api: FakeTelegram, handle: Handle) -> None:
    fake_api.fail("setMyCommands", 429, retry_after=1)
    async with bot_running(fake_api, handle):
        fake_api.enqueue(command(1, CHAT_A, "start"))
        await fake_api.wait_for_replies(CHAT_A, 1)
    assert [call.status for call in fake_api.calls_of("setMyCommands")] == [429, 200]
    assert [c["command"] for c in fake_api.commands] == [c.command for c in COMMANDS]


@transport_only
async def test_start_up_goes_on_without_commands_after_a_long_429(
    fake_api: FakeTelegram, handle: Handle, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.fail("setMyCommands", 429, retry_after=3600)
    async with bot_running(fake_api, handle):
        fake_api.enqueue(command(1, CHAT_A, "start"))
        await fake_api.wait_for_replies(CHAT_A, 1)
    assert fake_api.commands == []
    assert "commands not registered" in caplog.text


@transport_only
async def test_polling_goes_on_after_get_updates_fails(
    fake_api: FakeTelegram, handle: Handle, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.fail("getUpdates", 500)
    async with bot_running(fake_api, handle):
        fake_api.enqueue(command(1, CHAT_A, "start"))
        await fake_api.wait_for_replies(CHAT_A, 1)
    assert "getUpdates failed (NetworkError), polling again in 0.5 s" in caplog.messages


async def test_storage_unavailable_gets_a_polite_try_again_and_the_bot_keeps_going(
    fake_api: FakeTelegram, handle: Handle, real_kb: KnowledgeBase
) -> None:
    failures = iter([StorageUnavailable("database unavailable after 5 attempts")])

    async def flaky(inbound: Inbound, update_id: int | None) -> Outcome | None:
        if (failure := next(failures, None)) is not None:
            raise failure
        return await handle(inbound, update_id)

    async with bot_running(fake_api, flaky):
        fake_api.enqueue(command(1, CHAT_A, "start"), command(2, CHAT_A, "help"))
        replies = await fake_api.wait_for_replies(CHAT_A, 2)
    assert [reply.text for reply in replies] == [BUSY_TEXT, real_kb.message("help")]


async def test_a_bug_in_the_service_is_logged_with_the_update_id_and_answered_politely(
    fake_api: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(inbound: Inbound, update_id: int | None) -> Outcome | None:
        raise RuntimeError("a bug")

    async with bot_running(fake_api, broken):
        fake_api.enqueue(text_message(77, CHAT_A, "câu hỏi"))
        [reply] = await fake_api.wait_for_replies(CHAT_A, 1)
    assert reply.text == BUSY_TEXT
    [error] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert error.getMessage() == "update 77: failed with RuntimeError"
    assert error.exc_info is not None
    caplog.clear()  # the one traceback this test expects; logs_are_clean checks every other test


# -- logs --------------------------------------------------------------------------------------------


async def test_logs_carry_update_ids_and_decisions_never_what_the_citizen_wrote(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    private = "Tôi là Nguyễn Văn Bình, số 0912345678, mất thẻ bhyt"
    chat_id = 731559204
    telegram.enqueue(text_message(41, chat_id, private))
    await telegram.wait_for_replies(chat_id, 1)
    await telegram.wait_until(lambda: "update 41:" in caplog.text, 5, "the log line of update 41")
    assert "Nguyễn" not in caplog.text
    assert "0912345678" not in caplog.text
    assert "mất thẻ" not in caplog.text
    assert str(chat_id) not in caplog.text
