"""Fixtures for tests that run python-telegram-bot against the loopback Bot API."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta durations: otherwise building a RetryAfter issues a deprecation warning,
    which filterwarnings=error turns into an exception inside the library."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
