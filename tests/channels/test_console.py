"""The console channel: buttons shown with the key that presses them; numbers typed at a calculator's
question are its answer, not a button."""

from __future__ import annotations

import io
import unicodedata

from bot.channels.console import INTRO, chat_loop, keys, render, to_inbound
from bot.core.types import Button, Inbound, InboundKind, Outcome, Reply

BUTTONS = (Button("BHXH tự nguyện", "s:tn"), Button("Menu chính", "m"))
# A calculator waiting for the number of people: choices, Back and Cancel of the step "members".
QUESTION = (
    Button("1 người", "f:household:members:1"),
    Button("2 người", "f:household:members:2"),
    Button("« Quay lại", "f:household:members:back"),
    Button("Hủy", "f:household:members:cancel"),
)


def test_a_reply_is_shown_with_numbered_buttons() -> None:
    assert render(Reply("Chọn:", BUTTONS)) == "Chọn:\n\n  [1] BHXH tự nguyện\n  [2] Menu chính"


def test_a_reply_without_buttons_is_only_its_text() -> None:
    assert render(Reply("Chào bạn")) == "Chào bạn"


def test_a_number_shown_on_screen_presses_that_button() -> None:
    assert to_inbound("c", " 2 ", BUTTONS) == Inbound("c", InboundKind.ACTION, action="m")


def test_a_number_not_on_screen_is_free_text() -> None:
    assert to_inbound("c", "3", BUTTONS) == Inbound("c", InboundKind.TEXT, text="3")
    assert to_inbound("c", "0", BUTTONS) == Inbound("c", InboundKind.TEXT, text="0")


def test_a_number_with_leading_zeros_or_spaces_presses_its_button() -> None:
    assert to_inbound("c", "02", BUTTONS) == Inbound("c", InboundKind.ACTION, action="m")


def test_a_digit_that_is_not_an_ascii_number_is_free_text() -> None:
    assert to_inbound("c", "²", BUTTONS) == Inbound("c", InboundKind.TEXT, text="²")


def test_the_buttons_of_a_calculator_question_are_lettered() -> None:
    assert render(Reply("Mấy người?", QUESTION)) == (
        "Mấy người?\n\n  [a] 1 người\n  [b] 2 người\n  [c] « Quay lại\n  [d] Hủy"
    )


def test_a_number_typed_at_a_calculator_question_is_the_answer_not_a_button() -> None:
    assert to_inbound("c", "2", QUESTION) == Inbound("c", InboundKind.TEXT, text="2")
    assert to_inbound("c", " 6 ", QUESTION) == Inbound("c", InboundKind.TEXT, text="6")


def test_a_letter_presses_a_button_of_a_calculator_question_in_any_case() -> None:
    assert to_inbound("c", "c", QUESTION) == Inbound("c", InboundKind.ACTION, action="f:household:members:back")
    assert to_inbound("c", " D ", QUESTION) == Inbound("c", InboundKind.ACTION, action="f:household:members:cancel")


def test_a_letter_not_on_screen_is_free_text() -> None:
    assert to_inbound("c", "a", BUTTONS) == Inbound("c", InboundKind.TEXT, text="a")
    assert to_inbound("c", "e", QUESTION) == Inbound("c", InboundKind.TEXT, text="e")


def test_a_result_and_an_answer_offering_a_calculator_keep_numbers() -> None:
    result = (Button("Tính lại", "f:household"), Button("Hỏi cán bộ tư vấn", "a:lead.tu-van"), Button("Menu", "m"))
    resume = (Button("Quay lại phép tính", "f:household:months"), Button("Menu", "m"))
    assert keys(result) == ("1", "2", "3")
    assert keys(resume) == ("1", "2")


def test_letters_go_on_past_z() -> None:
    many = tuple(Button(str(n), f"f:household:members:{n}") for n in range(28))
    assert keys(many)[:2] == ("a", "b")
    assert keys(many)[25:] == ("z", "aa", "ab")


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
    assert out.getvalue().startswith(INTRO)
    assert out.getvalue().endswith("Tạm biệt!\n")
    assert "trả lời 3" in out.getvalue()


def test_text_typed_in_decomposed_unicode_reaches_the_core_composed() -> None:
    typed = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    assert to_inbound("c", typed, BUTTONS) == Inbound("c", InboundKind.TEXT, text="Nguyễn Thị Lan")
