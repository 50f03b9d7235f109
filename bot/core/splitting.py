"""A long reply cut into the messages a channel accepts, at the coarsest boundary that fits.

    split_text(text, 2000)                      # Zalo: characters
    split_text(text, 4096, size=utf16_length)   # Telegram counts UTF-16 code units

Paragraphs first, then sentences, lines and words; a word longer than the limit is cut where it must be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

PARAGRAPHS = re.compile(r"(?<=\n\n)")
SENTENCES = re.compile(r"(?<=[.!?…])(?=\s)")
LINES = re.compile(r"(?<=\n)")
WORDS = re.compile(r"(?<=\s)")
BOUNDARIES = (PARAGRAPHS, SENTENCES, LINES, WORDS)  # coarsest first
Size = Callable[[str], int]


def _hard_cut(text: str, limit: int, size: Size) -> Iterator[str]:
    piece, used = "", 0
    for char in text:
        width = size(char)
        if used + width > limit:
            yield piece
            piece, used = "", 0
        piece, used = piece + char, used + width
    if piece:
        yield piece


def _pieces(text: str, limit: int, size: Size, boundaries: Sequence[re.Pattern[str]]) -> Iterator[str]:
    """Consecutive pieces of `text`, each within `limit`, cut at the coarsest boundary that makes them fit."""
    if size(text) <= limit:
        yield text
    elif not boundaries:
        yield from _hard_cut(text, limit, size)
    else:
        for part in boundaries[0].split(text):
            yield from _pieces(part, limit, size, boundaries[1:])


def split_text(
    text: str, limit: int, size: Size = len, boundaries: Sequence[re.Pattern[str]] = BOUNDARIES
) -> list[str]:
    """The text as few messages as fit under `limit` (as `size` measures), each stripped, none empty."""
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit, size, boundaries):
        if current and size(current + piece) > limit:
            chunks.append(current)
            current = ""
        current += piece
    chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]
