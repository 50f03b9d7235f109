"""GET /metrics: Prometheus' text format (bot/shell/metrics.py), without a login, like /healthz.

The office's monitoring (or the load balancer's) scrapes each instance; behind the reverse proxy the route is
kept to the internal network (see README, "Telegram by webhook").
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.shell.metrics import CONTENT_TYPE, METRICS
from bot.storage import outbox
from bot.web.auth import context

log = logging.getLogger(__name__)


async def metrics(request: Request) -> Response:
    """The counters of this process and the outbox depth read now (left out if the database does not answer)."""
    pending: int | None = None
    try:
        async with context(request).database.transaction() as connection:
            pending = await outbox.pending_count(connection)
    except (OSError, SQLAlchemyError) as exc:
        log.warning("metrics: outbox depth not read (%s)", type(exc).__name__)
    return Response(METRICS.exposition(pending), media_type=CONTENT_TYPE)


routes = [Route("/metrics", metrics, methods=["GET"])]
