"""Serving the web app with uvicorn inside the bot's event loop, beside the channels and the workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the bot stops on SIGTERM and leaves this block first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serving(app: ASGIApp, host: str, port: int) -> AsyncIterator[uvicorn.Server]:
    """uvicorn serving `app` on host:port while the block runs (OSError at once if the port is taken)."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name="web")
    while not server.started:
        if task.done():  # a port in use makes uvicorn exit (SystemExit) before it starts
            with contextlib.suppress(BaseException):
                task.result()
            raise OSError(f"the web server could not listen on {host}:{port}")
        await asyncio.sleep(0.02)
    log.info("web server on http://%s:%d", host, port)
    try:
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
