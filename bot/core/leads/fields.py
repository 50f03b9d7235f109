"""What people type into a lead, tidied and checked where it is taken: names, call times, agents' notes.

The same rules hold for the citizen's call-back request (bot/core/flows/lead.py) and for an agent's
/themlead and /ghichu (bot/shell/desk.py), so nothing typed by anyone reaches the leads table, the agents' messages
or the office's exports with control characters, invisible formatting (zero-width spaces, right-to-left
overrides that make "+84…" read backwards) or an unbounded length.

    tidy(" Nguyễn\u200b  Văn\tAn ")   -> "Nguyễn Văn An"
    person_name("Nguyễn Văn An")       -> "Nguyễn Văn An"      (None: not a name)
    call_time("sau 17h, trừ thứ 7")   -> "sau 17h, trừ thứ 7" (None: too long or characters a time never has)
"""

from __future__ import annotations

import re
import unicodedata

MIN_NAME, MAX_NAME, MAX_NAME_WORDS = 2, 60, 7
MAX_CALL_TIME = 60
MAX_NOTE = 1000

# Words of letters joined by a space, a dot, an apostrophe or a hyphen ("Nguyễn Thị Lan", "H'Hen Niê").
_NAME = re.compile(r"^[^\W\d_]+(?:[ .'-]+[^\W\d_]+)*\.?$")
# Letters, digits, spaces and the punctuation a time to call is written with ("8h-10h sáng", "17:30",
# "thứ 2/4/6", "(trừ CN)"): never = + @ " < > and the like, so it cannot be a spreadsheet formula or markup.
_CALL_TIME = re.compile(r"^[^\W_]+(?:[^\W_]|[ .,:;/()'~–-])*$")


def tidy(text: str, *, keep_lines: bool = False) -> str:
    """NFC; control and format characters (C*: zero-width, bidi overrides, NUL, …) gone; runs of white space
    one space (`keep_lines`: line breaks kept, at most one empty line in a row)."""
    text = unicodedata.normalize("NFC", text)
    lines = text.splitlines() if keep_lines else [text]
    tidied = [" ".join("".join(_visible(char) for char in line).split()) for line in lines]
    if not keep_lines:
        return tidied[0]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(tidied)).strip()


def _visible(char: str) -> str:
    if char.isspace():
        return " "
    return "" if unicodedata.category(char).startswith("C") else char


def person_name(text: str) -> str | None:
    """The name tidied, or None when it is not one: 2 to 60 characters, at most 7 words, letters only."""
    name = tidy(text)
    if not MIN_NAME <= len(name) <= MAX_NAME or len(name.split(" ")) > MAX_NAME_WORDS:
        return None
    return name if _NAME.match(name) else None


def call_time(text: str) -> str | None:
    """The time to call tidied, or None when it is empty, longer than 60 characters or has a character a
    time is never written with."""
    tidied = tidy(text)
    if not tidied or len(tidied) > MAX_CALL_TIME or not _CALL_TIME.match(tidied):
        return None
    return tidied
