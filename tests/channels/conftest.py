from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.conftest import ptb_timedelta
from tests.fakes.telegram_api import FakeTelegram

__all__ = ["ptb_timedelta"]


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegram]:
    """The loopback Bot API, serving while the test runs."""
    async with FakeTelegram() as api:
        yield api
