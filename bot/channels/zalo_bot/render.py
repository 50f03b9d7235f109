"""Replies as the Zalo Bot Platform shows them: plain text of at most 2,000 characters, buttons as numbered lines.

    Reply("Bạn hỏi về:", (Button("BHXH tự nguyện", "s:tn"), Button("Menu chính", "m")))
    -> ["Bạn hỏi về:\n\n1. BHXH tự nguyện\n2. Menu chính"]

The platform has no buttons, no keyboards and no editing (../shared/CHANNELS.md §1.1), so the citizen types the
number of a line, or its text, and the channel presses that button (bot/channels/zalo_bot/updates.py). At a
calculator's question whose choices are numbers ("3 tháng", "6 người"), a typed number is the answer, as the
question says ("gõ số người"): those choices are shown as bullets, never numbered, so no line promises that "6"
presses a sixth line. A longer text is cut at paragraph boundaries, then at lines, sentences and words, and only
then anywhere.
"""

from __future__ import annotations

import re

from bot.core import splitting
from bot.core.actions import FlowStep, parse_action
from bot.core.types import Button, Reply

MAX_TEXT = 2000  # Zalo's limit for one message
BULLET = "•"
# Where a long text may be cut, coarsest first: paragraphs, lines, sentences, words.
BOUNDARIES = (splitting.PARAGRAPHS, splitting.LINES, splitting.SENTENCES, splitting.WORDS)
LEADING_NUMBER = re.compile(r"\d+(?=\D|$)")


def numeric_question(buttons: tuple[Button, ...] | list[Button]) -> bool:
    """Whether these are a flow's waiting question whose choices are numbers ("3 tháng", "2 người"): there a
    typed number is the flow's answer, not a line."""
    steps = [(button, parse_action(button.action)) for button in buttons]
    choices = [
        button
        for button, step in steps
        if isinstance(step, FlowStep) and step.code and step.code not in ("back", "cancel")
    ]
    return bool(choices) and all(LEADING_NUMBER.match(button.label) for button in choices)


def choice_lines(buttons: tuple[Button, ...]) -> list[str]:
    """ "1. label" per button, or "• label" at a question whose choices are numbers."""
    if numeric_question(buttons):
        return [f"{BULLET} {button.label}" for button in buttons]
    return [f"{number}. {button.label}" for number, button in enumerate(buttons, start=1)]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The text as few messages as fit under `limit` characters, cut at the coarsest boundary that fits."""
    return splitting.split_text(text, limit, boundaries=BOUNDARIES)


def reply_text(reply: Reply) -> str:
    """The reply as one text: its words, a picture said in words (the pension chart), its numbered choices."""
    parts = [reply.text.strip()]
    if reply.chart is not None:
        parts.append("\n".join(part for part in (reply.chart.title, reply.chart.crossover_label) if part))
    if reply.buttons:
        parts.append("\n".join(choice_lines(reply.buttons)))
    return "\n\n".join(part for part in parts if part)


def render(reply: Reply) -> list[str]:
    """The messages that show one reply (none for a reply Zalo does not show)."""
    return [] if reply.about_contact_keyboard else split_text(reply_text(reply))


def render_all(replies: tuple[Reply, ...]) -> list[str]:
    return [message for reply in replies for message in render(reply)]


def last_buttons(replies: tuple[Reply, ...]) -> tuple[Button, ...] | None:
    """The buttons a typed number refers to after these replies: the last reply's that has some; None when no
    reply has buttons (the earlier lines still count, as in the console)."""
    for reply in reversed(replies):
        if reply.buttons and not reply.about_contact_keyboard:
            return reply.buttons
    return None
