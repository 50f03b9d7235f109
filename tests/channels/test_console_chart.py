"""The console saves a result's picture to a file and says where, between the text and the buttons."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from bot.channels.console import chart_saver, chat_loop
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, Outcome, Session
from tests.factories import TODAY


def test_the_lump_sum_result_in_the_console_saves_its_chart_and_says_where(
    real_kb: KnowledgeBase, real_matcher: Matcher, tmp_path: Path
) -> None:
    session = Session("console")

    def handle(inbound: Inbound) -> Outcome:
        nonlocal session
        outcome = decide(inbound, session, real_kb, TODAY, real_matcher, now=datetime(2026, 11, 23, tzinfo=UTC))
        session = outcome.session or session
        return outcome

    typed = "\n".join(
        [
            "rút bhxh một lần hay chờ lương hưu thì lợi hơn",
            "1",  # [1] Tính cho tôi
            "tôi là nữ, sinh ngày 1/3/1980, đóng bhxh bắt buộc 10 năm, lương 8 triệu, đã nghỉ việc",
            "0",
            "12/2025",
            "/quit",
        ]
    )
    out = io.StringIO()
    chat_loop(
        handle, io.StringIO(typed), out, save_chart=chart_saver(lambda: tmp_path, real_kb.message("chart_huu_saved"))
    )
    screen = out.getvalue()
    path = tmp_path / "bieu-do-1.png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    saved = real_kb.message("chart_huu_saved").format(path=path)
    assert f"\n\n{saved}\n\n  [1] Tính lại" in screen
