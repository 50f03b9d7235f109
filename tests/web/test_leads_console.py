"""The leads board in the console: filters, a lead's card with its history and consent proof, status changes by
approvers (audited, routed as the agents' desk routes them), the export with its cells made inert, and the
agents, over HTTP on a real database."""

from __future__ import annotations

import csv
import html
import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App
from bot.core.leads.records import CLI
from bot.storage import agents as agent_store
from bot.storage import leads as lead_store
from bot.storage import staff as staff_store
from bot.storage.tables import outbox
from tests.databases import Store
from tests.lead_factories import NOW, new_lead
from tests.web.office_session import console_app, signed_in, token

DAY = timedelta(days=1)
AREA = "qn-tien-yen"


async def lead(app: App, created_days_ago: float = 0, due_in_days: float = 1, **fields: Any) -> int:
    """A lead created through the storage the bot uses, routed to the area's agent (if any)."""
    created = NOW - timedelta(days=created_days_ago)
    async with app.database.transaction() as connection:
        made = await lead_store.create(
            connection, new_lead(**fields), app.lead_context(), created, created + timedelta(days=due_in_days), CLI
        )
    return made.lead.id


async def agent(app: App, chat_id: int, name: str, area: str = AREA) -> int:
    async with app.database.transaction() as connection:
        return (await agent_store.add(connection, chat_id, name, area, NOW - 10 * DAY)).id


