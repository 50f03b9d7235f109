"""The command line as tests run it: `bot.__main__.main` in this process (fast), or `python -m bot` in a
subprocess for the few smoke tests that check the real entry point.

In-process, a command sees what a subprocess would: the arguments, the standard input and the environment the
test gives (this machine's TELEGRAM_/KNOWLEDGE_/MATCH_/LEAD_ settings removed, no .env: the working
directory is the test's tmp_path), and its output, error output and exit status come back as a finished
subprocess's would, `sys.exit("message")` included (the message on stderr, status 1).
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.factories import PROJECT_ROOT

LEAKING = ("TELEGRAM_", "KNOWLEDGE_", "MATCH_", "LEAD_", "WEB_")  # this machine's settings must not leak in
NO_WEB = {"WEB_PORT": "0"}  # commands run without the web server unless a test asks for it


@dataclass(frozen=True)
class Finished:
    """What a command left behind: as subprocess.CompletedProcess, without the arguments."""

    returncode: int
    stdout: str
    stderr: str


class BotCli:
    """`python -m bot ARGS...` run in this process, as the `run_bot` fixture."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
        self._capsys = capsys
        self._monkeypatch = monkeypatch
        for name in list(os.environ):
            if name.upper().startswith(LEAKING):
                monkeypatch.delenv(name)
        monkeypatch.chdir(workdir)
        for name, value in NO_WEB.items():
            monkeypatch.setenv(name, value)

    def __call__(self, *args: str, stdin: str = "", extra_env: dict[str, str] | None = None) -> Finished:
        """From a sync test. main runs its own event loop (asyncio.run), so never call this inside one."""
        with self._monkeypatch.context() as patch:
            for name, value in (extra_env or {}).items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            self._capsys.readouterr()  # what the test printed before is not the command's
            try:
                status = main(list(args))
            except SystemExit as exit_:
                status = exit_status(exit_)
            out, err = self._capsys.readouterr()
        return Finished(status, out, err)

    async def in_thread(self, *args: str, stdin: str = "", extra_env: dict[str, str] | None = None) -> Finished:
        """From an async test: the command runs its event loop in a worker thread, as another process would."""
        return await asyncio.to_thread(self, *args, stdin=stdin, extra_env=extra_env)


def exit_status(exit_: SystemExit) -> int:
    """What the interpreter makes of a SystemExit at the top: None is 0, a message is printed and is 1."""
    if exit_.code is None:
        return 0
    if isinstance(exit_.code, int):
        return exit_.code
    print(exit_.code, file=sys.stderr)
    return 1


def run_bot_process(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real `python -m bot ARGS...` with the venv's Python: the entry point and its UTF-8 streams."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(LEAKING)} | NO_WEB
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
        check=False,
    )
