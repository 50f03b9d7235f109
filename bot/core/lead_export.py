"""Leads as spreadsheet rows for the office (`python -m bot leads export`): Vietnamese headers, local times."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.lead_messages import CHANNEL_LABELS
from bot.core.leads import INTEREST_LABELS, STATUS_LABELS, LeadRecord

HEADERS = (
    "Mã yêu cầu",
    "Ngày tạo",
    "Mã xã/phường",
    "Xã/phường",
    "Đại lý",
    "Trạng thái",
    "Họ tên",
    "Số điện thoại",
    "Quan tâm",
    "Giờ tiện gọi",
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


def _time(moment: datetime | None, timezone: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(timezone).strftime(TIME_FORMAT)


def export_row(lead: LeadRecord, area_name: str, agent_name: str | None, timezone: tzinfo) -> tuple[Cell, ...]:
    """One lead under HEADERS. The phone number is in E.164 so spreadsheets keep it as text."""
    return (
        lead.id,
        _time(lead.created_at, timezone),
        lead.area_code,
        area_name,
        agent_name or "Hàng chờ văn phòng",
        STATUS_LABELS[lead.status],
        lead.name or "",
        lead.phone_e164 or "",
        INTEREST_LABELS[lead.interest] if lead.interest else "",
        lead.call_time or "",
        _time(lead.due_at, timezone),
        _time(lead.first_contact_at, timezone),
        _time(lead.consent_at, timezone),
        CHANNEL_LABELS[lead.consent_channel],
        lead.consent_version,
        "có" if lead.consent_oral else "không",
        "có" if lead.anonymised_at else "không",
    )
