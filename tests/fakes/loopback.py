"""What every loopback fake of a remote API shares: a server on 127.0.0.1, its connections, and waiting for
what the bot did.

    class FakeSomething(LoopbackServer):
        async def _serve_request(self, reader, writer) -> bool: ...   # one request; False to close
    async with FakeSomething() as fake:                                 # fake.port is bound
        await fake.wait_until(lambda: fake.outbox, 5, "a reply")        # checked again after each change

A subclass calls `self._changed()` whenever something a test may wait for happens (a request, an enqueue).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Self, TypeVar

T = TypeVar("T")


async def wait_for_event(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), max(seconds, 0))


class LoopbackServer:
    def __init__(self) -> None:
        self.port = 0
        self._change = asyncio.Event()  # replaced by a fresh one after every change
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> Self:
        self._server = await asyncio.start_server(self._serve_connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def requests_seen(self) -> list[str]:
        """What a timed-out wait names (the methods called so far)."""
        return []

    async def wait_until(self, condition: Callable[[], T], timeout: float, what: str) -> T:
        """The condition's value once it is truthy; it is checked again after every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            change = self._change
            if result := condition():
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"waited {timeout}s for {what}; calls: {self.requests_seen()}")
            await wait_for_event(change, remaining)

    def _changed(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while await self._serve_request(reader, writer):
                pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client went away, e.g. a long poll cancelled when the bot stops
        except asyncio.CancelledError:
            pass  # close() ends the connections still open; asyncio would log a cancelled one as an error
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        raise NotImplementedError
