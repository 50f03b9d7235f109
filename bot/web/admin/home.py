"""The console's first page: where things stand (questions of the last 14 days, what the bot decided, the most
asked entries, the live knowledge revision, the leads waiting), and the way to each screen."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.zalo_bot.channel import WARN_AT
from bot.core.dashboard import DAYS, first_day, per_day, shares
from bot.storage import dashboard
from bot.web.auth import context, staff_only
from bot.web.pages import render

MOST_ASKED = 10


@staff_only("editor")
async def home(request: Request) -> Response:
    web = context(request)
    live = web.knowledge.current()
    now, today = web.clock(), web.today()
    since = datetime.combine(first_day(today, DAYS), time.min, tzinfo=web.timezone)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=web.timezone)
    async with web.database.transaction() as connection:
        moments = await dashboard.question_moments(connection, since, until)
        by_decision = await dashboard.decisions(connection, since, until)
        asked = await dashboard.most_asked(connection, since, until, MOST_ASKED)
        revision = await dashboard.live_revision(connection)
        open_leads, overdue_leads = await dashboard.lead_counts(connection, now)
        month = now.astimezone(web.timezone).strftime("%Y-%m")
        zalo_sent = await dashboard.zalo_bot_sent(connection, month) if web.zalo_bot_quota else 0
    titles = {entry_id: entry.title for entry_id, entry in live.kb.entries.items()}
    return render(
        request,
        "admin/home.html",
        title="Tổng quan",
        revision=live.revision,
        entries=len(live.kb.entries),
        published=revision,
        published_at=web.local(revision.published_at) if revision else None,
        days=per_day(moments, today, web.timezone, DAYS),
        total=sum(by_decision.values()),
        shares=shares(by_decision),
        most_asked=[(titles.get(entry_id, entry_id), entry_id, times) for entry_id, times in asked],
        open_leads=open_leads,
        overdue_leads=overdue_leads,
        period_days=DAYS,
        zalo_quota=web.zalo_bot_quota,
        zalo_sent=zalo_sent,
        zalo_warn=bool(web.zalo_bot_quota) and zalo_sent >= WARN_AT * (web.zalo_bot_quota or 0),  # as the log warns,
    )


routes = [Route("/admin", home, methods=["GET"])]
