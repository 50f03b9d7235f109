"""What changed between two revisions of the knowledge files: compared by meaning (entries by id, areas by
code, a figure's dated values by date), not line by line."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.knowledge_diff import SHOWN_CHARS, Change, diff_documents, summary
from bot.storage.knowledge_files import parse_yaml


def entry(entry_id: str, **fields: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": entry_id,
        "title": f"Tiêu đề {entry_id}",
        "questions": [f"câu hỏi về {entry_id}", f"hỏi thêm về {entry_id}"],
        "keywords": ["từ khóa"],
        "short": f"Câu trả lời ngắn của {entry_id}.",
    }
    raw.update(fields)
    return raw


def faq(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"subject": "tn", "title": "BHXH tự nguyện", "entries": list(entries)}


def policy(*values: dict[str, Any]) -> dict[str, Any]:
    return {
        "params": {"luong_co_so": {"title": "Lương cơ sở", "unit": "dong", "values": list(values)}},
        "derived": {"nua_luong": {"title": "Nửa lương cơ sở", "unit": "dong", "formula": "luong_co_so / 2"}},
    }


LCS_2024 = {"from": date(2024, 7, 1), "value": 2340000, "basis": "Nghị định 73/2024/NĐ-CP"}
LCS_2026 = {"from": date(2026, 7, 1), "value": 2530000, "basis": "Nghị định 161/2026/NĐ-CP"}


def test_the_same_files_have_no_change() -> None:
    files = {"faq/tn.yaml": faq(entry("tn.a"), entry("tn.b")), "policy.yaml": policy(LCS_2024)}
    assert diff_documents(files, files) == []


def test_entries_in_another_order_are_not_a_change() -> None:
    old = {"faq/tn.yaml": faq(entry("tn.a"), entry("tn.b"), entry("tn.c"))}
    new = {"faq/tn.yaml": faq(entry("tn.c"), entry("tn.a"), entry("tn.b"))}
    assert diff_documents(old, new) == []


def test_phrasings_and_keywords_in_another_order_are_not_a_change() -> None:
    reordered = entry("tn.a", questions=["hỏi thêm về tn.a", "câu hỏi về tn.a"])
    assert diff_documents({"faq/tn.yaml": faq(entry("tn.a"))}, {"faq/tn.yaml": faq(reordered)}) == []


def test_a_file_written_in_another_yaml_style_is_not_a_change() -> None:
    block = """\
subject: tn
entries:
  - id: tn.a
    questions:
      - mức đóng
      - đóng bao nhiêu
    short: >-
      Bạn đóng 22%
      thu nhập.
"""
    flow = """\
