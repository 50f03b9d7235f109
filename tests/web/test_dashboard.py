"""The dashboard on the console's first page: its figures are what the interaction log, the knowledge revisions
and the leads hold, over HTTP on a real database."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.app import App
from bot.core.leads.records import CLI
from bot.core.types import LogInteraction
from bot.storage import interactions
from bot.storage import leads as lead_store
from bot.storage.tables import leads as leads_table
from bot.storage.tables import zalo_bot_sends
from tests.apps import app_on
from tests.databases import Store
from tests.lead_factories import CONTEXT, NOW, new_lead
from tests.web.office_session import console_app, signed_in

DAY = timedelta(days=1)


async def logged(app: App, decision: str, times: int, days_ago: int = 0, entry: str | None = None) -> None:
    async with app.database.transaction() as connection:
        for n in range(times):
            effect = LogInteraction(f"cau hoi {decision} {n}", decision, entry)
            await interactions.log(connection, "telegram", effect, NOW - days_ago * DAY, f"chat-{n}")


def row(page: str, label: str) -> list[str]:
    """The cells of the table row headed `label`, as text."""
    found = re.search(rf"<th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", page, re.S)
    assert found is not None, label
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]


async def test_questions_per_day_count_the_typed_questions_of_each_office_day(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await logged(app, "answer", 3)
        await logged(app, "fallback", 2, days_ago=1)
        await logged(app, "action", 4, entry="bb.thai-san")  # button presses are not questions
        await logged(app, "answer", 5, days_ago=20)  # before the 14 days
        async with signed_in(app) as client:
            page = html.unescape((await client.get("/admin")).text)
    assert row(page, "23/11/2026")[0] == "3"
    assert row(page, "22/11/2026")[0] == "2"
    assert row(page, "10/11/2026")[0] == "0"  # the first of the 14 days
    assert "09/11/2026" not in page
    assert "Tổng cộng 5 câu hỏi" in page


async def test_the_shares_of_decisions_are_what_was_logged(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await logged(app, "answer", 5, entry="bb.thai-san")
        await logged(app, "suggest", 2)
        await logged(app, "uncovered", 1)
        await logged(app, "fallback", 1)
        await logged(app, "out-of-scope", 1)
        async with signed_in(app) as client:
            page = html.unescape((await client.get("/admin")).text)
    assert row(page, "Trả lời được")[:2] == ["5", "50%"]
    assert row(page, "Gợi ý “có phải bạn muốn hỏi”")[:2] == ["2", "20%"]
    assert row(page, "Chưa có câu trả lời")[:2] == ["1", "10%"]
    assert row(page, "Không hiểu câu hỏi")[:2] == ["1", "10%"]
    assert row(page, "Ngoài phạm vi")[:2] == ["1", "10%"]


async def test_the_most_asked_entries_count_answers_and_buttons_most_first(store: Store) -> None:
    async with console_app(store, NOW) as app:
        first, second, *_ = list(app.kb.entries.values())
        await logged(app, "answer", 2, entry=second.id)
        await logged(app, "answer", 1, entry=first.id)
        await logged(app, "action", 2, entry=first.id)
        async with signed_in(app) as client:
            page = html.unescape((await client.get("/admin")).text)
    listed = page.split("Mục được hỏi nhiều nhất")[1]
    assert f'{first.title} <span class="muted">(3 lần)</span>' in listed
    assert f'{second.title} <span class="muted">(2 lần)</span>' in listed
    assert listed.index(first.title) < listed.index(second.title)


async def test_the_live_revision_and_the_open_and_overdue_leads_are_shown(store: Store) -> None:
    async with console_app(store, NOW) as app:
        async with app.database.transaction() as connection:
            late = await lead_store.create(connection, new_lead(), CONTEXT, NOW - 3 * DAY, NOW - DAY, CLI)
            await lead_store.create(connection, new_lead("telegram:2"), CONTEXT, NOW, NOW + DAY, CLI)
            closed = await lead_store.create(connection, new_lead("telegram:3"), CONTEXT, NOW - 3 * DAY, NOW - DAY, CLI)
            await connection.execute(
                leads_table.update().where(leads_table.c.id == closed.lead.id).values(status="enrolled")
            )
        assert late.lead.id
        async with signed_in(app) as client:
            page = html.unescape((await client.get("/admin")).text)
    assert "<strong>bản 1</strong>, công bố lúc 23/11/2026 09:00" in page
    assert '<strong class="figure">2</strong> yêu cầu đang mở' in page
    assert '<strong class="figure warn">1</strong> quá hạn liên hệ' in page


async def test_the_home_page_shows_the_zalo_bot_messages_of_the_month_and_warns_near_the_quota(store: Store) -> None:
    configured = app_on(store, zalo_bot_token="zalo-token-for-tests", zalo_bot_monthly_quota=100)
    app = dataclasses.replace(configured, clock=lambda: NOW)
    await app.start()
    try:
        month = NOW.astimezone(ZoneInfo(app.settings.timezone)).strftime("%Y-%m")
        async with app.database.transaction() as connection:
            await connection.execute(zalo_bot_sends.insert().values(month=month, count=85))
        async with signed_in(app) as client:
            page = html.unescape((await client.get("/admin")).text)
    finally:
        await app.close()
    assert "Zalo Bot tháng này" in page and "trên 100 tin nhắn của gói" in page and ">85<" in page
    assert "Sắp hết hạn mức" in page


async def test_without_a_zalo_bot_the_home_page_says_nothing_about_it(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app) as client:
        page = html.unescape((await client.get("/admin")).text)
    assert "Zalo Bot" not in page
