"""The knowledge editor, drafts, approval and publishing in the console, over HTTP on a real database: an
editor drafts, an approver publishes (through the regression check) or returns, and the bot answers from the
published revision at once."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from bot.app import App
from bot.core.knowledge import Entry
from bot.storage import knowledge_drafts, knowledge_revisions
from bot.storage import staff as staff_store
from tests.databases import Store
from tests.lead_factories import NOW
from tests.web.office_session import console_app, signed_in, token

ENTRY = "tn.muc-dong"
NEW_SHORT = "Mỗi tháng bạn đóng {{tn_ty_le_dong}} mức thu nhập tự chọn, thấp nhất {{tn_dong_toi_thieu}}."


def form_of(entry: Entry, **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it for `entry`, with `changes`."""
    data: dict[str, Any] = {
        "entry_id": entry.id,
        "title": entry.title,
        "questions": "\n".join(entry.questions),
        "keywords": ", ".join(entry.keywords),
        "short": entry.short,
        "details": entry.details,
        "followups": list(entry.followups),
        "sources": "\n".join(entry.sources),
        "effective": entry.effective.isoformat() if entry.effective else "",
        "reviewed": entry.reviewed.isoformat() if entry.reviewed else "",
        "preview_date": "2026-11-23",
    }
    return {**data, **changes}


async def save_entry(client: httpx.AsyncClient, app: App, **changes: Any) -> httpx.Response:
    entry = app.knowledge.current().kb.entries[ENTRY]
    path = f"/admin/knowledge/entries/{ENTRY}"
    return await client.post(path, data={**form_of(entry, **changes), "csrf_token": await token(client, path)})


async def my_draft(app: App, username: str = "lan") -> knowledge_drafts.Draft:
    async with app.database.transaction() as connection:
        draft = await knowledge_drafts.working_of(connection, username)
    assert draft is not None
    return draft


async def draft_by_id(app: App, draft_id: int) -> knowledge_drafts.Draft:
    async with app.database.transaction() as connection:
        draft = await knowledge_drafts.get(connection, draft_id)
    assert draft is not None
    return draft


async def live_number(app: App) -> int | None:
    async with app.database.transaction() as connection:
        return await knowledge_revisions.live_number(connection)


async def actions(app: App) -> list[tuple[str, str]]:
    async with app.database.transaction() as connection:
        return [(entry.actor, entry.action) for entry in await staff_store.audit_entries(connection)]


async def submitted_draft(app: App, client: httpx.AsyncClient, **changes: Any) -> int:
    """The editor `client` saves `changes` to the entry and submits the draft; its id."""
    assert (await save_entry(client, app, **changes)).status_code == 200
    draft = await my_draft(app)
    path = f"/admin/drafts/{draft.id}"
    sent = await client.post(f"{path}/submit", data={"csrf_token": await token(client, path)})
    assert sent.status_code == 303, sent.text
    return draft.id


