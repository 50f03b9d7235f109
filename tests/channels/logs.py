"""What the channel tests check in the log of every test, start-up and shut-down included."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.fakes.telegram_api import TOKEN

TOKEN_SECRET = TOKEN.partition(":")[2]


@contextmanager
def clean_logs(caplog: pytest.LogCaptureFixture, *secrets: str) -> Iterator[None]:
    """Records everything at DEBUG; afterwards no record has a traceback, the token or any of `secrets`
    (a citizen's name, phone number)."""
    caplog.set_level(logging.DEBUG)
    yield
    records = [r for when in ("setup", "call", "teardown") for r in caplog.get_records(when)]
    assert [r.getMessage() for r in records if r.exc_info or r.exc_text] == []
    for secret in (TOKEN_SECRET, *secrets):
        assert [r.getMessage() for r in records if secret in r.getMessage()] == []
