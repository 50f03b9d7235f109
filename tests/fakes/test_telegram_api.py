"""The loopback Bot API behaves as Telegram does where the bot's behaviour depends on it, driven by PTB's Bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, BotCommand
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import command, text_message

CHAT_A, CHAT_B = 1001, 1002


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as client:
        yield client


async def ids(bot: Bot, offset: int) -> list[int]:
    return [update.update_id for update in await bot.get_updates(offset=offset, timeout=0)]


async def test_an_update_fetched_but_not_confirmed_comes_again_as_after_a_crash(api: FakeTelegram, bot: Bot) -> None:
    api.enqueue(text_message(1, CHAT_A, "một"), text_message(2, CHAT_A, "hai"))
    assert await ids(bot, 0) == [1, 2]
    assert await ids(bot, 0) == [1, 2]
    assert await ids(bot, 2) == [2]
    assert await ids(bot, 3) == []


async def test_an_update_enqueued_twice_is_delivered_twice(api: FakeTelegram, bot: Bot) -> None:
    update = text_message(5, CHAT_A, "một")
    api.enqueue(update)
    assert await ids(bot, 0) == [5]
    api.enqueue(update)
    assert await ids(bot, 6) == [5]


async def test_a_long_poll_answers_as_soon_as_an_update_arrives(api: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(offset=0, timeout=30))
    await api.wait_for_calls("getMe", 1)
    api.enqueue(command(1, CHAT_A, "start"))
    [update] = await asyncio.wait_for(poll, 5)
    assert update.message is not None and update.message.text == "/start"


async def test_only_the_update_kinds_asked_for_are_delivered(api: FakeTelegram, bot: Bot) -> None:
    api.enqueue(text_message(1, CHAT_A, "một"), {"update_id": 2, "poll": {"id": "p"}})
    updates = await bot.get_updates(offset=0, timeout=0, allowed_updates=["message"])
    assert [update.update_id for update in updates] == [1]


async def test_sent_messages_are_recorded_per_chat_as_the_citizen_sees_them(api: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT_A, "5 &lt; 6 <b>đậm</b>", parse_mode="HTML")
    await bot.send_message(CHAT_B, "khác")
    [sent] = api.sent(CHAT_A)
    assert (sent.text, sent.html) == ("5 < 6 đậm", "5 &lt; 6 <b>đậm</b>")


async def test_an_edit_replaces_the_text_of_the_message(api: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(CHAT_A, "trước")
    await bot.edit_message_text("sau", chat_id=CHAT_A, message_id=message.message_id)
    assert [sent.text for sent in api.sent(CHAT_A)] == ["sau"]


@pytest.mark.parametrize("text", ["5 < 6", "a & b", "<script>x</script>", "x" * 4097, " "])
async def test_what_telegram_refuses_is_refused(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(CHAT_A, text, parse_mode="HTML")


async def test_a_wrong_token_is_refused(api: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=api.base_url):
            pass


async def test_commands_set_are_the_commands_got(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]


async def test_faults_hit_the_next_calls_of_their_chat_only(api: FakeTelegram, bot: Bot) -> None:
    api.fail("sendMessage", 429, retry_after=7, chat_id=CHAT_A)
    api.fail("sendMessage", 500, chat_id=CHAT_A)
    await bot.send_message(CHAT_B, "B không bị ảnh hưởng")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(CHAT_A, "a")
    assert flood.value.retry_after.total_seconds() == 7
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT_A, "a")
    await bot.send_message(CHAT_A, "a")
    assert [(c.params["chat_id"], c.status) for c in api.calls_of("sendMessage")] == [
        (CHAT_B, 200),
        (CHAT_A, 429),
        (CHAT_A, 500),
        (CHAT_A, 200),
    ]


async def test_a_dropped_connection_is_a_network_error(api: FakeTelegram, bot: Bot) -> None:
    api.fail("sendMessage", 0)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT_A, "a")


async def test_the_fake_notes_when_it_handed_out_each_update_and_when_each_reply_came(
    api: FakeTelegram, bot: Bot
) -> None:
    api.enqueue(text_message(1, CHAT_A, "một"), text_message(2, CHAT_B, "hai"))
    assert api.queued == 2
    await ids(bot, 0)
    assert api.queued == 2  # handed out, not yet confirmed
    first_handed_out = dict(api.handed_out_at)
    await ids(bot, 0)
    assert api.handed_out_at == first_handed_out  # the first time counts
    await bot.send_message(CHAT_A, "trả lời")
    [reply] = api.sent(CHAT_A)
    assert reply.at > api.handed_out_at[1]
    await ids(bot, 3)
    assert api.queued == 0


async def test_faults_for_a_while_hit_every_call_until_they_end_and_429s_only_their_chats(
    api: FakeTelegram, bot: Bot
) -> None:
    api.fail_for("sendMessage", 500, seconds=0.3)
    api.fail_for("sendMessage", 429, seconds=60, retry_after=90, chat_ids=[CHAT_A])
    for _ in range(3):
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT_B, "một")
    await asyncio.sleep(0.3)
    await bot.send_message(CHAT_B, "hai")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(CHAT_A, "ba")
    assert flood.value.retry_after.total_seconds() == 90
    api.recover()
    await bot.send_message(CHAT_A, "bốn")
    assert [m.text for m in api.sent(CHAT_B)] == ["hai"]
    assert [m.text for m in api.sent(CHAT_A)] == ["bốn"]
