"""The ASGI application: the office console under /admin, /healthz, static assets served locally."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web import chat as web_chat
from bot.web import login, metrics, webhooks, zalo_bot_webhooks, zalo_oa_webhook
from bot.web.admin import home
from bot.web.admin import inbox as inbox_screen
from bot.web.admin import knowledge as knowledge_screen
from bot.web.admin import leads as leads_screen
from bot.web.admin import staff as staff_screen
from bot.web.context import WebContext

STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    # scripts and styles from this server only: no inline script, no CDN (the office network may have no internet)
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
]


class SecurityHeaders:
    """Headers that keep the console's pages out of other sites' frames and scripts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/admin"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def console_routes() -> list[BaseRoute]:
    return [
        *login.routes,
        *home.routes,
        *inbox_screen.routes,
        *leads_screen.routes,
        *knowledge_screen.routes,
        *staff_screen.routes,
        *web_chat.routes,
        Mount("/admin/static", StaticFiles(directory=STATIC), name="static"),
    ]


def web_app(context: WebContext) -> ASGIApp:
    app = Starlette(routes=[*console_routes(), *metrics.routes, *webhooks.routes(context.telegram_webhook is not None)])
    app.router.routes.extend(zalo_bot_webhooks.routes(context.zalo_bot_webhook is not None))
    app.router.routes.extend(zalo_oa_webhook.routes)
    app.state.context = context
    return SecurityHeaders(app)
