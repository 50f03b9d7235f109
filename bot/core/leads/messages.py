"""What agents and the office chat read about leads: the notification, reminders, the /leads list, and the
buttons under a lead.

These texts hold the citizen's name and phone number: they go to the agent's chat (through the outbox),
never to a log.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.actions import LeadOperation
from bot.core.leads.consent import ConsentChannel
from bot.core.leads.notifications import Notification
from bot.core.leads.records import (
    ACTION_LABELS,
    ALLOWED_ACTIONS,
    INTEREST_LABELS,
    STATUS_LABELS,
    LeadRecord,
    LeadStatus,
)
from bot.core.phone import Phone
from bot.core.types import Button

CHANNEL_LABELS = {
    ConsentChannel.TELEGRAM: "Telegram",
    ConsentChannel.ZALO: "Zalo",
    ConsentChannel.WEB: "trang web",
    ConsentChannel.CONSOLE: "máy tính",
    ConsentChannel.ORAL: "lời nói, đại lý ghi nhận",
}


def lead_buttons(lead_id: int, status: LeadStatus) -> tuple[Button, ...]:
    """The buttons an agent sees under a lead in this status (none once it is closed)."""
    actions = ALLOWED_ACTIONS.get(status, ())
    return tuple(Button(ACTION_LABELS[action], LeadOperation(lead_id, action).data()) for action in actions)


def when(moment: datetime, timezone: tzinfo) -> str:
    return f"{moment.astimezone(timezone):%d/%m/%Y %H:%M}"


def phone_text(e164: str | None) -> str:
    if not e164:
        return "(đã xóa)"
    return Phone(e164, mobile=True).national


def lead_details(lead: LeadRecord, area_name: str, timezone: tzinfo) -> str:
    """The lead as the agent needs it to call back."""
    lines = [
        f"Nơi ở (ngoài danh sách, người dân gõ): {lead.place_typed}" if lead.place_typed else f"Xã/phường: {area_name}",
        f"Họ tên: {lead.name or '(đã xóa)'}",
        f"Điện thoại: {phone_text(lead.phone_e164)}",
    ]
    if lead.interest is not None:
        lines.append(f"Quan tâm: {INTEREST_LABELS[lead.interest]}")
    if lead.call_time:
        lines.append(f"Giờ tiện gọi: {lead.call_time}")
    summary = (lead.calculator or {}).get("summary")
    if summary:
        lines.append(f"Kết quả tính thử: {summary}")
    consent = f"{when(lead.consent_at, timezone)} qua {CHANNEL_LABELS[lead.consent_channel]}"
    lines.append(f"Đồng ý cho liên hệ: {consent} (mẫu {lead.consent_version})")
    if lead.due_at is not None and lead.status in (LeadStatus.NEW, LeadStatus.CLAIMED):
        lines.append(f"Cần liên hệ trước: {when(lead.due_at, timezone)}")
    return "\n".join(lines)


def new_lead_notification(
    chat_id: int, lead: LeadRecord, area_name: str, timezone: tzinfo, *, office_queue: bool = False
) -> Notification:
    head = f"🔔 Yêu cầu tư vấn mới #{lead.id}"
    if office_queue:
        head += "\n(Chưa có đại lý phụ trách xã/phường này: văn phòng xử lý hoặc bấm Chuyển.)"
    text = f"{head}\n{lead_details(lead, area_name, timezone)}"
    return Notification(chat_id, text, lead_buttons(lead.id, lead.status))


def reminder_notification(chat_id: int, lead: LeadRecord, area_name: str, timezone: tzinfo) -> Notification:
    text = f"⏰ Nhắc lại: yêu cầu #{lead.id} đã quá hạn mà chưa liên hệ.\n{lead_details(lead, area_name, timezone)}"
    return Notification(chat_id, text, lead_buttons(lead.id, lead.status))


def escalation_notification(
    chat_id: int, lead: LeadRecord, area_name: str, agent_name: str | None, timezone: tzinfo
) -> Notification:
    who = f"đại lý {agent_name}" if agent_name else "hàng chờ văn phòng"
    text = (
        f"⚠️ Yêu cầu #{lead.id} quá hạn liên hệ ({who}).\n"
        f"{lead_details(lead, area_name, timezone)}\nBấm Chuyển để giao cho đại lý khác."
    )
    return Notification(chat_id, text, lead_buttons(lead.id, lead.status))


def withdrawn_notification(chat_id: int, lead_id: int, area_name: str) -> Notification:
    text = (
        f"Yêu cầu #{lead_id} ({area_name}): người dân đã rút lại đồng ý. Dữ liệu cá nhân đã được xóa khỏi hệ "
        "thống; anh/chị vui lòng xóa họ tên, số điện thoại đã ghi lại (nếu có) và không liên hệ nữa."
    )
    return Notification(chat_id, text)


def erased_notification(chat_id: int, lead_id: int, area_name: str) -> Notification:
    """Staff erased the lead's personal data (`python -m bot leads erase`)."""
    text = (
        f"Yêu cầu #{lead_id} ({area_name}): văn phòng BHXH đã xóa dữ liệu cá nhân của yêu cầu này; anh/chị "
        "vui lòng xóa họ tên, số điện thoại đã ghi lại (nếu có) và không liên hệ nữa."
    )
    return Notification(chat_id, text)


def lead_line(lead: LeadRecord, area_name: str, timezone: tzinfo) -> str:
    """One line of /leads."""
    parts = [f"#{lead.id}", area_name, lead.name or "(đã xóa)", phone_text(lead.phone_e164), STATUS_LABELS[lead.status]]
    if lead.due_at is not None and lead.first_contact_at is None:
        parts.append(f"hạn {when(lead.due_at, timezone)}")
    return " · ".join(parts)
