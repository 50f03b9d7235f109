"""Request bodies read with a limit: a client cannot make the server hold more than the route accepts."""

from __future__ import annotations

from starlette.requests import Request


async def limited_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (declared or streamed): read no further."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
