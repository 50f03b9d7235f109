"""The console chat: a conversation in a terminal, each button shown with the key that presses it.

Buttons are numbered ("[1] BHXH tự nguyện") and typing the number presses the button. While a calculator
waits for an answer, its buttons are lettered instead ("[a] 3 tháng", "[b] 6 tháng", …, "[e] Hủy") and a
number typed there is the answer, as the question itself says ("Bấm nút hoặc gõ số người"): "6" is 6 people
or 6 months, never the sixth button. Typing a letter presses a lettered button. So a key means what the
screen shows beside it, and a number never means two things on the same screen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from string import ascii_lowercase
from typing import TextIO

from bot.core.actions import FlowStep, parse_action
from bot.core.types import Button, Inbound, InboundKind, Outcome, PensionChart, Reply
from bot.shell.charts import save_png

COMMANDS = {
    "/start": InboundKind.START,
    "/menu": InboundKind.MENU,
    "/help": InboundKind.HELP,
    "/xoadulieu": InboundKind.ERASE,
    "/dulieu": InboundKind.MY_DATA,
}
QUIT = frozenset({"/quit", "/exit", "/thoat"})
INTRO = (
    "(Gõ câu hỏi; gõ số [1] hoặc chữ [a] đứng trước một nút để bấm nút đó. Khi bot hỏi để tính giúp"
    "\n (số người, số tháng…), nút có chữ cái và số bạn gõ là câu trả lời: 6 là 6 người, không phải nút thứ 6."
    "\n /menu: menu chính, /help: hướng dẫn, /quit: thoát.)"
)


def awaits_answer(buttons: tuple[Button, ...]) -> bool:
    """Whether these are the buttons of a flow's waiting question (its choices, Back, Cancel): the flow then
    takes typed answers, numbers included."""
    return any(isinstance(pressed := parse_action(button.action), FlowStep) and pressed.code for button in buttons)


def _letters(index: int) -> str:
    """a, b, …, z, aa, ab, … for index 0, 1, …"""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, len(ascii_lowercase))
        name = ascii_lowercase[rest] + name
    return name


def keys(buttons: tuple[Button, ...]) -> tuple[str, ...]:
    """What to type to press each button: letters at a flow's question, numbers elsewhere."""
    if awaits_answer(buttons):
        return tuple(_letters(index) for index in range(len(buttons)))
    return tuple(str(number) for number in range(1, len(buttons) + 1))


def render(reply: Reply, note: str = "") -> str:
    """A reply as the console shows it: the text, a note (where its picture was saved), then "[key] label" per
    button."""
    lines = [reply.text, *(["", note] if note else [])]
    if reply.buttons:
        lines.append("")
        lines.extend(
            f"  [{key}] {button.label}" for key, button in zip(keys(reply.buttons), reply.buttons, strict=True)
        )
    return "\n".join(lines)


def to_inbound(chat: str, line: str, buttons: tuple[Button, ...]) -> Inbound:
    """A typed line: a command, the key of a button shown last, or free text (in NFC, whatever the terminal's
    input method sent: a name typed in decomposed Unicode reads as typed)."""
    text = unicodedata.normalize("NFC", line.strip())
    if text.lower() in COMMANDS:
        return Inbound(chat, COMMANDS[text.lower()])
    typed = str(int(text)) if text.isascii() and text.isdigit() else text.lower()
    pressed = dict(zip(keys(buttons), buttons, strict=True)).get(typed)
    if pressed is not None:
        return Inbound(chat, InboundKind.ACTION, action=pressed.action)
    return Inbound(chat, InboundKind.TEXT, text=text)


SaveChart = Callable[[PensionChart], str]  # draws a reply's picture to a file; the line that says where


def chart_saver(folder: Callable[[], Path], saved: str) -> SaveChart:
    """Pictures saved as bieu-do-1.png, bieu-do-2.png, … in the folder `folder()` gives when the first one is
    (a chat without pictures makes none); `saved` says where ("… {path}")."""
    count = 0
    made: Path | None = None

    def save(chart: PensionChart) -> str:
        nonlocal count, made
        made = made or folder()
        count += 1
        path = save_png(chart, made / f"bieu-do-{count}.png")
        return saved.format(path=path)

    return save


def chat_loop(
    handle: Callable[[Inbound], Outcome],
    stdin: TextIO,
    stdout: TextIO,
    chat: str = "console",
    save_chart: SaveChart | None = None,
) -> None:
    """Run a conversation until end of input or /quit. A reply's picture goes to a file (`save_chart`), shown
    as the line that says where, after the reply's text and before its buttons."""
    buttons: tuple[Button, ...] = ()

    def show(outcome: Outcome) -> None:
        nonlocal buttons
        for reply in outcome.replies:
            saved = save_chart(reply.chart) if reply.chart is not None and save_chart is not None else ""
            stdout.write(render(reply, saved) + "\n\n")
            buttons = reply.buttons or buttons
        stdout.flush()

    stdout.write(INTRO + "\n\n")
    show(handle(Inbound(chat, InboundKind.START)))
    while True:
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in QUIT:
            stdout.write("\nTạm biệt!\n")
            return
        show(handle(to_inbound(chat, line, buttons)))
