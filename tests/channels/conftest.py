from __future__ import annotations

from tests.fakes.conftest import ptb_timedelta

__all__ = ["ptb_timedelta"]
