"""A Reply as Zalo OA consultation messages.

- Text: at most MAX_TEXT_CHARS characters per message (the limit the Zalo clients document for text, see
  ../shared/CHANNELS.md §1.1; verify on a real OA); a longer reply is split at paragraph boundaries, then at line
  ends, then at spaces.
- Buttons: a consultation message may carry a template attachment with buttons (CHANNELS.md §1.3; the
  `oa.query.hide` type sends its payload back as the citizen's message, unseen). Up to MAX_BUTTONS buttons with
  titles of at most MAX_TITLE_CHARS are sent as such, on the last part. Otherwise the choices become numbered
  lines ("1. …", or "a. …" at a calculator's question, where a typed number is the answer, as in the console),
  and typing the key or the line's text presses the choice.
- The reply's picture (the pension chart) is said in words; Telegram's "share my number" keyboard texts are left
  out (the citizen types the number, as the question asks).
Zalo's own "request user info" template is never used: the bot's consent text comes before any personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import ascii_lowercase

from bot.channels.zalo_oa.events import PRESS, Choice
from bot.core import splitting
from bot.core.actions import FlowStep, parse_action
from bot.core.types import Button, Reply

MAX_TEXT_CHARS = 2000
MAX_BUTTONS = 5
MAX_TITLE_CHARS = 100


@dataclass(frozen=True)
class Message:
    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)


def awaits_answer(buttons: tuple[Button, ...]) -> bool:
    """Whether these are the buttons of a flow's waiting question, which takes typed answers, numbers included."""
    return any(isinstance(pressed := parse_action(button.action), FlowStep) and pressed.code for button in buttons)


def keys(buttons: tuple[Button, ...]) -> tuple[str, ...]:
    """What to type to press each button: letters at a flow's question (a, b, …), numbers elsewhere (as the
    console channel numbers them)."""
    if awaits_answer(buttons):
        return tuple(ascii_lowercase[index % 26] * (index // 26 + 1) for index in range(len(buttons)))
    return tuple(str(number) for number in range(1, len(buttons) + 1))


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Parts of at most `limit` characters, cut at a paragraph break, else a line end, else a space."""
    return splitting.split_text(text, limit, boundaries=(splitting.PARAGRAPHS, splitting.LINES, splitting.WORDS))


def native(reply: Reply) -> bool:
    """Whether the reply's choices fit the OA's buttons."""
    return 0 < len(reply.buttons) <= MAX_BUTTONS and all(
        0 < len(button.label) <= MAX_TITLE_CHARS for button in reply.buttons
    )


def choices(reply: Reply) -> tuple[Choice, ...]:
    """What typing presses after this reply: a key per choice (numbered lines), or the label (native buttons)."""
    pressable = keys(reply.buttons)
    return tuple(Choice(key, button.label, button.action) for key, button in zip(pressable, reply.buttons, strict=True))


def render(reply: Reply) -> list[Message]:
    text = reply.text
    if reply.chart is not None:
        words = "\n".join(part for part in (reply.chart.title, reply.chart.crossover_label) if part)
        text = "\n\n".join(part for part in (text, words) if part)
    if not reply.buttons:
        return [Message(part) for part in split_text(text)]
    if native(reply):
        parts = split_text(text) or [reply.buttons[0].label]
        buttons = tuple((button.label, PRESS + button.action) for button in reply.buttons)
        return [*(Message(part) for part in parts[:-1]), Message(parts[-1], buttons)]
    lines = "\n".join(f"{choice.key}. {choice.label}" for choice in choices(reply))
    return [Message(part) for part in split_text(f"{text}\n\n{lines}" if text else lines)]


def render_all(replies: tuple[Reply, ...]) -> tuple[list[Message], tuple[Choice, ...] | None]:
    """The messages for an outcome's replies, and the choices typing presses next (None: the replies offer
    none, the earlier ones still stand only if nothing was sent)."""
    messages: list[Message] = []
    offered: tuple[Choice, ...] | None = None
    for reply in replies:
        if reply.about_contact_keyboard:
            continue
        messages += render(reply)
        offered = choices(reply) if reply.buttons else offered if offered is not None else ()
    return messages, offered