async def test_an_editor_drafts_a_new_short_answer_and_an_approver_publishes_it(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        page = await editor.get(f"/admin/knowledge/entries/{ENTRY}")
        assert page.status_code == 200
        assert "{{tn_ty_le_dong}}" in html.unescape(page.text)  # the figures an answer may name, offered

        entry = app.knowledge.current().kb.entries[ENTRY]
        preview = await editor.post(
            "/admin/knowledge/preview",
            data=form_of(entry, short=NEW_SHORT),
            headers={"X-CSRF-Token": await token(editor), "HX-Request": "true"},
        )
        assert preview.status_code == 200
        assert "Mỗi tháng bạn đóng 22% mức thu nhập tự chọn" in html.unescape(preview.text)
        assert "Ngày 23/11/2026" in preview.text

        saved = await save_entry(editor, app, short=NEW_SHORT)
        assert saved.status_code == 200
        assert "Đã lưu vào bản nháp" in saved.text
        draft_id = await submitted_draft(app, editor, short=NEW_SHORT)
        assert app.knowledge.current().kb.entries[ENTRY].short == entry.short  # not live before it is published

        refused = await editor.post(
            f"/admin/drafts/{draft_id}/publish", data={"csrf_token": await token(editor, "/admin/drafts")}
        )
        assert refused.status_code == 403
        assert await live_number(app) == 1

        async with signed_in(app, "hung", "approver") as approver:
            review = await approver.get(f"/admin/drafts/{draft_id}")
            assert review.status_code == 200
            text = html.unescape(review.text)
            assert f"faq/tn.yaml › entries › {ENTRY} › short" in text
            assert "Câu hỏi đã thử" in text and "Kém đi" in text
            published = await approver.post(
                f"/admin/drafts/{draft_id}/publish",
                data={"csrf_token": await token(approver, f"/admin/drafts/{draft_id}"), "note": "câu ngắn gọn hơn"},
            )
            assert published.status_code == 303, published.text
            assert published.headers["location"] == "/admin/revisions?published=2"
            revisions = await approver.get(published.headers["location"])
            assert "Đã công bố bản 2" in revisions.text

        assert app.knowledge.current().kb.entries[ENTRY].short == NEW_SHORT
        assert await live_number(app) == 2
        async with app.database.transaction() as connection:
            revision = await knowledge_revisions.revision(connection, 2)
        assert (revision.published_by, revision.drafted_by, revision.note) == ("hung", "lan", "câu ngắn gọn hơn")
        assert (await draft_by_id(app, draft_id)).status == knowledge_drafts.PUBLISHED
        expected = {("lan", "knowledge.draft.entry"), ("lan", "knowledge.draft.submit"), ("hung", "knowledge.publish")}
        assert expected <= set(await actions(app))


async def test_an_unknown_follow_up_is_shown_beside_its_field_and_the_draft_cannot_be_sent(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        entry = app.knowledge.current().kb.entries[ENTRY]
        saved = await save_entry(editor, app, followups=[*entry.followups, "tn.khong-co"])
        assert saved.status_code == 200
        followups = saved.text.split('id="followups-issues"')[1].split("</ul>")[0]
        assert "followups có id không tồn tại: tn.khong-co" in followups
        assert "Gửi duyệt bản nháp" not in saved.text

        draft = await my_draft(app)
        path = f"/admin/drafts/{draft.id}"
        sent = await editor.post(f"{path}/submit", data={"csrf_token": await token(editor, path)})
        assert sent.status_code == 422
        assert "tn.khong-co" in sent.text
        assert (await draft_by_id(app, draft.id)).status == knowledge_drafts.OPEN
        assert await live_number(app) == 1


async def test_a_date_that_cannot_be_read_is_refused_beside_its_field_and_nothing_is_saved(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        saved = await save_entry(editor, app, reviewed="31/02/2026")
        assert saved.status_code == 422
        assert re.search(r'id="reviewed-problem">Lỗi: Ngày không hợp lệ', saved.text)
        async with app.database.transaction() as connection:
            assert await knowledge_drafts.working_of(connection, "lan") is None


async def test_an_approver_returns_a_draft_with_a_comment_the_editor_reads(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        draft_id = await submitted_draft(app, editor, short=NEW_SHORT)
        async with signed_in(app, "hung", "approver") as approver:
            path = f"/admin/drafts/{draft_id}"
            returned = await approver.post(
                f"{path}/return", data={"csrf_token": await token(approver, path), "comment": "ghi rõ mức cao nhất"}
            )
            assert returned.status_code == 303
        mine = await editor.get("/admin/drafts")
        assert "bị trả lại" in mine.text
        assert "ghi rõ mức cao nhất" in html.unescape(mine.text)
        draft = await draft_by_id(app, draft_id)
        assert (draft.status, draft.reviewed_by, draft.review_comment) == ("returned", "hung", "ghi rõ mức cao nhất")
        assert await live_number(app) == 1
        assert ("hung", "knowledge.draft.return") in await actions(app)


async def test_an_editor_discards_their_draft(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        await save_entry(editor, app, short=NEW_SHORT)
        draft = await my_draft(app)
        path = f"/admin/drafts/{draft.id}"
        discarded = await editor.post(f"{path}/discard", data={"csrf_token": await token(editor, path)})
        assert discarded.status_code == 303
        async with app.database.transaction() as connection:
            assert await knowledge_drafts.working_of(connection, "lan") is None
        page = await editor.get(f"/admin/knowledge/entries/{ENTRY}")
        assert NEW_SHORT not in html.unescape(page.text)  # the form shows the live answer again
        assert (await draft_by_id(app, draft.id)).status == knowledge_drafts.DISCARDED
        assert ("lan", "knowledge.draft.discard") in await actions(app)


async def test_a_figure_gets_a_new_value_from_a_date_in_the_draft(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        added = await editor.post(
            "/admin/knowledge/figures",
            data={
                "csrf_token": await token(editor, "/admin/knowledge/figures"),
                "param": "luong_co_so",
                "start": "2027-07-01",
                "value": "2700000",
                "basis": "Nghị định 99/2027/NĐ-CP, Điều 3",
            },
        )
        assert added.status_code == 303, added.text
        page = await editor.get(added.headers["location"])
        text = html.unescape(page.text)
        assert "01/07/2027" in text and "2.700.000 đồng" in text and "Nghị định 99/2027/NĐ-CP" in text
        draft = await my_draft(app)
        policy = draft.files["policy.yaml"]
        assert "- {from: 2027-07-01, value: 2700000, basis: 'Nghị định 99/2027/NĐ-CP, Điều 3'}" in policy
        assert policy.startswith("# Policy parameters")  # the file's comments stay
        assert ("lan", "knowledge.draft.figure") in await actions(app)


async def test_a_lexicon_pair_is_added_to_the_draft(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        path = "/admin/knowledge/lexicon"
        added = await editor.post(
            path,
            data={
                "csrf_token": await token(editor, path),
                "section": "synonyms",
                "phrase": "tiền tuất",
                "meaning": "trợ cấp tuất",
                "action": "add",
            },
        )
        assert added.status_code == 303, added.text
        assert "  tiền tuất: trợ cấp tuất\n" in (await my_draft(app)).files["lexicon.yaml"]


async def test_an_approver_rolls_back_to_an_earlier_revision_and_an_editor_cannot(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        first_short = app.knowledge.current().kb.entries[ENTRY].short
        draft_id = await submitted_draft(app, editor, short=NEW_SHORT)
        async with signed_in(app, "hung", "approver") as approver:
            path = f"/admin/drafts/{draft_id}"
            published = await approver.post(f"{path}/publish", data={"csrf_token": await token(approver, path)})
            assert published.status_code == 303
            refused = await editor.post(
                "/admin/revisions/1/rollback", data={"csrf_token": await token(editor, "/admin/revisions")}
            )
            assert refused.status_code == 403
            rolled = await approver.post(
                "/admin/revisions/1/rollback",
                data={"csrf_token": await token(approver, "/admin/revisions"), "note": "câu cũ rõ hơn"},
            )
            assert rolled.status_code == 303, rolled.text
            listing = await approver.get("/admin/revisions")
            assert "quay lại bản 1" in listing.text
        assert await live_number(app) == 3
        assert app.knowledge.current().kb.entries[ENTRY].short == first_short
        async with app.database.transaction() as connection:
            revision = await knowledge_revisions.revision(connection, 3)
        assert (revision.restored_from, revision.published_by) == (1, "hung")
        assert ("hung", "knowledge.rollback") in await actions(app)


async def test_the_entry_list_is_searched_by_title_and_phrasing(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        found = await editor.get("/admin/knowledge", params={"q": "muc dong bhxh tu nguyen"})
        assert found.status_code == 200
        assert f'href="/admin/knowledge/entries/{ENTRY}"' in found.text
        assert 'href="/admin/knowledge/entries/bhyt.the-co-gia-tri"' not in found.text


async def test_a_new_entry_starts_from_a_question_and_is_added_to_its_subjects_file(store: Store) -> None:
    async with console_app(store, NOW) as app, signed_in(app, "lan", "editor") as editor:
        form = await editor.get("/admin/knowledge/new", params={"question": "thương binh khám BHYT"})
        assert form.status_code == 200
        assert "thương binh khám BHYT</textarea>" in html.unescape(form.text)
        saved = await editor.post(
            "/admin/knowledge/new",
            data={
                "csrf_token": await token(editor, "/admin/knowledge/new"),
                "subject": "bhyt",
                "new_id": "bhyt.thuong-binh",
                "title": "Thương binh khám BHYT",
                "questions": "thương binh khám BHYT\nthuong binh kham bhyt duoc gi\nthương binh có thẻ BHYT không",
                "keywords": "thương binh",
                "short": "Thương binh được Nhà nước đóng BHYT.",
                "sources": "Luật BHYT 25/2008/QH12, Điều 12",
                "effective": "2025-07-01",
                "reviewed": "23/11/2026",
            },
        )
        assert saved.status_code == 200, saved.text
        assert "Đã lưu vào bản nháp" in saved.text and "Gửi duyệt bản nháp" in saved.text
        draft = await my_draft(app)
        assert "  - id: bhyt.thuong-binh\n    kind: faq\n" in draft.files["faq/bhyt.yaml"]
        page = await editor.get("/admin/knowledge/entries/bhyt.thuong-binh")
        assert page.status_code == 200 and "Thương binh được Nhà nước đóng BHYT." in page.text
        assert ("lan", "knowledge.draft.new_entry") in await actions(app)
