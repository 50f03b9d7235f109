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


async def _serve(server: uvicorn.Server, host: str, port: int) -> None:
    """uvicorn's serve(), whose failure to listen (it calls sys.exit, and asyncio would let SystemExit out of
    the event loop) becomes an OSError of this task."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise OSError(f"the web server could not listen on {host}:{port}") from exc


@asynccontextmanager
async def serving(app: ASGIApp, host: str, port: int) -> AsyncIterator[uvicorn.Server]:
    """uvicorn serving `app` on host:port while the block runs (OSError at once if the port is taken)."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(_serve(server, host, port), name="web")
    while not server.started:
        if task.done():
            task.result()  # the OSError of a port already taken
            raise OSError(f"the web server stopped before it started on {host}:{port}")
        await asyncio.sleep(0.02)
    log.info("web server on http://%s:%d", host, port)
    try:
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
