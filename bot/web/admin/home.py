"""The console's first page: where things stand, and the way to each screen."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.auth import context, staff_only
from bot.web.pages import render


@staff_only("editor")
async def home(request: Request) -> Response:
    live = context(request).knowledge.current()
    return render(request, "admin/home.html", title="Tổng quan", revision=live.revision, entries=len(live.kb.entries))


routes = [Route("/admin", home, methods=["GET"])]