async def test_the_board_lists_leads_with_area_agent_status_and_flags_the_overdue(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await agent(app, 4242, "Đại lý Hoa")
        late = await lead(app, created_days_ago=3, due_in_days=1)
        fresh = await lead(app, session_key="telegram:2", area_code="qn-ha-tu")
        async with signed_in(app) as client:
            page = html.unescape((await client.get("/admin/leads")).text)
            only_late = html.unescape((await client.get("/admin/leads", params={"overdue": "1"})).text)
            by_area = html.unescape((await client.get("/admin/leads", params={"area": "qn-ha-tu"})).text)
            in_queue = html.unescape((await client.get("/admin/leads", params={"agent": "office"})).text)
    assert f"#{late}" in page and f"#{fresh}" in page
    assert "Xã Tiên Yên" in page and "Đại lý Hoa" in page and "Hàng chờ văn phòng" in page
    assert "20/11/2026 09:00" in page  # created, office time
    assert page.count("Quá hạn</span>") == 1
    assert f"#{late}" in only_late and f"#{fresh}" not in only_late
    assert f"#{fresh}" in by_area and f"#{late}" not in by_area
    assert f"#{fresh}" in in_queue and f"#{late}" not in in_queue


async def test_a_lead_moves_through_its_statuses_with_its_history_and_consent_shown(store: Store) -> None:
    async with console_app(store, NOW) as app:
        lead_id = await lead(app)
        async with signed_in(app, "hung", "approver") as client:
            csrf = await token(client, f"/admin/leads/{lead_id}")
            for action, note in (("claim", ""), ("called", "Chị Bình hẹn chiều mai"), ("enrolled", "")):
                answer = await client.post(
                    f"/admin/leads/{lead_id}/status", data={"csrf_token": csrf, "action": action, "note": note}
                )
                assert answer.status_code == 303
                assert answer.headers["location"].endswith("notice=changed")
            card = html.unescape((await client.get(f"/admin/leads/{lead_id}")).text)
            refused = await client.post(f"/admin/leads/{lead_id}/status", data={"csrf_token": csrf, "action": "claim"})
        assert refused.headers["location"].endswith("notice=refused")  # enrolled is final
        assert "Đã đăng ký tham gia" in card
        assert "Mới → Đã nhận" in card and "Đã nhận → Đã gọi" in card and "Đã gọi → Đã đăng ký tham gia" in card
        assert "Chị Bình hẹn chiều mai" in card and "hung (bảng điều khiển)" in card
        assert "2026-01/180d" in card and "Telegram" in card  # consent proof: version and channel
        async with app.database.transaction() as connection:
            history = await lead_store.history(connection, lead_id)
            audited = [e for e in await staff_store.audit_entries(connection) if e.action == "lead.status"]
        assert [h.to_status.value for h in history] == ["new", "claimed", "called", "enrolled"]
        assert {h.actor for h in history[1:]} == {"console:hung"}
        assert len(audited) == 3 and audited[0].after == {"status": "enrolled", "note": False}
        assert all("Bình" not in str(e.after) for e in audited)  # the note's text stays out of the audit log


async def test_an_editor_sees_the_card_but_cannot_change_a_leads_status(store: Store) -> None:
    async with console_app(store, NOW) as app:
        lead_id = await lead(app)
        async with signed_in(app, "lan", "editor") as client:
            card = await client.get(f"/admin/leads/{lead_id}")
            answer = await client.post(
                f"/admin/leads/{lead_id}/status", data={"csrf_token": await token(client), "action": "claim"}
            )
            export = await client.get("/admin/leads/export.csv")
        assert card.status_code == 200 and 'action="/admin/leads/' not in card.text
        assert answer.status_code == 403
        assert export.status_code == 403
        async with app.database.transaction() as connection:
            assert (await lead_store.get(connection, lead_id)).status.value == "new"


async def test_a_transfer_hands_the_lead_to_another_agent_who_is_notified(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await agent(app, 4242, "Đại lý Hoa")
        other = await agent(app, 5353, "Đại lý Mai", "qn-ha-tu")
        lead_id = await lead(app)
        async with signed_in(app, "hung", "approver") as client:
            answer = await client.post(
                f"/admin/leads/{lead_id}/transfer",
                data={"csrf_token": await token(client), "agent": str(other), "note": "gần nhà chị Mai"},
            )
        assert answer.headers["location"].endswith("notice=moved")
        async with app.database.transaction() as connection:
            moved = await lead_store.get(connection, lead_id)
            chats = [row.chat_id for row in await connection.execute(select(outbox.c.chat_id).order_by(outbox.c.id))]
        assert moved.agent_id == other
        assert chats[-1] == 5353


async def test_the_export_downloads_as_xlsx_and_csv_with_formula_cells_neutralised(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await lead(app, name='=HYPERLINK("http://evil")', call_time="@SUM(A1)")
        async with signed_in(app, "hung", "approver") as client:
            xlsx = await client.get("/admin/leads/export.xlsx")
            text = await client.get("/admin/leads/export.csv", params={"status": "new"})
        assert xlsx.status_code == 200
        assert "attachment" in xlsx.headers["content-disposition"]
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        name = rows[0].index("Họ tên")
        assert rows[1][name] == '\'=HYPERLINK("http://evil")'
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        assert text.status_code == 200 and text.content.startswith(b"\xef\xbb\xbf")
        parsed = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert parsed[1][name] == '\'=HYPERLINK("http://evil")'
        assert parsed[1][parsed[0].index("Giờ tiện gọi")] == "'@SUM(A1)"
        async with app.database.transaction() as connection:
            exports = [e for e in await staff_store.audit_entries(connection) if e.action == "lead.export"]
        assert [e.target for e in exports] == ["csv", "xlsx"]


async def test_the_export_holds_only_the_filtered_leads(store: Store) -> None:
    async with console_app(store, NOW) as app:
        kept = await lead(app)
        await lead(app, session_key="telegram:2", area_code="qn-ha-tu")
        async with signed_in(app, "hung", "approver") as client:
            text = await client.get("/admin/leads/export.csv", params={"area": AREA})
        parsed = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert [row[0] for row in parsed[1:]] == [str(kept)]


async def test_an_admin_adds_an_agent_and_removing_one_sends_its_open_leads_to_the_office_queue(store: Store) -> None:
    async with console_app(store, NOW) as app:
        async with signed_in(app, "hoa", "admin") as client:
            csrf = await token(client, "/admin/agents")
            added = await client.post(
                "/admin/agents", data={"csrf_token": csrf, "chat_id": "4242", "name": "Đại lý Hoa", "area": AREA}
            )
            assert added.headers["location"].endswith("notice=added")
            lead_id = await lead(app)
            page = html.unescape((await client.get("/admin/agents")).text)
            removed = await client.post("/admin/agents/4242/remove", data={"csrf_token": csrf})
            unknown = await client.post(
                "/admin/agents", data={"csrf_token": csrf, "chat_id": "77", "name": "X", "area": "khong-co"}
            )
        assert "Đại lý Hoa" in page and "Xã Tiên Yên" in page
        assert "areas.yaml" in page  # areas change through a knowledge revision
        assert removed.headers["location"].endswith("notice=removed")
        assert unknown.headers["location"].endswith("notice=invalid")
        async with app.database.transaction() as connection:
            released = await lead_store.get(connection, lead_id)
            actions = [e.action for e in await staff_store.audit_entries(connection)]
            assert await agent_store.by_chat(connection, 4242) is None
        assert released.agent_id is None and released.status.value == "new"
        assert "agent.add" in actions and "agent.remove" in actions


async def test_only_admins_manage_agents(store: Store) -> None:
    async with console_app(store, NOW) as app:
        async with signed_in(app, "hung", "approver") as client:
            assert (await client.get("/admin/agents")).status_code == 403
            answer = await client.post(
                "/admin/agents",
                data={"csrf_token": await token(client), "chat_id": "4242", "name": "Hoa", "area": AREA},
            )
        assert answer.status_code == 403
