from __future__ import annotations

from tests.fakes.conftest import anyio_backend, ptb_timedelta

__all__ = ["anyio_backend", "ptb_timedelta"]
