"""`python -m bot run` with a token: the real process polls the loopback Bot API and answers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.factories import PROJECT_ROOT
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_updates import command, text_message


async def test_run_with_a_token_answers_on_telegram_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with FakeTelegram() as api:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("TELEGRAM_", "MATCH_"))}
        env |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "PTB_TIMEDELTA": "true",
            "LOG_LEVEL": "DEBUG",
            "WEB_PORT": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=PROJECT_ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            api.enqueue(command(1, 501, "start"), text_message(2, 501, "mất thẻ bhyt thì làm sao"))
            replies = await api.wait_for_replies(501, 2, timeout=60)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode("utf-8")
    assert process.returncode == 0, log
    assert "thẻ" in replies[1].text
    assert "Traceback" not in log
    assert TOKEN.partition(":")[2] not in log
    assert "update 2:" in log and "mất thẻ" not in log
