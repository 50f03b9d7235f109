"""The console chat: a conversation in a terminal, buttons shown as numbered choices."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.core.types import Button, Inbound, InboundKind, Outcome, Reply

COMMANDS = {"/start": InboundKind.START, "/menu": InboundKind.MENU, "/help": InboundKind.HELP}
QUIT = frozenset({"/quit", "/exit", "/thoat"})


def render(reply: Reply) -> str:
    """A reply as the console shows it: the text, then "[1] label" per button."""
    lines = [reply.text]
    if reply.buttons:
        lines.append("")
        lines.extend(f"  [{n}] {button.label}" for n, button in enumerate(reply.buttons, start=1))
    return "\n".join(lines)


def to_inbound(chat: str, line: str, buttons: tuple[Button, ...]) -> Inbound:
    """A typed line: a command, the number of a button shown last, or free text."""
    text = line.strip()
    if text.lower() in COMMANDS:
        return Inbound(chat, COMMANDS[text.lower()])
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return Inbound(chat, InboundKind.ACTION, action=buttons[int(text) - 1].action)
    return Inbound(chat, InboundKind.TEXT, text=text)


def chat_loop(handle: Callable[[Inbound], Outcome], stdin: TextIO, stdout: TextIO, chat: str = "console") -> None:
    """Run a conversation until end of input or /quit."""
    buttons: tuple[Button, ...] = ()

    def show(outcome: Outcome) -> None:
        nonlocal buttons
        for reply in outcome.replies:
            stdout.write(render(reply) + "\n\n")
            buttons = reply.buttons or buttons
        stdout.flush()

    stdout.write("(Gõ câu hỏi, số của một lựa chọn, /menu, hoặc /quit để thoát.)\n\n")
    show(handle(Inbound(chat, InboundKind.START)))
    while True:
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in QUIT:
            stdout.write("\nTạm biệt!\n")
            return
        show(handle(to_inbound(chat, line, buttons)))
