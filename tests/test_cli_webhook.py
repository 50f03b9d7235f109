"""`python -m bot webhook set|delete|info` against the loopback Bot API: what Telegram is asked, what staff read,
and that neither the token nor the secret is ever printed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.channels.telegram import ALLOWED_UPDATES
from tests.cli import BotCli, Finished
from tests.fakes.conftest import ptb_timedelta
from tests.fakes.telegram_api import TOKEN, FakeTelegram

SECRET = "bi-mat_cua-van-phong_2026"
URL = "https://bot.example.vn/webhooks/telegram"

__all__ = ["ptb_timedelta"]


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as api:
        yield api


def settings_for(api: FakeTelegram, **more: str) -> dict[str, str]:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url}
    return env | {"TELEGRAM_WEBHOOK_URL": URL, "TELEGRAM_WEBHOOK_SECRET": SECRET} | more


def assert_nothing_secret(result: Finished) -> None:
    printed = result.stdout + result.stderr
    assert SECRET not in printed
    assert TOKEN.partition(":")[2] not in printed


async def test_set_registers_the_url_with_the_secret_and_the_bots_update_kinds(
    run_bot: BotCli, fake_api: FakeTelegram
) -> None:
    result = await run_bot.in_thread("webhook", "set", extra_env=settings_for(fake_api))
    assert result.returncode == 0, result.stderr
    [call] = fake_api.calls_of("setWebhook")
    assert call.params["url"] == URL
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == list(ALLOWED_UPDATES)
    assert call.params["drop_pending_updates"] is False
    assert "max_connections" not in call.params
    assert URL in result.stdout
    assert_nothing_secret(result)


async def test_set_passes_max_connections_when_configured(run_bot: BotCli, fake_api: FakeTelegram) -> None:
    env = settings_for(fake_api, TELEGRAM_WEBHOOK_MAX_CONNECTIONS="10")
    result = await run_bot.in_thread("webhook", "set", extra_env=env)
    assert result.returncode == 0, result.stderr
    assert fake_api.calls_of("setWebhook")[0].params["max_connections"] == 10


async def test_set_without_url_and_secret_says_what_to_configure_and_asks_nothing(
    run_bot: BotCli, fake_api: FakeTelegram
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake_api.base_url}
    result = await run_bot.in_thread("webhook", "set", extra_env=env)
    assert result.returncode == 1
    assert "TELEGRAM_WEBHOOK_URL" in result.stderr and "TELEGRAM_WEBHOOK_SECRET" in result.stderr
    assert fake_api.calls_of("setWebhook") == []


async def test_info_shows_the_url_pending_updates_and_the_last_error_but_not_the_secret(
    run_bot: BotCli, fake_api: FakeTelegram
) -> None:
    await run_bot.in_thread("webhook", "set", extra_env=settings_for(fake_api))
    failed_at = datetime(2026, 12, 1, 3, 4, 5, tzinfo=UTC)  # 10:04:05 in Hà Nội
    fake_api.webhook_error = (int(failed_at.timestamp()), "Connection refused")
    result = await run_bot.in_thread("webhook", "info", extra_env=settings_for(fake_api))
    assert result.returncode == 0, result.stderr
    assert URL in result.stdout
    assert "Tin đang chờ gửi tới bot: 0" in result.stdout
    assert "01/12/2026 10:04:05: Connection refused" in result.stdout
    assert_nothing_secret(result)


async def test_delete_removes_the_webhook_and_keeps_pending_updates(run_bot: BotCli, fake_api: FakeTelegram) -> None:
    await run_bot.in_thread("webhook", "set", extra_env=settings_for(fake_api))
    result = await run_bot.in_thread("webhook", "delete", extra_env=settings_for(fake_api))
    assert result.returncode == 0, result.stderr
    [call] = fake_api.calls_of("deleteWebhook")
    assert call.params.get("drop_pending_updates") is False
    assert fake_api.webhook is None
    info = await run_bot.in_thread("webhook", "info", extra_env=settings_for(fake_api))
    assert "chưa đặt" in info.stdout
    assert_nothing_secret(result)


async def test_a_token_telegram_refuses_is_a_clear_message_without_the_token(
    run_bot: BotCli, fake_api: FakeTelegram
) -> None:
    env = settings_for(fake_api, TELEGRAM_BOT_TOKEN="111:not-the-token")
    result = await run_bot.in_thread("webhook", "info", extra_env=env)
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "not-the-token" not in result.stdout + result.stderr
