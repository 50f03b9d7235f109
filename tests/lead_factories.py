"""Leads, areas and times for the lead tests: built from plain values, no knowledge files needed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.areas import Area
from bot.core.leads.consent import Consent, ConsentChannel
from bot.core.leads.records import Interest, NewLead
from bot.core.leads.routing import LeadContext
from bot.storage.db import Database
from bot.storage.migrations import migrate
from tests.databases import Store

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
OFFICE_CHAT = -100500
AREAS = (
    Area("qn-tien-yen", "Xã Tiên Yên"),
    Area("qn-hong-gai", "Phường Hồng Gai"),
    Area("qn-van-don", "Đặc khu Vân Đồn", ("huyện Vân Đồn", "Cái Rồng")),
    Area("qn-mong-cai-1", "Phường Móng Cái 1"),
    Area("qn-mong-cai-2", "Phường Móng Cái 2"),
)
CONTEXT = LeadContext({area.code: area.name for area in AREAS}, OFFICE_TZ, OFFICE_CHAT)
NAME = "Nguyễn Văn Bình"
PHONE = "+84912345678"


def new_lead(session_key: str | None = "telegram:777", area_code: str = "qn-tien-yen", **fields: Any) -> NewLead:
    values: dict[str, Any] = {
        "session_key": session_key,
        "area_code": area_code,
        "name": NAME,
        "phone_e164": PHONE,
        "interest": Interest.VOLUNTARY_BHXH,
        "consent": Consent("2026-01/180d", NOW, ConsentChannel.TELEGRAM),
        "call_time": "buổi sáng",
        "calculator": {"summary": "đóng 330.000 đồng/tháng"},
    }
    values.update(fields)
    return NewLead(**values)


@asynccontextmanager
async def migrated(store: Store) -> AsyncIterator[Database]:
    async with store.open() as database:
        await migrate(database)
        yield database
