"""Small, hand-built knowledge bases for tests that must not depend on the real knowledge folder.

Everything is built from plain dicts, the same shape the YAML files have, through
`bot.core.knowledge.parse_knowledge`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from bot.core.knowledge import KnowledgeBase, parse_knowledge

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
TOPICS_TSV = PROJECT_ROOT.parent / "shared" / "knowledge" / "topics.tsv"

TODAY = date(2026, 11, 23)
BEFORE_RAISE = date(2026, 6, 30)  # the last day of lương cơ sở 2.340.000 đồng
RAISE_DAY = date(2026, 7, 1)  # lương cơ sở 2.530.000 đồng from this day

# Every character a citizen can type on a phone with a Vietnamese keyboard, and a few emoji.
VIETNAMESE_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
PHONE_KEYBOARD = (
    VIETNAMESE_LETTERS
    + VIETNAMESE_LETTERS.upper()
    + string.ascii_letters
    + string.digits
    + string.punctuation
    + " \t\n"
    + "ð…“”‘’–—😀👍🙏₫"
)

MESSAGES = {
    "greeting": "Xin chào! Hỏi mình về BHXH, BHYT.",
    "help": "Gõ câu hỏi hoặc chọn chủ đề. Tổng đài 1900 9068.",
    "subject": "Các câu hỏi về {title}:",
    "suggest": "Có phải bạn muốn hỏi:",
    "suggest_none": "Không phải, xem menu",
    "fallback": "Xin lỗi, mình chưa trả lời được. Gọi tổng đài 1900 9068.",
    "unsupported": "Mình chỉ đọc được tin nhắn chữ.",
    "empty": "Bạn gõ câu hỏi giúp mình nhé.",
    "too_long": "Tin nhắn hơi dài, bạn hỏi ngắn gọn giúp mình nhé.",
    "stale": "Nút này đã cũ.",
    "menu_button": "Menu chính",
    "sources": "Căn cứ",
    "updated": "Cập nhật",
    "basis_button": "Xem căn cứ pháp lý",
    "basis_title": "Căn cứ pháp lý của “{title}”:",
    "basis_since": "áp dụng từ {date}",
    "basis_back": "« Xem lại câu trả lời",
}


def policy_document() -> dict[str, Any]:
    """A policy.yaml with the figures the tests talk about (same numbers as the real one)."""
    return {
        "params": {
            "luong_co_so": {
                "title": "Lương cơ sở",
                "unit": "dong",
                "values": [
                    {"from": "2024-07-01", "value": 2340000, "basis": "Nghị định 73/2024/NĐ-CP"},
                    {"from": "2026-07-01", "value": 2530000, "basis": "Nghị định 161/2026/NĐ-CP"},
                ],
            },
            "bhyt_ty_le_dong": {
                "title": "Mức đóng BHYT",
                "unit": "percent",
                "values": [{"from": "2025-07-01", "value": 4.5, "basis": "Nghị định 188/2025/NĐ-CP"}],
            },
            "bhyt_hgd_nguoi_2": {
                "title": "Người thứ hai",
                "unit": "percent",
                "values": [{"from": "2025-07-01", "value": 70, "basis": "Nghị định 188/2025/NĐ-CP"}],
            },
            "tn_ty_le_dong": {
                "title": "Tỷ lệ đóng BHXH tự nguyện",
                "unit": "percent",
                "values": [{"from": "2025-07-01", "value": 22, "basis": "Luật BHXH 41/2024/QH15, Điều 32"}],
            },
        },
        "derived": {
            "bhyt_hgd_nguoi_1_nam": {
                "title": "BHYT hộ gia đình, người thứ nhất, 12 tháng",
                "unit": "dong",
                "formula": "luong_co_so * bhyt_ty_le_dong / 100 * 12",
            },
            "bhyt_hgd_nguoi_2_nam": {
                "title": "BHYT hộ gia đình, người thứ hai, 12 tháng",
                "unit": "dong",
                "formula": "bhyt_hgd_nguoi_1_nam * bhyt_hgd_nguoi_2 / 100",
            },
        },
    }


def entry(entry_id: str, questions: list[str], **fields: Any) -> dict[str, Any]:
    """An FAQ entry that passes validation unless a test overrides or removes (None) a field."""
    raw: dict[str, Any] = {
        "id": entry_id,
        "kind": "faq",
        "title": f"Tiêu đề {entry_id}",
        "questions": questions,
        "keywords": ["từ khóa"],
        "short": f"Câu trả lời ngắn của {entry_id}.",
        "details": "",
        "followups": [],
        "sources": ["Luật BHXH 41/2024/QH15, Điều 1"],
        "effective": "2025-07-01",
        "reviewed": "2026-11-23",
    }
    raw.update(fields)
    return {key: value for key, value in raw.items() if value is not None}


def faq_file(subject: str, entries: list[dict[str, Any]], title: str | None = None) -> dict[str, Any]:
    return {"subject": subject, "title": title or subject.upper(), "entries": entries}


def bot_document(menu: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"menu": menu or [], "messages": dict(MESSAGES)}


def build_kb(
    *files: Mapping[str, Any],
    lexicon: Mapping[str, Any] | None = None,
    policy: Mapping[str, Any] | None = None,
    menu: list[dict[str, str]] | None = None,
) -> KnowledgeBase:
    return parse_knowledge(
        [(f"{document['subject']}.yaml", document) for document in files],
        policy if policy is not None else policy_document(),
        lexicon,
        bot_document(menu),
    )
