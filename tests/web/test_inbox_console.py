"""The unanswered inbox in the console: the clusters of questions the bot could not answer, most asked first,
and staff's marks on them (audited), over HTTP on a real database."""

from __future__ import annotations

import dataclasses
import html
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.app import App
from bot.core.inbox import FALLBACK, UNCOVERED
from bot.core.types import LogInteraction
from bot.storage import interactions, knowledge_drafts
from bot.storage import staff as staff_store
from tests.databases import Store
from tests.lead_factories import NOW
from tests.web.office_session import console_app, signed_in, token

HOUR = timedelta(hours=1)


async def asked(app: App, *questions: tuple[str, str, datetime, str]) -> None:
    async with app.database.transaction() as connection:
        for text, decision, at, chat in questions:
            await interactions.log(connection, "telegram", LogInteraction(text, decision, None), at, chat)


async def test_the_inbox_lists_unanswered_clusters_most_asked_first_with_counts_and_days(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await asked(
            app,
            ("gia vang hom nay bao nhieu", FALLBACK, NOW - 3 * 24 * HOUR, "chat-a"),
            ("thuong binh kham bhyt", UNCOVERED, NOW - 2 * 24 * HOUR, "chat-a"),
            ("thuong binh kham bhyt", UNCOVERED, NOW - 24 * HOUR, "chat-b"),
            ("thuong binh kham bhyt mien phi", UNCOVERED, NOW - HOUR, "chat-c"),
            ("muc dong bhyt ho gia dinh", "answer", NOW - HOUR, "chat-c"),
        )
        async with signed_in(app) as client:
            page = await client.get("/admin/inbox")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert text.index("“thuong binh kham bhyt”") < text.index("“gia vang hom nay bao nhieu”")
        assert "muc dong bhyt ho gia dinh" not in text
        assert "<strong>3</strong> lần hỏi · <strong>3</strong> người hỏi" in text
        assert "lần đầu 21/11/2026 · lần cuối 23/11/2026" in text  # office days (Hà Nội), dd/mm/yyyy
        assert "thuong binh kham bhyt mien phi" in text  # among the examples


async def test_the_since_filter_leaves_out_older_questions(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await asked(
            app,
            ("gia vang hom nay bao nhieu", FALLBACK, NOW - 10 * 24 * HOUR, "chat-a"),
            ("thuong binh kham bhyt", UNCOVERED, NOW - HOUR, "chat-b"),
        )
        async with signed_in(app) as client:
            page = await client.get("/admin/inbox", params={"since": "2026-11-20"})
        assert "thuong binh kham bhyt" in page.text
        assert "gia vang" not in page.text


async def test_an_ignored_cluster_disappears_and_the_mark_is_audited(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await asked(
            app,
            ("gia vang hom nay bao nhieu", FALLBACK, NOW - 2 * HOUR, "chat-a"),
            ("thuong binh kham bhyt", UNCOVERED, NOW - HOUR, "chat-b"),
        )
        async with signed_in(app, "lan") as client:
            page = await client.get("/admin/inbox")
            key = page.text.split('action="/admin/inbox/')[1].split("/")[0]  # the first: the most recent of equals
            assert "thuong binh" in page.text.split('action="/admin/inbox/')[0]
            answer = await client.post(
                f"/admin/inbox/{key}/ignore", data={"csrf_token": await token(client), "since": "2026-10-24"}
            )
            assert answer.status_code == 303
            after = await client.get(answer.headers["location"])
        assert "Đã bỏ qua" in after.text
        assert "thuong binh kham bhyt" not in after.text
        assert "gia vang hom nay bao nhieu" in after.text
        async with app.database.transaction() as connection:
            [entry, *_] = await staff_store.audit_entries(connection)
        assert (entry.actor, entry.action, entry.target) == ("lan", "inbox.ignored", f"inbox:{key}")
        assert entry.after["questions"] == 1


async def test_a_cluster_marked_done_disappears_until_asked_again(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await asked(app, ("thuong binh kham bhyt", UNCOVERED, NOW - HOUR, "chat-b"))
        async with signed_in(app) as client:
            page = await client.get("/admin/inbox")
            key = page.text.split('action="/admin/inbox/')[1].split("/")[0]
            answer = await client.post(f"/admin/inbox/{key}/done", data={"csrf_token": await token(client)})
            assert answer.status_code == 303
            assert "thuong binh" not in (await client.get("/admin/inbox")).text
            await asked(app, ("thuong binh kham bhyt", UNCOVERED, NOW + timedelta(minutes=1), "chat-c"))
            app_later = dataclasses.replace(app, clock=lambda: NOW + HOUR)
        async with signed_in(app_later, "minh") as later:
            assert "thuong binh kham bhyt" in (await later.get("/admin/inbox")).text


async def test_marking_without_the_csrf_token_is_refused(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await asked(app, ("thuong binh kham bhyt", UNCOVERED, NOW - HOUR, "chat-b"))
        async with signed_in(app) as client:
            page = await client.get("/admin/inbox")
            key = page.text.split('action="/admin/inbox/')[1].split("/")[0]
            answer = await client.post(f"/admin/inbox/{key}/ignore", data={})
            assert answer.status_code == 403
            assert "thuong binh kham bhyt" in (await client.get("/admin/inbox")).text


async def test_a_question_becomes_a_phrasing_of_the_chosen_entry_in_the_editors_draft(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await asked(app, ("thuong binh kham bhyt", UNCOVERED, NOW - HOUR, "chat-b"))
        entry = next(iter(app.kb.entries))
        async with signed_in(app, "lan") as client:
            page = await client.get("/admin/inbox")
            key = page.text.split('action="/admin/inbox/')[1].split("/")[0]
            answer = await client.post(
                f"/admin/inbox/{key}/phrasing",
                data={"csrf_token": await token(client), "entry": entry, "question": "thương binh khám BHYT"},
            )
            entry_page = (await client.get(answer.headers["location"])).text
        assert answer.status_code == 303
        assert "Gửi duyệt bản nháp" in entry_page and "/submit" in entry_page  # sent for approval from there
        assert urlsplit(answer.headers["location"]).path == f"/admin/knowledge/entries/{entry}"
        async with app.database.transaction() as connection:
            draft = await knowledge_drafts.working_of(connection, "lan")
            [audited, *_] = await staff_store.audit_entries(connection)
        assert draft is not None
        assert any("thương binh khám BHYT" in text for text in draft.files.values())
        assert (audited.actor, audited.action) == ("lan", "knowledge.draft.entry")
        assert "thương binh khám BHYT" not in app.kb.entries[entry].questions  # live only once published


async def test_a_new_entry_starts_in_the_knowledge_editor_with_the_question(store: Store) -> None:
    async with console_app(store, NOW) as app:
        await asked(app, ("thuong binh kham bhyt", UNCOVERED, NOW - HOUR, "chat-b"))
        async with signed_in(app) as client:
            page = await client.get("/admin/inbox")
            key = page.text.split('action="/admin/inbox/')[1].split("/")[0]
            answer = await client.post(
                f"/admin/inbox/{key}/new-entry", data={"csrf_token": await token(client), "question": "thuong binh"}
            )
        target = urlsplit(answer.headers["location"])
        assert (answer.status_code, target.path) == (303, "/admin/knowledge/new")
        assert parse_qs(target.query) == {"question": ["thuong binh"]}


async def test_the_inbox_needs_a_login(store: Store) -> None:
    async with console_app(store, NOW) as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web()), base_url="http://t") as client:
            answer = await client.get("/admin/inbox")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/admin/login")
