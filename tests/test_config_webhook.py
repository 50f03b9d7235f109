"""The Telegram webhook settings: an https address ending in /webhooks/telegram, with a secret Telegram accepts;
a refused value is named, never echoed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings

URL = "https://bot.example.vn/webhooks/telegram"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_a_webhook_url_with_its_secret_is_accepted() -> None:
    found = settings(telegram_webhook_url=URL, telegram_webhook_secret="Abc_123-xyz")
    assert found.telegram_webhook_url == URL
    assert found.telegram_webhook_secret is not None
    assert found.telegram_webhook_secret.get_secret_value() == "Abc_123-xyz"


def test_without_a_webhook_url_nothing_is_required() -> None:
    found = settings()
    assert found.telegram_webhook_url is None and found.telegram_webhook_secret is None


@pytest.mark.parametrize(
    "url",
    ["http://bot.example.vn/webhooks/telegram", "https://bot.example.vn/telegram", "https:///webhooks/telegram"],
)
def test_a_url_that_is_not_https_or_not_the_webhook_path_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="telegram_webhook_url"):
        settings(telegram_webhook_url=url, telegram_webhook_secret="abc")


def test_a_webhook_url_without_a_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET"):
        settings(telegram_webhook_url=URL)


@pytest.mark.parametrize("secret", ["mật khẩu có dấu", "x" * 257, "a:b"])
def test_a_secret_telegram_would_refuse_is_refused_without_being_echoed(secret: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(telegram_webhook_url=URL, telegram_webhook_secret=secret)
    assert "telegram_webhook_secret" in str(refused.value)
    assert secret not in str(refused.value)
