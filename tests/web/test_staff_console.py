"""The staff accounts and the audit log in the console, for admins only, over HTTP on a real database."""

from __future__ import annotations

import html
import re

import httpx

from bot.storage import staff as staff_store
from tests.databases import Store
from tests.web.test_security import NOW, PASSWORD, STAFF, Office, csrf_of, log_in, office, signed_in_token

NEW_PASSWORD = "mật khẩu mới cũng đủ dài"
ADMIN_LINKS = ('href="/admin/staff"', 'href="/admin/audit"')


async def audit_rows(the_office: Office) -> list[tuple[str, str, str, object, object]]:
    async with the_office.app.database.transaction() as connection:
        entries = await staff_store.audit_entries(connection)
    return [(entry.actor, entry.action, entry.target, entry.before, entry.after) for entry in reversed(entries)]


def text_of(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


async def test_an_admin_sees_every_account_with_its_role_and_state(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        await signed_in_token(client, STAFF["admin"])
        await the_office.disable(STAFF["approver"])
        page = await client.get("/admin/staff")

    assert page.status_code == 200
    text = text_of(page)
    for username in STAFF.values():
        assert f">{username}</th>" in text
    assert "Biên tập" in text and "Duyệt và xuất bản" in text and "Quản trị" in text
    assert "Đã khóa" in text
    assert "01/12/2026" in text


async def test_only_admins_see_the_staff_and_audit_links_and_pages(store: Store) -> None:
    async with office(store) as the_office:
        seen = {}
        for role, username in STAFF.items():
            async with the_office.client() as client:
                await signed_in_token(client, username)
                home = await client.get("/admin")
                pages = [(await client.get(path)).status_code for path in ("/admin/staff", "/admin/audit")]
                seen[role] = (all(link in home.text for link in ADMIN_LINKS), pages)

    assert seen == {"editor": (False, [403, 403]), "approver": (False, [403, 403]), "admin": (True, [200, 200])}


async def test_an_admin_adds_an_account_which_can_then_log_in_and_the_addition_is_audited(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as client:
        token = await signed_in_token(client, STAFF["admin"])
        answer = await client.post(
            "/admin/staff",
            data={
                "csrf_token": token,
                "username": " Thu.Ha ",
                "display_name": "Chị Thu Hà",
                "role": "approver",
                "password": PASSWORD,
            },
        )
        shown = await client.get(answer.headers["location"])
        async with the_office.client() as newcomer:
            logged_in = await log_in(newcomer, "thu.ha")
        audited = await audit_rows(the_office)

    assert answer.status_code == 303
    assert "Đã thêm tài khoản thu.ha." in text_of(shown)
    assert logged_in.status_code == 303
    assert ("quantri", "staff.add", "thu.ha", None, {"role": "approver", "name": "Chị Thu Hà"}) in audited
    assert PASSWORD not in str(audited)


async def test_an_account_is_not_added_with_a_short_password_a_taken_name_a_bad_name_or_no_role(store: Store) -> None:
    tries = {
        "short password": ({"username": "moi", "role": "editor", "password": "ngắn"}, 400, "ít nhất 10 ký tự"),
        "taken": ({"username": "duyet", "role": "editor", "password": PASSWORD}, 409, "Đã có tài khoản duyet"),
        "bad name": ({"username": "Nguyễn Văn A", "role": "editor", "password": PASSWORD}, 400, "chữ thường"),
        "no role": ({"username": "moi", "role": "boss", "password": PASSWORD}, 400, "vai trò"),
    }
    async with office(store) as the_office, the_office.client() as client:
        token = await signed_in_token(client, STAFF["admin"])
        answers = {}
        for name, (form, _, _) in tries.items():
            answer = await client.post("/admin/staff", data={"csrf_token": token, "display_name": "X", **form})
            answers[name] = (answer.status_code, text_of(answer))
        async with the_office.app.database.transaction() as connection:
            accounts = [account.username for account in await staff_store.everyone(connection)]
        audited = [row[1] for row in await audit_rows(the_office)]

    for name, (_, status, message) in tries.items():
        assert answers[name][0] == status, name
        assert message in answers[name][1], name
    assert sorted(accounts) == sorted(STAFF.values())
    assert "staff.add" not in audited
    assert 'value="Nguyễn Văn A"' in answers["bad name"][1]  # the form keeps what was typed


async def test_disabling_an_account_ends_its_sessions_and_logins_until_it_is_enabled_again(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as admin, the_office.client() as editor:
        token = await signed_in_token(admin, STAFF["admin"])
        await signed_in_token(editor, STAFF["editor"])

        disabled = await admin.post("/admin/staff/redaktor/disable", data={"csrf_token": token})
        editor_page = await editor.get("/admin")
        refused = await log_in(editor, STAFF["editor"])
        enabled = await admin.post("/admin/staff/redaktor/enable", data={"csrf_token": token})
        again = await log_in(editor, STAFF["editor"])
        audited = await audit_rows(the_office)

    assert (disabled.status_code, editor_page.status_code, refused.status_code) == (303, 303, 401)
    assert (enabled.status_code, again.status_code) == (303, 303)
    assert ("quantri", "staff.disable", "redaktor", {"active": True}, {"active": False}) in audited
    assert ("quantri", "staff.enable", "redaktor", {"active": False}, {"active": True}) in audited


async def test_an_admin_cannot_lock_themselves_out(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as admin:
        token = await signed_in_token(admin, STAFF["admin"])
        answer = await admin.post("/admin/staff/quantri/disable", data={"csrf_token": token})
        still_in = (await admin.get("/admin")).status_code

    assert answer.status_code == 400
    assert "Bạn không thể tự khóa tài khoản của mình." in text_of(answer)
    assert still_in == 200


async def test_changing_an_unknown_account_says_so(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as admin:
        token = await signed_in_token(admin, STAFF["admin"])
        disable = await admin.post("/admin/staff/khong-co/disable", data={"csrf_token": token})
        password = await admin.post(
            "/admin/staff/khong-co/password", data={"csrf_token": token, "password": NEW_PASSWORD}
        )

    assert (disable.status_code, password.status_code) == (404, 404)
    assert "Không có tài khoản khong-co." in text_of(disable)


async def test_a_new_password_replaces_the_old_one_ends_the_sessions_and_is_audited_without_the_password(
    store: Store,
) -> None:
    async with office(store) as the_office, the_office.client() as admin, the_office.client() as editor:
        token = await signed_in_token(admin, STAFF["admin"])
        await signed_in_token(editor, STAFF["editor"])

        too_short = await admin.post("/admin/staff/redaktor/password", data={"csrf_token": token, "password": "ngắn"})
        changed = await admin.post(
            "/admin/staff/redaktor/password", data={"csrf_token": token, "password": NEW_PASSWORD}
        )
        editor_page = await editor.get("/admin")
        with_old = await log_in(editor, STAFF["editor"])
        with_new = await log_in(editor, STAFF["editor"], NEW_PASSWORD)
        audited = await audit_rows(the_office)

    assert too_short.status_code == 400
    assert changed.status_code == 303
    assert (editor_page.status_code, with_old.status_code, with_new.status_code) == (303, 401, 303)
    assert [row for row in audited if row[1] == "staff.password"] == [
        ("quantri", "staff.password", "redaktor", None, None)
    ]
    assert NEW_PASSWORD not in str(audited)


async def test_the_audit_log_shows_who_when_in_the_offices_time_what_and_the_values_newest_first(
    store: Store,
) -> None:
    async with office(store) as the_office, the_office.client() as admin:
        token = await signed_in_token(admin, STAFF["admin"])
        await admin.post("/admin/staff/duyet/disable", data={"csrf_token": token})
        page = await admin.get("/admin/audit")

    text = text_of(page)
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", text, re.S)
    assert [(when, who, re.sub(r"<.*?>", "", what), target) for when, who, what, target in rows] == [
        ("01/12/2026 09:30", "quantri", "Khóa tài khoản staff.disable", "duyet"),  # 02:30 UTC is 09:30 in Hà Nội
        ("01/12/2026 09:30", "quantri", "Đăng nhập staff.login", "10.0.0.5"),
    ]
    assert "active: True" in text and "active: False" in text
    assert NOW.tzinfo is not None


async def test_the_audit_log_is_paged_fifty_a_page(store: Store) -> None:
    async with office(store) as the_office:
        async with the_office.app.database.transaction() as connection:
            for number in range(60):
                await staff_store.audit(connection, "cli", "kb.publish", NOW, f"bản {number}")
        async with the_office.client() as admin:
            await signed_in_token(admin, STAFF["admin"])  # the 61st entry
            first = text_of(await admin.get("/admin/audit"))
            second = text_of(await admin.get("/admin/audit", params={"page": "2"}))
            beyond = await admin.get("/admin/audit", params={"page": "9"})

    assert first.count("<tr>") == 1 + 50 and second.count("<tr>") == 1 + 11
    assert "staff.login" in first and "bản 11<" in first and "bản 10<" not in first
    assert "bản 10<" in second and "bản 0<" in second
    assert 'href="/admin/audit?page=2"' in first and 'href="/admin/audit?page=1"' in second
    assert "page=3" not in second
    assert beyond.status_code == 200 and "Không còn mục nào ở trang này." in text_of(beyond)


async def test_every_staff_form_carries_the_csrf_token(store: Store) -> None:
    async with office(store) as the_office, the_office.client() as admin:
        token = await signed_in_token(admin, STAFF["admin"])
        page = (await admin.get("/admin/staff")).text

    forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
    assert len(forms) >= 1 + 2 * len(STAFF)  # logging out, adding, and per account: lock and new password
    assert all(csrf_of(form) == token for form in forms)
