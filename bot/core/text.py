"""Vietnamese text normalisation for matching.

The pipeline, in order:
1. NFKC (full-width letters become plain), lower case, drop anything that is not a letter or a digit.
2. Split digits from letters ("3tr" -> "3 tr", "1thang" -> "1 thang").
3. Fold diacritics (and đ/ð) to plain ASCII letters.
4. Collapse runs of three or more identical letters ("khongggg" -> "khong").
5. Repair telex leftovers in tokens that are not Vietnamese syllables ("baor hieemr" -> "bao hiem",
   "fai" -> "phai").
6. Expand abbreviations, teencode and synonyms from the lexicon (longest phrase first).

The lexicon is data (knowledge/lexicon.yaml); this module only applies it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_RUN = re.compile(r"([a-z])\1{2,}")
_THOUSANDS = re.compile(r"(?<=\d) ?k\b")  # "500k" -> "500 nghin"
_DIGIT = re.compile(r"\d")

# A folded Vietnamese syllable: optional onset, one to three vowels, optional final consonant.
_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ch|ng|nh|[cmnpt])?$")
# Telex: a doubled vowel or "dd" marks a hat/bar, "w" a horn/breve, a trailing s/f/r/x/j a tone.
_TELEX_DOUBLE = re.compile(r"(aa|ee|oo|dd)")
_TELEX_HORN = re.compile(r"(?<=[aou])w")
_TELEX_TONE = re.compile(r"(?<=[a-z])[sfrxj]$")


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics: "Đóng BHXH" -> "dong bhxh"."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.replace("đ", "d").replace("ð", "d")


def is_syllable(token: str) -> bool:
    """True when a folded token has the shape of a Vietnamese syllable.

    Folded syllables never double "a" or "e", double "o" only before "ng"/"c" ("xoong", "boong"), and
    never end in a bare "ing".
    """
    if "aa" in token or "ee" in token or ("oo" in token and not re.search(r"oo(ng|c)$", token)):
        return False
    if re.search(r"(?<![aeiouy])ing$", token):  # "-inh" is Vietnamese, "-ing" is a typo ("đìng")
        return False
    return bool(_SYLLABLE.match(token))


def repair_telex(token: str) -> str:
    """Undo telex keystrokes (and teencode "f" for "ph") left in a folded token, if that yields a syllable.

    "hieemr" -> "hiem", "baor" -> "bao", "dduowcj" -> "duoc", "fai" -> "phai". Tokens that already
    are syllables, or that do not become one, are returned unchanged.
    """
    if len(token) < 2 or is_syllable(token) or not token.isalpha():
        return token
    if token[0] == "f" and is_syllable("ph" + token[1:]):  # teencode "f" for "ph": "fai" -> "phai"
        return "ph" + token[1:]
    if len(token) < 3:
        return token
    repaired = _TELEX_TONE.sub("", token)
    repaired = _TELEX_DOUBLE.sub(lambda m: m.group(1)[0], repaired)
    repaired = _TELEX_HORN.sub("", repaired)
    return repaired if is_syllable(repaired) else token


TOKENS_CACHED = 4096  # messages whose tokens are kept (a few hundred kB)
WORDS_CACHED = 16_384  # words whose folded and repaired forms are kept: ~2 MB for real words (~100 B each)


def tokens(text: str) -> list[str]:
    """Steps 1-5: folded, cleaned tokens, before lexicon expansion."""
    return list(_tokens(text))


def _split_words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    digits = _DIGIT.search(text) is not None  # most texts have none: then steps 2 and "500k" have nothing to do
    if digits:
        text = _DIGIT_LETTER.sub(" ", text)
    # folding and collapsing runs act within a word, and a text repeats a few thousand words: one each
    text = " ".join(map(_folded_word, text.split(" ")))
    if digits:
        text = _THOUSANDS.sub(" nghin", text)
    return tuple(map(_repaired_word, text.split()))


# One message is read by several parts of the engine (the matcher, typed commands, the self-address and data
# requests, follow-ups): each gets the same tokens, computed once.
_tokens = lru_cache(maxsize=TOKENS_CACHED)(_split_words)


@lru_cache(maxsize=WORDS_CACHED)
def _folded_word(word: str) -> str:
    return _RUN.sub(r"\1", fold(word))


_repaired_word = lru_cache(maxsize=WORDS_CACHED)(repair_telex)


MAX_PASSES = 3


@dataclass(frozen=True)
class Lexicon:
    """Phrase replacements over folded tokens: ("ko",) -> ("khong",), ("bh", "xh") -> (...)."""

    replacements: Mapping[tuple[str, ...], tuple[str, ...]]
    longest_from: Mapping[str, int]  # first word -> the longest phrase starting with it
    # text -> its normalised words: a message is normalised by several parts of the engine; bounded
    _normalised: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    _hash: int = field(init=False, compare=False, repr=False)
    # first word -> the lengths of the phrases starting with it, longest first: only those are looked up
    _sizes_from: Mapping[str, tuple[int, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(frozenset(self.replacements.items())))
        sizes: dict[str, set[int]] = {}
        for phrase in self.replacements:
            if phrase and len(phrase) <= self.longest_from.get(phrase[0], 0):
                sizes.setdefault(phrase[0], set()).add(len(phrase))
        object.__setattr__(self, "_sizes_from", {w: tuple(sorted(s, reverse=True)) for w, s in sizes.items()})

    def __hash__(self) -> int:
        """By content, as equality is: the matcher keeps the entries it prepared by their texts and lexicon."""
        return self._hash

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Lexicon:
        """The lexicon of these (phrase, replacement) pairs. The same pairs give the same lexicon, caches and all: a
        knowledge revision that leaves lexicon.yaml alone keeps the messages normalised, and the matcher finds the
        entries it prepared for the revision before at once (they are kept by their texts and lexicon)."""
        return _lexicon_of(tuple(pairs))

    def expand(self, words: list[str]) -> list[str]:
        """Replace phrases, longest first, in up to MAX_PASSES passes so a rule can build on another
        ("bh tn" -> "bảo hiểm tự nguyện" -> "tự nguyện")."""
        for _ in range(MAX_PASSES):
            expanded = self._expand_once(words)
            if expanded == words:
                break
            words = expanded
        return words

    def _expand_once(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i, end = 0, len(words)
        # most words start no phrase: only where one may start is a phrase looked for, the rest is copied
        for start in [k for k, word in enumerate(words) if word in self._sizes_from]:
            if start < i:  # within a phrase just replaced
                continue
            out.extend(words[i:start])
            i = start
            for size in self._sizes_from[words[i]]:
                target = self.replacements.get(tuple(words[i : i + size])) if size <= end - i else None
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        out.extend(words[i:])
        return out


LEXICONS_CACHED = 4  # lexicons kept by their pairs: the one in use and the few before it


@lru_cache(maxsize=LEXICONS_CACHED)
def _lexicon_of(pairs: tuple[tuple[str, str], ...]) -> Lexicon:
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    longest_from: dict[str, int] = {}
    for source, target in pairs:
        key = tuple(tokens(source))
        if key:
            table[key] = tuple(tokens(target))
            longest_from[key[0]] = max(longest_from.get(key[0], 0), len(key))
    return Lexicon(table, longest_from)


EMPTY_LEXICON = Lexicon({}, {})


def normalise(text: str, lexicon: Lexicon = EMPTY_LEXICON) -> list[str]:
    """The whole pipeline: the folded, repaired, expanded tokens of a question."""
    known = lexicon._normalised.get(text)
    if known is None:
        if len(lexicon._normalised) >= TOKENS_CACHED:
            lexicon._normalised.clear()
        known = lexicon._normalised[text] = tuple(lexicon.expand(tokens(text)))
    return list(known)


def normalise_phrasing(text: str, lexicon: Lexicon) -> tuple[str, ...]:
    """normalise() for the knowledge base's own phrasings (titles, questions, keywords), which the matcher keeps:
    not through the caches kept for messages, which indexing thousands of phrasings would only churn."""
    return tuple(lexicon.expand(list(_split_words(text))))
