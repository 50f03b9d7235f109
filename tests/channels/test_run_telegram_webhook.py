"""`python -m bot run` by webhook, as a real process behind the loopback Bot API; and long polling refusing to
start (and leaving the webhook alone) when the token has a webhook set."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from bot.channels.telegram import build_application, running
from bot.channels.telegram.polling import WebhookInUse
from bot.core.types import Inbound, Outcome
from tests.cli import BotCli
from tests.factories import PROJECT_ROOT
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_updates import command, text_message

SECRET = "bi-mat_cua-van-phong_2026"
URL = "https://bot.example.vn/webhooks/telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bot_environment(api: FakeTelegram, tmp_path: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("TELEGRAM_", "MATCH_", "WEB_"))}
    return (
        env
        | {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "PTB_TIMEDELTA": "true",
            "LOG_LEVEL": "DEBUG",
            "WEB_PORT": "0",
        }
        | more
    )


async def posted_when_listening(client: httpx.AsyncClient, url: str, update: dict[str, object]) -> httpx.Response:
    """POST the update as Telegram would, once the process listens (it migrates and loads knowledge first)."""
    for _ in range(600):
        try:
            return await client.post(url, json=update, headers={HEADER: SECRET})
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise AssertionError("the bot never listened")


async def test_run_with_a_webhook_url_answers_updates_posted_to_its_web_server(tmp_path: Path) -> None:
    port = free_port()
    async with FakeTelegram() as api:
        env = bot_environment(
            api,
            tmp_path,
            TELEGRAM_WEBHOOK_URL=URL,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            WEB_PORT=str(port),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=PROJECT_ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        endpoint = f"http://127.0.0.1:{port}/webhooks/telegram"
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                first = await posted_when_listening(client, endpoint, command(1, 601, "start"))
                second = await client.post(endpoint, json=text_message(2, 601, "mất thẻ bhyt thì làm sao"),
                                           headers={HEADER: SECRET})  # fmt: skip
                wrong = await client.post(endpoint, json=text_message(3, 601, "xin chào"), headers={HEADER: "x"})
                metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
            replies = await api.wait_for_replies(601, 2, timeout=60)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode("utf-8")
    assert process.returncode == 0, log
    assert (first.status_code, second.status_code, wrong.status_code) == (200, 200, 401)
    assert "thẻ" in replies[-1].text
    assert api.calls_of("getUpdates") == [] and api.calls_of("setWebhook") == []  # `webhook set` does that
    assert 'bot_messages_total{channel="telegram",decision="answer"} 1' in metrics.text
    assert "Traceback" not in log
    assert TOKEN.partition(":")[2] not in log and SECRET not in log


def test_run_by_webhook_refuses_to_start_without_the_web_server(run_bot: BotCli) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_URL": URL,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WEB_PORT": "0",
    }
    result = run_bot("run", extra_env=env)
    assert result.returncode == 1
    assert "WEB_PORT=0" in result.stderr and "TELEGRAM_WEBHOOK_URL" in result.stderr


async def test_polling_stops_with_a_clear_message_when_a_webhook_is_set_and_leaves_it(tmp_path: Path) -> None:
    async with FakeTelegram() as api:
        api.webhook = {"url": URL, "secret_token": SECRET}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=PROJECT_ROOT,
            env=bot_environment(api, tmp_path),
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode("utf-8")
    assert process.returncode == 1, log
    assert "python -m bot webhook delete" in log and URL in log
    assert api.calls_of("deleteWebhook") == [] and api.calls_of("getUpdates") == []
    assert api.webhook is not None
    assert "Traceback" not in log


async def test_running_checks_for_a_webhook_before_polling(fake_api: FakeTelegram) -> None:
    async def never(inbound: Inbound, update_id: int | None) -> Outcome | None:
        raise AssertionError("no update is handled")

    fake_api.webhook = {"url": URL}
    application = build_application(fake_api.token, fake_api.base_url, never)
    with pytest.raises(WebhookInUse, match="webhook delete"):
        async with running(application, poll_timeout=1):
            pass
    assert fake_api.calls_of("getWebhookInfo") and fake_api.calls_of("deleteWebhook") == []