# the same entry, written in flow style, its keys in another order
entries: [{short: "Bạn đóng 22% thu nhập.", questions: [mức đóng, đóng bao nhiêu], id: tn.a}]
subject: tn
"""
    old = {"faq/tn.yaml": parse_yaml(block, "faq/tn.yaml")}
    new = {"faq/tn.yaml": parse_yaml(flow, "faq/tn.yaml")}
    assert diff_documents(old, new) == []


def test_a_changed_answer_is_named_by_its_entry_id_and_field() -> None:
    old = {"faq/tn.yaml": faq(entry("tn.a"), entry("tn.b"))}
    new = {"faq/tn.yaml": faq(entry("tn.a"), entry("tn.b", short="Câu trả lời mới."))}
    [change] = diff_documents(old, new)
    assert change == Change(
        "faq/tn.yaml", ("entries", "tn.b", "short"), "Câu trả lời ngắn của tn.b.", "Câu trả lời mới."
    )
    assert change.kind == "changed"
    assert (
        change.describe() == "faq/tn.yaml › entries › tn.b › short: “Câu trả lời ngắn của tn.b.” → “Câu trả lời mới.”"
    )


def test_an_entry_moved_and_changed_is_still_matched_by_its_id() -> None:
    old = {"faq/tn.yaml": faq(entry("tn.a"), entry("tn.b"), entry("tn.c"))}
    new = {"faq/tn.yaml": faq(entry("tn.c"), entry("tn.b", title="Tiêu đề mới"), entry("tn.a"))}
    assert [change.path for change in diff_documents(old, new)] == [("entries", "tn.b", "title")]


def test_phrasings_added_and_removed_are_reported_one_by_one_with_plus_and_minus() -> None:
    old = {"faq/tn.yaml": faq(entry("tn.a", questions=["mức đóng", "đóng bao nhiêu"]))}
    new = {"faq/tn.yaml": faq(entry("tn.a", questions=["đóng bao nhiêu", "mỗi tháng đóng mấy tiền"]))}
    changes = diff_documents(old, new)
    assert [(change.kind, change.path) for change in changes] == [
        ("removed", ("entries", "tn.a", "questions")),
        ("added", ("entries", "tn.a", "questions")),
    ]
    assert [change.describe() for change in changes] == [
        "faq/tn.yaml › entries › tn.a › questions: − “mức đóng”",
        "faq/tn.yaml › entries › tn.a › questions: + “mỗi tháng đóng mấy tiền”",
    ]


def test_an_entry_added_or_removed_is_one_change_with_the_whole_entry() -> None:
    old = {"faq/tn.yaml": faq(entry("tn.a"), entry("tn.gone"))}
    new = {"faq/tn.yaml": faq(entry("tn.a"), entry("tn.new"))}
    changes = diff_documents(old, new)
    assert [(change.kind, change.path) for change in changes] == [
        ("removed", ("entries", "tn.gone")),
        ("added", ("entries", "tn.new")),
    ]
    assert changes[0].old == entry("tn.gone") and changes[1].new == entry("tn.new")


def test_a_new_dated_value_of_a_figure_is_reported_under_its_date() -> None:
    lcs_2027 = {"from": date(2027, 7, 1), "value": 2700000, "basis": "Nghị định 1/2027/NĐ-CP"}
    changes = diff_documents(
        {"policy.yaml": policy(LCS_2024, LCS_2026)}, {"policy.yaml": policy(LCS_2024, LCS_2026, lcs_2027)}
    )
    assert changes == [Change("policy.yaml", ("params", "luong_co_so", "values", "2027-07-01"), None, lcs_2027)]
    assert changes[0].describe().startswith("policy.yaml › params › luong_co_so › values › 2027-07-01: + {")
    assert changes[0].as_dict() == {
        "file": "policy.yaml",
        "path": ["params", "luong_co_so", "values", "2027-07-01"],
        "kind": "added",
        "old": None,
        "new": {"from": "2027-07-01", "value": 2700000, "basis": "Nghị định 1/2027/NĐ-CP"},
    }


def test_a_corrected_figure_names_its_date_and_field() -> None:
    corrected = {**LCS_2026, "value": 2540000}
    changes = diff_documents({"policy.yaml": policy(LCS_2024, LCS_2026)}, {"policy.yaml": policy(LCS_2024, corrected)})
    assert changes == [
        Change("policy.yaml", ("params", "luong_co_so", "values", "2026-07-01", "value"), 2530000, 2540000)
    ]
    assert (
        changes[0].describe() == "policy.yaml › params › luong_co_so › values › 2026-07-01 › value: 2530000 → 2540000"
    )


def test_dated_values_read_from_yaml_are_named_by_their_iso_date() -> None:
    before = "params:\n  luong_co_so:\n    values:\n      - {from: 2024-07-01, value: 2340000}\n"
    after = before + "      - {from: 2026-07-01, value: 2530000}\n"
    [change] = diff_documents(
        {"policy.yaml": parse_yaml(before, "policy.yaml")}, {"policy.yaml": parse_yaml(after, "policy.yaml")}
    )
    assert change.path == ("params", "luong_co_so", "values", "2026-07-01")
    assert change.as_dict()["new"] == {"from": "2026-07-01", "value": 2530000}


def test_areas_are_matched_by_their_code() -> None:
    old = {
        "areas.yaml": {
            "areas": [{"code": "qn-ha-tu", "name": "Phường Hà Tu"}, {"code": "qn-cao-xanh", "name": "Phường Cao Xanh"}]
        }
    }
    new = {
        "areas.yaml": {
            "areas": [
                {"code": "qn-tien-yen", "name": "Xã Tiên Yên"},
                {"code": "qn-cao-xanh", "name": "Phường Cao Xanh"},
                {"code": "qn-ha-tu", "name": "Phường Hà Tu", "aliases": ["Hà Tu"]},
            ]
        }
    }
    changes = diff_documents(old, new)
    assert [(change.kind, change.path) for change in changes] == [
        ("added", ("areas", "qn-ha-tu", "aliases")),
        ("added", ("areas", "qn-tien-yen")),
    ]


def test_an_area_removed_is_named_by_its_code() -> None:
    old = {
        "areas.yaml": {
            "areas": [{"code": "qn-ha-tu", "name": "Phường Hà Tu"}, {"code": "qn-cao-xanh", "name": "Phường Cao Xanh"}]
        }
    }
    new = {"areas.yaml": {"areas": [{"code": "qn-cao-xanh", "name": "Phường Cao Xanh"}]}}
    assert diff_documents(old, new) == [
        Change("areas.yaml", ("areas", "qn-ha-tu"), {"code": "qn-ha-tu", "name": "Phường Hà Tu"}, None)
    ]


def test_a_new_file_and_a_removed_file_list_their_entries_one_by_one() -> None:
    old = {"faq/tn.yaml": faq(entry("tn.a")), "faq/cu.yaml": faq(entry("cu.a"))}
    new = {"faq/tn.yaml": faq(entry("tn.a")), "faq/moi.yaml": faq(entry("moi.a"), entry("moi.b"))}
    changes = diff_documents(old, new)
    entries = [(c.file, c.path, c.kind) for c in changes if c.path[:1] == ("entries",)]
    assert entries == [
        ("faq/cu.yaml", ("entries", "cu.a"), "removed"),
        ("faq/moi.yaml", ("entries", "moi.a"), "added"),
        ("faq/moi.yaml", ("entries", "moi.b"), "added"),
    ]
    assert summary(changes)["entries"] == ["cu.a", "moi.a", "moi.b"]


def test_a_value_written_empty_and_then_filled_in_is_a_change_not_an_addition() -> None:
    old = {"faq/tn.yaml": faq(entry("tn.a", details=None))}
    new = {"faq/tn.yaml": faq(entry("tn.a", details="Chi tiết."))}
    [change] = diff_documents(old, new)
    assert (change.path, change.kind) == (("entries", "tn.a", "details"), "changed")
    assert change.describe().endswith("“(trống)” → “Chi tiết.”")


def test_changes_come_file_by_file_in_name_order() -> None:
    old = {"policy.yaml": policy(LCS_2024), "faq/tn.yaml": faq(entry("tn.a")), "areas.yaml": {"province": "A"}}
    new = {
        "policy.yaml": policy(LCS_2026),
        "faq/tn.yaml": faq(entry("tn.a", short="Mới.")),
        "areas.yaml": {"province": "B"},
    }
    assert [change.file for change in diff_documents(old, new)] == [
        "areas.yaml",
        "faq/tn.yaml",
        "policy.yaml",
        "policy.yaml",
    ]


def test_a_long_text_is_shown_shortened_with_an_ellipsis() -> None:
    long_answer = "Bạn đóng " + "rất " * 100 + "nhiều."
    [change] = diff_documents(
        {"faq/tn.yaml": faq(entry("tn.a"))}, {"faq/tn.yaml": faq(entry("tn.a", short=long_answer))}
    )
    shown_new = change.describe().split(" → ")[1]
    assert len(shown_new) == SHOWN_CHARS and shown_new.endswith("…")
    assert change.new == long_answer  # only what is shown is shortened


def test_the_summary_names_the_entries_the_figures_and_the_other_parts_changed_once_each() -> None:
    old = {
        "faq/tn.yaml": faq(entry("tn.a"), entry("tn.b")),
        "faq/bhyt.yaml": faq(entry("bhyt.a")),
        "policy.yaml": policy(LCS_2024),
        "areas.yaml": {"areas": [{"code": "qn-ha-tu", "name": "Phường Hà Tu"}]},
        "lexicon.yaml": {"synonyms": {"bh": "bảo hiểm"}},
    }
    new = {
        "faq/tn.yaml": faq(entry("tn.a", short="Mới.", title="Mới"), entry("tn.b", questions=["khác"])),
        "faq/bhyt.yaml": faq(entry("bhyt.a"), entry("bhyt.b")),
        "policy.yaml": {**policy(LCS_2024, LCS_2026), "derived": {}},
        "areas.yaml": {"areas": [{"code": "qn-ha-tu", "name": "Phường Hà Tu mới"}]},
        "lexicon.yaml": {"synonyms": {"bh": "bảo hiểm", "tn": "tự nguyện"}},
    }
    assert summary(diff_documents(old, new)) == {
        "entries": ["bhyt.b", "tn.a", "tn.b"],
        "figures": ["luong_co_so", "nua_luong"],
        "other": ["areas.yaml › areas", "lexicon.yaml › synonyms"],
    }


def test_the_summary_lists_a_new_or_removed_file_among_the_other_parts() -> None:
    changes = diff_documents(
        {"faq/tn.yaml": faq(entry("tn.a"))}, {"faq/tn.yaml": faq(entry("tn.a")), "checks.jsonl": []}
    )
    assert summary(changes) == {"entries": [], "figures": [], "other": ["checks.jsonl"]}
