"""Issue 15's evidence: a revision published with `kb publish` is answered by every running bot within 10 s, and
no message is lost while the processes swap their index: two real `python -m bot run` processes polling the
loopback Telegram, on one PostgreSQL database and on one SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.db import POSTGRESQL, SQLITE
from tests.databases import POSTGRES_URL, _execute, require_postgres
from tests.factories import KNOWLEDGE_DIR, PROJECT_ROOT
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_updates import text_message

QUESTION = "bhxh tu nguyen dong bao nhieu 1 thang"
OLD = "Mỗi tháng bạn đóng"
NEW = "Theo bản mới nhất, mỗi tháng bạn đóng"
LIVE_WITHIN_SECONDS = 10.0
PROCESSES = 2


@pytest.fixture(params=[SQLITE, POSTGRESQL])
async def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """One database the bot processes share: an SQLite file, or a new PostgreSQL database (a process cannot be
    given the schema the other PostgreSQL tests use)."""
    if request.param == SQLITE:
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    await require_postgres()
    name = f"live_{uuid.uuid4().hex[:10]}"
    await _execute(POSTGRES_URL, f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await _execute(POSTGRES_URL, f'DROP DATABASE "{name}" WITH (FORCE)')


def changed_knowledge(tmp_path: Path) -> Path:
    """A copy of knowledge/ whose answer to the monthly contribution begins differently."""
    copy = tmp_path / "knowledge-new"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    faq = copy / "faq" / "tn.yaml"
    text = faq.read_text(encoding="utf-8")
    assert text.count(OLD) == 1
    faq.write_text(text.replace(OLD, NEW), encoding="utf-8")
    return copy


class BotProcess:
    """`python -m bot run`, its log read line by line as it comes (noting when the new revision went live)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self.live_at: dict[int, float] = {}  # revision -> time.monotonic() when the log said it was live
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines.append(line)
            if "knowledge revision " in line and " is live" in line:
                number = int(line.split("knowledge revision ", 1)[1].split()[0])
                self.live_at.setdefault(number, time.monotonic())

    async def stop(self) -> str:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 30)
        await self.reader
        return "\n".join(self.lines)


async def start_bot(env: dict[str, str]) -> BotProcess:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=PROJECT_ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    return BotProcess(process)


async def test_every_bot_answers_from_a_published_revision_within_seconds_and_loses_no_message(
    shared_database: str, tmp_path: Path
) -> None:
    new_folder = changed_knowledge(tmp_path)
    async with FakeTelegram() as api:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("TELEGRAM_", "MATCH_", "KNOWLEDGE"))}
        env |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": shared_database,
            "KNOWLEDGE_CHECK_QUESTIONS": str(tmp_path / "no-dev-set.jsonl"),
            "PTB_TIMEDELTA": "true",
            "LOG_LEVEL": "INFO",
            "WEB_PORT": "0",
        }
        bots = [await start_bot(env) for _ in range(PROCESSES)]
        sent: list[int] = []  # chat ids, one question each
        try:
            first = [text_message(1 + n, 9000 + n, QUESTION) for n in range(4)]
            api.enqueue(*first)
            sent += [9000 + n for n in range(4)]
            await api.wait_until(lambda: all(api.sent(chat) for chat in sent), 60, "the first answers")
            assert all(api.sent(chat)[0].text.startswith(OLD) for chat in sent)
            await api.wait_until(lambda: all(1 in bot.live_at for bot in bots), 30, "both bots on revision 1")

            traffic_stop = asyncio.Event()

            async def keep_asking() -> None:  # citizens go on asking while the revision is published and swapped
                n = 100
                while not traffic_stop.is_set():
                    api.enqueue(text_message(n, 9000 + n, QUESTION))
                    sent.append(9000 + n)
                    n += 1
                    await asyncio.sleep(0.05)

            traffic = asyncio.create_task(keep_asking())
            publish = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "kb",
                "publish",
                str(new_folder),
                "--by",
                "Lan",
                "--note",
                "câu trả lời mới",
                cwd=PROJECT_ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(publish.communicate(), 120)
            published_at = time.monotonic()
            assert publish.returncode == 0, out.decode() + err.decode()
            assert "Đã công bố bản 2" in out.decode()
            await api.wait_until(lambda: all(2 in bot.live_at for bot in bots), 30, "both bots on revision 2")
            await asyncio.sleep(0.5)
            traffic_stop.set()
            await traffic
            after = [text_message(5000 + n, 20000 + n, QUESTION) for n in range(6)]
            api.enqueue(*after)
            await api.wait_until(
                lambda: all(api.sent(chat) for chat in [*sent, *(20000 + n for n in range(6))]), 60, "every answer"
            )
        finally:
            logs = [await bot.stop() for bot in bots]
    for log in logs:
        assert "Traceback" not in log, log
    # every bot took the new revision within 10 s of `kb publish` returning (the log line is written after the swap)
    delays = [bot.live_at[2] - published_at for bot in bots]
    assert all(delay <= LIVE_WITHIN_SECONDS for delay in delays), delays
    # no question lost or answered twice, during the swap or after
    replies = {chat: api.sent(chat) for chat in sent}
    assert all(len(answers) == 1 for answers in replies.values()), {
        c: len(a) for c, a in replies.items() if len(a) != 1
    }
    # every answer is one revision's whole answer, never a mix; after the swap only the new one
    assert all(a[0].text.startswith((OLD, NEW)) for a in replies.values())
    assert all(api.sent(20000 + n)[0].text.startswith(NEW) for n in range(6))
