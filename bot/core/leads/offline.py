"""/themlead: the one-message form an agent fills for a citizen met in person or on the phone, who agreed
orally to be called (the lead is stored with oral consent by bot.shell.desk).

    /themlead Họ tên, số điện thoại, xã/phường, quan tâm, giờ tiện gọi
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.areas import Area, MatchKind, match_area
from bot.core.leads.fields import MAX_CALL_TIME, MAX_NAME, call_time, person_name, tidy
from bot.core.leads.records import Interest
from bot.core.phone import Phone, PhoneError, parse_phone
from bot.core.text import fold

USAGE_OFFLINE = (
    "Cách ghi nhận người dân gặp trực tiếp (đã đồng ý bằng lời cho anh/chị liên hệ), các phần cách nhau "
    "bằng dấu phẩy:\n"
    "/themlead Họ tên, số điện thoại, xã/phường, quan tâm\n"
    "Ví dụ: /themlead Nguyễn Văn An, 0912 345 678, Tiên Yên, bhyt\n"
    "Quan tâm: bhxh (BHXH tự nguyện), bhyt (BHYT hộ gia đình) hoặc cả hai (mặc định). Có thể thêm giờ tiện gọi "
    "ở cuối. Đại lý bỏ trống xã/phường thì yêu cầu thuộc xã/phường mình phụ trách."
)
# The whole "quan tâm" field, folded and without spaces ("cả hai", "2"): a field that is none of these is read
# as the area. The call-back flow finds words inside a sentence instead (bot.core.leads.capture).
INTEREST_WORDS = {
    Interest.VOLUNTARY_BHXH: ("bhxh", "bhxhtn", "bhxhtunguyen", "tunguyen", "baohiemxahoi", "baohiemxahoitunguyen"),
    Interest.HOUSEHOLD_BHYT: ("bhyt", "bhythgd", "bhythogiadinh", "hogiadinh", "baohiemyte", "baohiemytehogiadinh"),
    Interest.BOTH: ("cahai", "ca2", "2", "both", "bhxhbhyt", "bhxhvabhyt", "bhytbhxh", "bhytvabhxh"),
}
_NOT_LETTER = re.compile(r"[^a-z0-9]+")


class FormError(ValueError):
    """The /themlead form cannot be taken as it is; the message says what to fix."""


@dataclass(frozen=True)
class OfflineLead:
    name: str
    phone: Phone
    area: Area
    interest: Interest
    call_time: str = ""


def parse_interest(text: str) -> Interest | None:
    key = _NOT_LETTER.sub("", fold(text))
    return next((interest for interest, words in INTEREST_WORDS.items() if key in words), None)


def parse_offline_lead(text: str, areas: Sequence[Area], own_area: Area | None = None) -> OfflineLead:
    """`Họ tên, số điện thoại, xã/phường, quan tâm, giờ tiện gọi`: the last three may be left out, and an
    agent may leave out the area (`own_area` stands in) by going on with the interest. FormError saying
    what is wrong."""
    parts = [tidy(part) for part in text.split(",")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise FormError(USAGE_OFFLINE)
    name, typed_phone, rest = person_name(parts[0]), parts[1], [part for part in parts[2:] if part]
    if name is None:
        raise FormError(f"Họ tên chưa đúng (chỉ gồm chữ cái, tối đa {MAX_NAME} ký tự).\n\n{USAGE_OFFLINE}")
    try:
        phone = parse_phone(typed_phone)
    except PhoneError as exc:
        raise FormError(f"{exc}\n\n{USAGE_OFFLINE}") from None
    area = own_area
    if rest and parse_interest(rest[0]) is None:
        area = _area(rest.pop(0), areas)
    if area is None:
        raise FormError(f"Thiếu xã/phường của người dân.\n\n{USAGE_OFFLINE}")
    interest = parse_interest(rest[0]) if rest else None
    if interest is not None:
        rest.pop(0)
    when = call_time(", ".join(rest)) if rest else ""
    if when is None:
        raise FormError(
            f"Giờ tiện gọi chưa đúng: tối đa {MAX_CALL_TIME} ký tự, chỉ gồm chữ, số và dấu câu thông thường "
            f"(ví dụ: sau 17h).\n\n{USAGE_OFFLINE}"
        )
    return OfflineLead(name, phone, area, interest or Interest.BOTH, when)


def _area(text: str, areas: Sequence[Area]) -> Area:
    match = match_area(text, areas)
    if match.kind == MatchKind.EXACT and match.area is not None:
        return match.area
    if match.choices:
        choices = ", ".join(area.name for area in match.choices)
        raise FormError(f"Chưa rõ xã/phường “{text}”. Có phải: {choices}? Anh/chị gõ lại lệnh với tên đúng.")
    raise FormError(f"Không tìm thấy xã/phường “{text}” trong danh sách văn phòng phục vụ.\n\n{USAGE_OFFLINE}")
