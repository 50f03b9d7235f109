"""The rows of `leads export`: what the office reads about each lead, never a formula."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.leads.consent import ConsentChannel
from bot.core.leads.export import HEADERS, export_row
from bot.core.leads.records import LeadRecord, LeadStatus

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LEAD = LeadRecord(7, "telegram:1", "khac", None, LeadStatus.NEW, "Trần Thị Bình", "+84912345678", None, None, None,
                  "2026-02/180d", NOW, ConsentChannel.TELEGRAM, False, NOW, NOW, None, None, None, None)  # fmt: skip


def cell(row: tuple[str | int, ...], header: str) -> str | int:
    return row[HEADERS.index(header)]


def test_the_place_a_citizen_outside_the_areas_typed_is_exported_beside_the_area() -> None:
    row = export_row(replace(LEAD, place_typed="Xã Đông Ngũ, huyện Tiên Yên"), "Nơi khác", None, OFFICE_TZ)
    assert len(row) == len(HEADERS)
    assert cell(row, "Xã/phường") == "Nơi khác"
    assert cell(row, "Nơi ở người dân gõ") == "Xã Đông Ngũ, huyện Tiên Yên"
    assert cell(row, "Đại lý") == "Hàng chờ văn phòng"


def test_a_typed_place_that_starts_like_a_formula_is_inert() -> None:
    row = export_row(replace(LEAD, place_typed='=HYPERLINK("http://e.example","x")'), "Nơi khác", None, OFFICE_TZ)
    assert cell(row, "Nơi ở người dân gõ") == '\'=HYPERLINK("http://e.example","x")'
