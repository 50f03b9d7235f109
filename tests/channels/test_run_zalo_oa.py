"""`python -m bot run` for an office on the Zalo OA only (no Telegram, no Zalo Bot): a real process serving the web
server and the OA's worker against the loopback Zalo OA; and the combinations `run` refuses, each with its message."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.cli import BotCli
from tests.factories import PROJECT_ROOT
from tests.fakes.zalo_oa_api import APP_ID, SECRET_KEY, FakeZaloOa, signed, text_event

CITIZEN = "8412345678901234567"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def oa_only_environment(api: FakeZaloOa, tmp_path: Path, port: int) -> dict[str, str]:
    leaking = ("TELEGRAM_", "ZALO_", "WEB_", "MATCH_")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(leaking)}
    return env | {
        "ZALO_OA_APP_ID": APP_ID,
        "ZALO_OA_SECRET_KEY": SECRET_KEY,
        "ZALO_OA_API_BASE_URL": api.base_url,
        "ZALO_OA_OAUTH_BASE_URL": api.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "LOG_LEVEL": "DEBUG",
    }


async def bot(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=PROJECT_ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def healthy_when_listening(client: httpx.AsyncClient, base: str) -> httpx.Response:
    """GET /healthz once the process listens (it migrates and loads knowledge first)."""
    for _ in range(600):
        try:
            return await client.get(f"{base}/healthz")
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise AssertionError("the bot never listened")


async def test_run_with_only_the_zalo_oa_serves_its_webhook_answers_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with FakeZaloOa() as api:
        env = oa_only_environment(api, tmp_path, port)
        connect = await bot("zalo-oa", "connect", api.authorise(), env=env)
        out, err = await asyncio.wait_for(connect.communicate(), 120)
        assert connect.returncode == 0, out.decode() + err.decode()
        process = await bot("run", env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                health = await healthy_when_listening(client, base)
                body, headers = signed(text_event(CITIZEN, "mat the bhyt thi phai lam sao", "m-1"))
                event = await client.post(f"{base}/webhooks/zalo-oa", content=body, headers=headers)
                unsigned = await client.post(f"{base}/webhooks/zalo-oa", content=body)
                chat = await client.get(f"{base}/chat")
            replies = await api.wait_for_messages(CITIZEN, 1, timeout=60)
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode("utf-8")
    assert process.returncode == 0, log[-3000:]
    assert stdout.decode("utf-8") == ""  # not the terminal chat
    assert (health.status_code, event.status_code, unsigned.status_code, chat.status_code) == (200, 200, 401, 200)
    assert "thẻ BHYT" in replies[0].text
    assert "running: zalo_oa (webhook), web chat" in log
    assert "zalo-oa-events" in log and "background workers stopped" in log
    assert log.count("wait in the outbox") == 1  # no Telegram bot to tell agents of leads: said once
    assert "Traceback" not in log
    assert SECRET_KEY not in log and all(token not in log for pair in api.issued for token in pair)


def test_the_zalo_oa_without_the_web_server_is_refused(run_bot: BotCli) -> None:
    env = {"ZALO_OA_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": SECRET_KEY, "WEB_PORT": "0"}
    result = run_bot("run", extra_env=env)
    assert result.returncode == 1
    assert "Zalo OA" in result.stderr and "WEB_PORT=0" in result.stderr
    assert SECRET_KEY not in result.stderr + result.stdout


def test_half_a_zalo_oa_configuration_is_refused_rather_than_ignored(run_bot: BotCli) -> None:
    result = run_bot("run", extra_env={"ZALO_OA_APP_ID": APP_ID})
    assert result.returncode == 1
    assert "ZALO_OA_SECRET_KEY" in result.stderr


def test_a_zalo_bot_webhook_beside_telegram_without_the_web_server_is_refused(run_bot: BotCli) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:telegram-token-for-the-test",
        "ZALO_BOT_TOKEN": "654321:zalo-token-for-the-test",
        "ZALO_BOT_WEBHOOK_SECRET": "zalo-bi-mat-cua-van-phong",
        "WEB_PORT": "0",
    }
    result = run_bot("run", extra_env=env)
    assert result.returncode == 1
    assert "ZALO_BOT_WEBHOOK_SECRET" in result.stderr and "WEB_PORT=0" in result.stderr
    assert "TELEGRAM_WEBHOOK_URL" not in result.stderr  # one message per impossible combination, no other
