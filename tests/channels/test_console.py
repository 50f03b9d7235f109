"""The console channel: buttons shown as numbered choices, typed numbers pressed as buttons."""

from __future__ import annotations

import io

from bot.channels.console import chat_loop, render, to_inbound
from bot.core.types import Button, Inbound, InboundKind, Outcome, Reply

BUTTONS = (Button("BHXH tự nguyện", "s:tn"), Button("Menu chính", "m"))


def test_a_reply_is_shown_with_numbered_buttons() -> None:
    assert render(Reply("Chọn:", BUTTONS)) == "Chọn:\n\n  [1] BHXH tự nguyện\n  [2] Menu chính"


def test_a_reply_without_buttons_is_only_its_text() -> None:
    assert render(Reply("Chào bạn")) == "Chào bạn"


def test_a_number_shown_on_screen_presses_that_button() -> None:
    assert to_inbound("c", " 2 ", BUTTONS) == Inbound("c", InboundKind.ACTION, action="m")


def test_a_number_not_on_screen_is_free_text() -> None:
    assert to_inbound("c", "3", BUTTONS) == Inbound("c", InboundKind.TEXT, text="3")
    assert to_inbound("c", "0", BUTTONS) == Inbound("c", InboundKind.TEXT, text="0")


def test_commands_are_recognised_in_any_case() -> None:
    assert to_inbound("c", "/MENU", ()).kind is InboundKind.MENU
    assert to_inbound("c", "/start", ()).kind is InboundKind.START
    assert to_inbound("c", "/help", ()).kind is InboundKind.HELP


def test_the_loop_starts_with_start_keeps_the_last_buttons_and_stops_at_quit() -> None:
    received: list[Inbound] = []

    def handle(inbound: Inbound) -> Outcome:
        received.append(inbound)
        buttons = BUTTONS if inbound.kind is InboundKind.START else ()
        return Outcome((Reply(f"trả lời {len(received)}", buttons),))

    out = io.StringIO()
    chat_loop(handle, io.StringIO("mất thẻ\n1\n/thoat\nkhông tới đây\n"), out)
    assert [i.kind for i in received] == [InboundKind.START, InboundKind.TEXT, InboundKind.ACTION]
    assert received[2].action == "s:tn"  # the menu's buttons still count after a reply without buttons
    assert out.getvalue().endswith("Tạm biệt!\n")
    assert "trả lời 3" in out.getvalue()
