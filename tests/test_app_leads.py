"""The composition root's lead parts: the first-contact deadline of the settings, the lead context from
knowledge/areas.yaml, and the desk with the staff chats of the settings."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import App, build
from bot.config import Settings

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def app_with(tmp_path: Path, **settings: object) -> App:
    return build(Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", **settings))


def test_two_working_days_skip_the_weekend_and_the_hung_kings_day_off(tmp_path: Path) -> None:
    app = app_with(tmp_path)
    friday_afternoon = datetime(2026, 4, 24, 16, 0, tzinfo=HANOI)
    # 1 h on Friday; Saturday, Sunday and Monday 27/4 (Giỗ Tổ Hùng Vương, moved from Sunday) are off;
    # 9.5 h on Tuesday; the last 8.5 h on Wednesday from 07:30.
    assert app.contact_due(friday_afternoon) == datetime(2026, 4, 29, 16, 0, tzinfo=HANOI)
    assert app.contact_due(friday_afternoon.astimezone(UTC)) == datetime(2026, 4, 29, 9, 0, tzinfo=UTC)


def test_the_deadline_follows_the_configured_days_and_office_hours(tmp_path: Path) -> None:
    app = app_with(tmp_path, lead_contact_working_days=1, office_opens=time(8, 0), office_closes=time(12, 0))
    wednesday_before_30_4 = datetime(2026, 4, 29, 11, 0, tzinfo=HANOI)
    # 1 h on Wednesday; 30/4 and 1/5 are public holidays, then the weekend; 3 h on Monday 4/5.
    assert app.contact_due(wednesday_before_30_4) == datetime(2026, 5, 4, 11, 0, tzinfo=HANOI)


def test_the_lead_context_names_the_areas_of_areas_yaml_and_the_office_chat(tmp_path: Path) -> None:
    context = app_with(tmp_path, office_chat_id=-100200).lead_context()
    assert context.area_name("qn-tien-yen") == "Xã Tiên Yên"
    assert context.office_chat_id == -100200
    assert context.timezone == HANOI


def test_the_desk_serves_the_staff_chats_of_the_settings_and_the_office_chat(tmp_path: Path) -> None:
    desk = app_with(tmp_path, staff_chat_ids="5, 6", office_chat_id=-100200).desk("telegram")
    assert desk.staff_chat_ids == {5, 6, -100200}
    assert desk.channel == "telegram"
