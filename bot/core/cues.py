"""Cues in a question that say whether an entry may answer it at all, whatever its score.

All of them are knowledge data (knowledge/lexicon.yaml), matched as phrases over normalised words:

- `situations`: dimensions such as the scheme (BHXH bắt buộc / tự nguyện), each value with the phrases
  that signal it. A value marked `explicit` is one an answer may assume only when the question says so: an
  entry about it does not answer a question that signals nothing in that dimension ("tiền tuất" is asked by
  a worker's family far more often than by a voluntary contributor's).
  An entry that declares `situation: {scheme: tu-nguyen}` is *contradicted* by a question
  that signals another value of that dimension ("đóng ở công ty") and not its own ("tự nguyện").
- `not_covered`: subjects in the field that no entry answers yet ("thương binh", "thuốc ngoài danh mục"),
  each with a label for the citizen. An entry whose own phrasings contain the phrase covers it.
- `field`: words that place a question in the field (BHXH, BHYT, lương hưu, …), so that a question the
  knowledge base cannot answer is told "not covered yet" rather than "outside what I do".
- `courtesy`: greetings and thanks around a question ("chào bạn, …", "… cảm ơn ạ"), dropped when a
  question remains, so they neither hide it nor turn it into small talk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Phrase = tuple[str, ...]


class PhraseSet:
    """Phrases of folded words, found anywhere in a word list by their first word."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self._by_first: dict[str, list[Phrase]] = {}
        for phrase in dict.fromkeys(p for p in phrases if p):
            self._by_first.setdefault(phrase[0], []).append(phrase)
        for candidates in self._by_first.values():
            candidates.sort(key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def find(self, words: Sequence[str]) -> Phrase | None:
        """The first phrase found in `words` (longest first at each position), or None."""
        for i, word in enumerate(words):
            for phrase in self._by_first.get(word, ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    return phrase
        return None

    def spans(self, words: Sequence[str]) -> list[tuple[int, int, Phrase]]:
        """Every occurrence of every phrase: (start, end, phrase)."""
        found = []
        for i, word in enumerate(words):
            for phrase in self._by_first.get(word, ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    found.append((i, i + len(phrase), phrase))
        return found

    def prefix(self, words: Sequence[str]) -> int:
        """How many leading words one of the phrases covers (0 if none begins `words`)."""
        for phrase in self._by_first.get(words[0], ()) if words else ():
            if tuple(words[: len(phrase)]) == phrase:
                return len(phrase)
        return 0

    def suffix(self, words: Sequence[str]) -> int:
        """How many trailing words one of the phrases covers (0 if none ends `words`)."""
        best = 0
        for start in range(max(0, len(words) - 6), len(words)):
            for phrase in self._by_first.get(words[start], ()):
                if tuple(words[start:]) == phrase:
                    best = max(best, len(phrase))
        return best


@dataclass(frozen=True)
class SituationValue:
    dimension: str
    value: str
    label: str
    cues: tuple[Phrase, ...]
    explicit: bool = False  # entries about it answer only questions that signal it


@dataclass(frozen=True)
class NotCovered:
    label: str
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True)
class Cues:
    situations: tuple[SituationValue, ...] = ()
    not_covered: tuple[NotCovered, ...] = ()
    field_words: tuple[Phrase, ...] = ()
    courtesy: tuple[Phrase, ...] = ()
    _situation_sets: dict[str, tuple[PhraseSet, dict[Phrase, str]]] = field(init=False, compare=False, repr=False)
    _not_covered_set: PhraseSet = field(init=False, compare=False, repr=False)
    _not_covered_of: dict[Phrase, NotCovered] = field(init=False, compare=False, repr=False)
    _field: PhraseSet = field(init=False, compare=False, repr=False)
    _courtesy: PhraseSet = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_dimension: dict[str, dict[Phrase, str]] = {}
        for situation in self.situations:
            for cue in situation.cues:
                by_dimension.setdefault(situation.dimension, {})[cue] = situation.value
        sets = {dimension: (PhraseSet(values), values) for dimension, values in by_dimension.items()}
        object.__setattr__(self, "_situation_sets", sets)
        subject_of = {phrase: subject for subject in reversed(self.not_covered) for phrase in subject.phrases}
        object.__setattr__(self, "_not_covered_of", subject_of)
        object.__setattr__(self, "_not_covered_set", PhraseSet(subject_of))
        object.__setattr__(self, "_field", PhraseSet(self.field_words))
        object.__setattr__(self, "_courtesy", PhraseSet(self.courtesy))

    def signalled(self, words: Sequence[str]) -> dict[str, set[str]]:
        """dimension -> the values whose cues the question contains. A cue inside a longer cue of the same
        dimension does not count: "có lương hưu" in "không có lương hưu" signals only the latter."""
        found: dict[str, set[str]] = {}
        for dimension, (cues, value_of) in self._situation_sets.items():
            spans = cues.spans(words)
            for start, end, phrase in spans:
                inside = any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
                if not inside:
                    found.setdefault(dimension, set()).add(value_of[phrase])
        return found

    def label(self, dimension: str, value: str) -> str:
        return next((s.label for s in self.situations if (s.dimension, s.value) == (dimension, value)), value)

    @property
    def explicit(self) -> frozenset[tuple[str, str]]:
        return frozenset((s.dimension, s.value) for s in self.situations if s.explicit)

    def not_covered_in(self, words: Sequence[str]) -> tuple[NotCovered, Phrase] | None:
        phrase = self._not_covered_set.find(words)
        return (self._not_covered_of[phrase], phrase) if phrase else None

    def in_field(self, words: Sequence[str]) -> bool:
        return self._field.find(words) is not None

    def without_courtesy(self, words: list[str], keep_at_least: int = 2) -> list[str]:
        """The question without greetings and thanks before and after it; the words unchanged when
        fewer than `keep_at_least` would remain (then the greeting is the message)."""
        courtesy = self._courtesy
        if not courtesy:
            return words
        start, end = 0, len(words)
        while start < end and (size := courtesy.prefix(words[start:end])):
            start += size
        while start < end and (size := courtesy.suffix(words[start:end])):
            end -= size
        return words[start:end] if end - start >= keep_at_least else words


def contradicted(
    situation: Mapping[str, str], signalled: Mapping[str, set[str]], explicit: Iterable[tuple[str, str]] = ()
) -> tuple[str, str] | None:
    """The (dimension, value) of the question that rules an entry with this situation out, or None: the
    question signals another value of a dimension the entry declares, and not the entry's own; or the
    entry's value is explicit and the question does not signal it (the value is then "")."""
    for dimension, value in situation.items():
        values = signalled.get(dimension, set())
        others = sorted(values - {value})
        if others and value not in values:
            return dimension, others[0]
        if not values and (dimension, value) in explicit:
            return dimension, ""
    return None


def covers(phrasings: Iterable[Sequence[str]], phrase: Phrase) -> bool:
    """True when one of an entry's phrasings (normalised words) contains the phrase."""
    size = len(phrase)
    return any(tuple(words[i : i + size]) == phrase for words in phrasings for i in range(len(words) - size + 1))
