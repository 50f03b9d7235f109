"""Leads as spreadsheet rows for the office (`python -m bot leads export`): Vietnamese headers, local times.

What citizens and agents typed (names, times to call, agents' names, …) reaches the office's spreadsheet,
so no cell may be a formula. Every text cell follows the OWASP CSV-injection rule: one that starts with
=, +, -, @, a tab or a carriage return gets a leading apostrophe, so that no spreadsheet program (Excel,
LibreOffice, Google Sheets) takes it for a formula: it shows as text, apostrophe and all. `leads export` also
writes the XLSX cells as text cells, never as formulas. The one exception is the phone number in the XLSX:
stored in E.164 ("+84912345678", checked when it was taken and again here), it is written as it is into a
text cell, readable and ready to dial; in a CSV, which has no types, `csv_cells` gives it the apostrophe
too, because "+84…" would otherwise be read as a formula (=84912345678, shown as 8.49E+10). Beside it,
"Số để gọi" holds the number as staff dial it ("0912 345 678", a text cell: its 0 stays), and "Kết quả tính
thử" the calculator result the citizen brought with the request, which the consent text says is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, tzinfo

from phonenumbers import NumberParseException

from bot.core.leads.messages import CHANNEL_LABELS
from bot.core.leads.records import INTEREST_LABELS, STATUS_LABELS, LeadRecord
from bot.core.phone import Phone

HEADERS = (
    "Mã yêu cầu",
    "Ngày tạo",
    "Mã xã/phường",
    "Xã/phường",
    "Nơi ở người dân gõ",
    "Đại lý",
    "Trạng thái",
    "Họ tên",
    "Số điện thoại",
    "Số để gọi",
    "Quan tâm",
    "Giờ tiện gọi",
    "Kết quả tính thử",
    "Hạn liên hệ",
    "Liên hệ lần đầu",
    "Đồng ý lúc",
    "Kênh đồng ý",
    "Mẫu đồng ý",
    "Đồng ý bằng lời",
    "Đã xóa dữ liệu cá nhân",
)
Cell = str | int

TIME_FORMAT = "%d/%m/%Y %H:%M"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP, CSV injection
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# What XML 1.0, hence an XLSX file, cannot hold (openpyxl refuses to write it): C0 controls but tab, LF, CR.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def inert(text: str) -> str:
    """The text as a spreadsheet cell that is never a formula: a leading apostrophe when it starts like one,
    and without the control characters a spreadsheet file cannot hold."""
    text = _NOT_IN_XML.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cells(row: Iterable[Cell]) -> tuple[Cell, ...]:
    """A row for a CSV file: every text cell inert, the phone number too (see the module's docstring)."""
    return tuple(inert(cell) if isinstance(cell, str) else cell for cell in row)


def _time(moment: datetime | None, timezone: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(timezone).strftime(TIME_FORMAT)


def _phone_cell(phone: str | None) -> str:
    """The E.164 number as it is (a text cell in an XLSX); anything else stored there is made inert."""
    return phone if phone and _E164.match(phone) else inert(phone or "")


def _dial_cell(phone: str | None) -> str:
    """The number as staff dial it, "0912 345 678": a text cell (its leading 0 and spaces stay as they are;
    no spreadsheet reads it as a number or a formula). Empty for an erased or unreadable number."""
    if not phone or not _E164.match(phone):
        return ""
    try:
        return inert(Phone(phone, mobile=True).national)
    except NumberParseException:
        return ""


def calculation_summary(lead: LeadRecord) -> str:
    """The calculator result the citizen brought with the request (the consent text says it is kept)."""
    summary = (lead.calculator or {}).get("summary", "")
    return summary if isinstance(summary, str) else ""


def export_row(lead: LeadRecord, area_name: str, agent_name: str | None, timezone: tzinfo) -> tuple[Cell, ...]:
    """One lead under HEADERS; every cell that holds typed text is inert (the phone number: `_phone_cell`)."""
    return (
        lead.id,
        _time(lead.created_at, timezone),
        inert(lead.area_code),
        inert(area_name),
        inert(lead.place_typed or ""),  # "Nơi khác": where the citizen said they live
        inert(agent_name or "Hàng chờ văn phòng"),  # as staff typed it in `agents add`
        STATUS_LABELS[lead.status],
        inert(lead.name or ""),
        _phone_cell(lead.phone_e164),
        _dial_cell(lead.phone_e164),
        INTEREST_LABELS[lead.interest] if lead.interest else "",
        inert(lead.call_time or ""),
        inert(calculation_summary(lead)),
        _time(lead.due_at, timezone),
        _time(lead.first_contact_at, timezone),
        _time(lead.consent_at, timezone),
        CHANNEL_LABELS[lead.consent_channel],
        inert(lead.consent_version),
        "có" if lead.consent_oral else "không",
        "có" if lead.anonymised_at else "không",
    )
