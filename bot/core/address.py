"""How the bot addresses the citizen: "bạn", or the word an older citizen uses for themself ("cho bác hỏi"
-> "Bác đóng …").

The phrasings that reveal it are data (lexicon.yaml `self_address`); `self_address` finds one in a message,
the engine keeps it in the Session, and `addressed` rewrites the bot's replies in one place, after every
decision: the second-person "bạn" becomes the word, "Bạn" at the start of a sentence its capitalised form.
"bạn" in a compound that means a friend ("bạn bè", "bạn đời", "người bạn", …) is left as it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from bot.core.knowledge import SelfAddress
from bot.core.text import fold, tokens
from bot.core.types import Outcome

DEFAULT = "bạn"
# "bạn" as "you": a whole word, not the friend of a compound ("bạn bè", "bạn đời", "người bạn", "kết bạn").
_YOU = re.compile(
    r"(?<!\w)(?<!người )(?<!Người )(?<!kết )(?<!Kết )(bạn|Bạn)(?!\w)(?! (?:bè|đời|học|trai|gái|thân|cũ)(?!\w))"
)
_WORD = re.compile(r"\w+")


def self_address(text: str, data: SelfAddress) -> str:
    """The word the citizen calls themself in `text` ("bác"), or "" when the message does not say."""
    words = tokens(text)
    typed = set(_WORD.findall(unicodedata.normalize("NFC", text).lower()))
    for phrase, word in data.phrases:
        if word not in typed and not (word in data.unaccented and fold(word) in typed):
            continue
        if any(tuple(words[i : i + len(phrase)]) == phrase for i in range(len(words) - len(phrase) + 1)):
            return word
    return ""


def address(text: str, word: str) -> str:
    """`text` speaking to the citizen as `word` instead of "bạn"."""
    if not word or word == DEFAULT:
        return text
    return _YOU.sub(lambda match: word.capitalize() if match.group(1) == "Bạn" else word, text)


def addressed(outcome: Outcome) -> Outcome:
    """The outcome with its replies' texts speaking to the citizen as their session says."""
    word = outcome.session.address if outcome.session is not None else ""
    if not word:
        return outcome
    replies = tuple(replace(reply, text=address(reply.text, word)) for reply in outcome.replies)
    return replace(outcome, replies=replies)
