"""Find the knowledge-base entry a citizen's question is about.

1. Normalise the question (bot.core.text) and correct unknown words to the nearest indexed word.
2. Candidates: TF-IDF over syllable unigrams and bigrams, accumulated through postings on
   entry-level documents, so the cost grows with the postings touched, not the number of entries.
3. Score the best candidates against every phrasing: cosine to the best phrasing, cosine to the
   entry document, and rapidfuzz similarity to the best phrasing, blended into 0..1.
4. Decide with calibrated thresholds and a margin over the second-best entry:
   answer, suggest (up to three choices) or fallback. Out-of-scope phrases and "none" entries
   (commercial insurance, loans, weather, …) force a fallback.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.core.knowledge import Entry, KnowledgeBase, LexiconData
from bot.core.text import is_syllable, normalise

NUMBER = "#"
Vector = dict[str, float]


@dataclass(frozen=True)
class MatcherConfig:
    answer_threshold: float = 0.30
    answer_margin: float = 0.02
    suggest_threshold: float = 0.22
    max_suggestions: int = 3
    candidates: int = 8
    weight_phrasing: float = 0.2
    weight_entry: float = 0.6
    weight_fuzzy: float = 0.2
    max_query_tokens: int = 120


@dataclass(frozen=True)
class Scored:
    id: str
    score: float


@dataclass(frozen=True)
class Decision:
    kind: str  # "answer" | "suggest" | "fallback"
    entry_id: str | None
    score: float
    ranked: tuple[Scored, ...]  # best first, answerable entries only
    normalised: str
    reason: str = ""


@dataclass
class _Phrasings:
    """One entry's phrasings: their words sorted (for rapidfuzz), and feature -> [(number, weight)]."""

    sorted_texts: list[str] = field(default_factory=list)
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


@dataclass
class _Index:
    entries: list[Entry] = field(default_factory=list)
    entry_vectors: list[Vector] = field(default_factory=list)
    phrasings_of: list[_Phrasings] = field(default_factory=list)
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # entry-level
    idf: dict[str, float] = field(default_factory=dict)
    document_frequency: dict[str, int] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)


def features(words: Sequence[str]) -> list[str]:
    """Unigrams and adjacent bigrams of content words."""
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {k: w / norm for k, w in vector.items()} if norm else {}


class Matcher:
    """Built once from a knowledge base; `match` is pure and safe to call from any thread."""

    def __init__(self, kb: KnowledgeBase, config: MatcherConfig | None = None) -> None:
        self.config = config or MatcherConfig()
        self.lexicon: LexiconData = kb.lexicon
        self._index = self._build(kb.entries.values())
        self._vocabulary = set(self._index.vocabulary)
        self._correct = lru_cache(maxsize=50_000)(self._nearest_word)
        self._kinds = {e.id: e.kind for e in self._index.entries}
        # A word is "selective" for the candidate stage when it occurs in at most this many entries.
        self._selective_limit = max(64, len(self._index.entries) // 10)
        self._out_of_scope_by_first_word: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.lexicon.out_of_scope:
            self._out_of_scope_by_first_word.setdefault(phrase[0], []).append(phrase)

    # -- text ---------------------------------------------------------------------------------

    def content_words(self, words: list[str]) -> list[str]:
        return [NUMBER if w.isdigit() else w for w in words if w not in self.lexicon.stopwords]

    def _words(self, text: str) -> list[str]:
        return self.content_words(normalise(text, self.lexicon.lexicon))

    def _nearest_word(self, word: str) -> str:
        """A typo is corrected to the nearest indexed word; a real syllable the index does not know
        ("vàng", "tốt") is left alone, so off-topic words do not turn into on-topic ones."""
        if word in self._vocabulary or len(word) < 3 or word == NUMBER or is_syllable(word):
            return word
        limit = 1 if len(word) < 6 else 2
        found = process.extract(word, self._index.vocabulary, scorer=Levenshtein.distance, score_cutoff=limit, limit=20)
        if not found:
            return word

        def preference(candidate: tuple[str, float, int]) -> tuple[float, bool, int, int]:
            # fewest edits; then a dropped letter, the commonest phone typo ("thág" -> "tháng");
            # then the longest shared beginning ("ding" -> "dinh", not "dang"); then the commoner word
            text, distance, _ = candidate
            letters = iter(text)
            dropped = len(text) == len(word) + distance and all(ch in letters for ch in word)
            shared = next((n for n, (a, b) in enumerate(zip(word, text, strict=False)) if a != b), len(text))
            return (distance, not dropped, -shared, -self._index.document_frequency.get(text, 0))

        return min(found, key=preference)[0]

    def query_words(self, words: list[str]) -> list[str]:
        return [self._correct(w) for w in self.content_words(words)]

    # -- index --------------------------------------------------------------------------------

    def _build(self, entries: Iterable[Entry]) -> _Index:
        index = _Index()
        texts_per_entry: list[list[list[str]]] = []
        document_frequency: Counter[str] = Counter()
        for entry in entries:
            phrasings = [self._words(t) for t in (entry.title, *entry.questions)]
            keywords = [self._words(k) for k in entry.keywords]
            index.entries.append(entry)
            texts_per_entry.append(phrasings + keywords)
            document_frequency.update({f for words in phrasings + keywords for f in features(words)})
        n = len(index.entries)
        index.idf = {f: math.log(1 + n / df) for f, df in document_frequency.items()}
        index.document_frequency = dict(document_frequency)
        for i, texts in enumerate(texts_per_entry):
            counts = Counter(f for words in texts for f in features(words))
            vector = _unit({f: (1 + math.log(c)) * index.idf[f] for f, c in counts.items()})
            index.entry_vectors.append(vector)
            for f, w in vector.items():
                index.postings.setdefault(f, []).append((i, w))
            question_count = 1 + len(index.entries[i].questions)
            phrasings = _Phrasings()
            for words in texts[:question_count]:
                if not words:
                    continue
                number = len(phrasings.sorted_texts)
                phrasings.sorted_texts.append(" ".join(sorted(words)))
                for f, w in _unit({f: index.idf[f] for f in set(features(words))}).items():
                    phrasings.postings.setdefault(f, []).append((number, w))
            index.phrasings_of.append(phrasings)
        index.vocabulary = sorted({f for f in document_frequency if " " not in f})
        return index

    # -- scoring ------------------------------------------------------------------------------

    def _query_vector(self, words: list[str]) -> Vector:
        idf = self._index.idf
        counts = Counter(f for f in features(words) if f in idf)
        return _unit({f: (1 + math.log(c)) * idf[f] for f, c in counts.items()})

    def _candidates(self, query: Vector) -> list[tuple[int, float]]:
        """The entries most similar to the query, with their exact entry-level cosine.

        Cheap stage: accumulate the query's selective words (those in few entries) through the
        postings and keep a shortlist; words such as "đóng" or "bhxh", present in nearly every entry,
        would make each question walk the whole index. Then the exact cosine on the shortlist.
        """
        postings = self._index.postings
        common = [f for f in query if len(postings.get(f, ())) > self._selective_limit]
        selective = [f for f in query if f not in common] or common
        accumulated: dict[int, float] = defaultdict(float)
        for f in selective:
            wq = query[f]
            for i, wd in postings.get(f, ()):
                accumulated[i] += wq * wd
        if selective is common or not common:  # every word was accumulated: the cosines are exact
            return heapq.nlargest(self.config.candidates, accumulated.items(), key=lambda item: item[1])
        shortlist = heapq.nlargest(2 * self.config.candidates, accumulated, key=accumulated.__getitem__)
        vectors = self._index.entry_vectors
        exact = [(i, accumulated[i] + sum(query[f] * vectors[i].get(f, 0.0) for f in common)) for i in shortlist]
        return heapq.nlargest(self.config.candidates, exact, key=lambda item: item[1])

    def rank(self, normalised: list[str]) -> tuple[list[Scored], list[str]]:
        """Candidate entries with their blended score, best first, and the query's content words."""
        words = self.query_words(normalised)
        query = self._query_vector(words)
        if not query:
            return [], words
        top = self._candidates(query)
        cfg = self.config
        query_text = " ".join(sorted(words))
        scored = []
        for i, entry_cosine in top:
            phrasings = self._index.phrasings_of[i]
            dots = [0.0] * len(phrasings.sorted_texts)
            for f, wq in query.items():
                for number, wp in phrasings.postings.get(f, ()):
                    dots[number] += wq * wp
            best_phrasing = max(dots, default=0.0)
            # fuzz.ratio on pre-sorted words is rapidfuzz's token_sort_ratio without re-sorting each call
            best = process.extractOne(query_text, phrasings.sorted_texts, scorer=fuzz.ratio, processor=None)
            best_fuzzy = best[1] / 100 if best else 0.0
            score = (
                cfg.weight_phrasing * best_phrasing + cfg.weight_entry * entry_cosine + cfg.weight_fuzzy * best_fuzzy
            )
            scored.append(Scored(self._index.entries[i].id, round(min(score, 1.0), 4)))
        scored.sort(key=lambda s: -s.score)
        return scored, words

    def _out_of_scope_phrase(self, words: list[str]) -> tuple[str, ...] | None:
        for i, word in enumerate(words):
            for phrase in self._out_of_scope_by_first_word.get(word, ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    return phrase
        return None

    def match(self, text: str) -> Decision:
        all_words = normalise(text, self.lexicon.lexicon)[: self.config.max_query_tokens]
        ranked, words = self.rank(all_words)
        veto = self._out_of_scope_phrase(all_words)
        return apply_rule(ranked, self._kinds, self.config, " ".join(words), veto and " ".join(veto))


def apply_rule(
    ranked: list[Scored],
    kinds: dict[str, str],
    cfg: MatcherConfig,
    normalised: str = "",
    out_of_scope_phrase: str | None = None,
) -> Decision:
    """The decision rule shared by the matcher and the benchmark's baselines.

    Answer when the best answerable entry reaches the answer threshold with a margin over the
    second; suggest up to three choices above the suggest threshold; otherwise fall back. A matched
    out-of-scope phrase, or an out-of-scope ("none") entry ranked first, falls back.
    """
    answerable = [s for s in ranked if kinds.get(s.id) != "none"]
    if not ranked:
        return Decision("fallback", None, 0.0, (), normalised, "no known words")
    best = ranked[0]
    if out_of_scope_phrase:
        return Decision(
            "fallback", None, best.score, tuple(answerable[:3]), normalised, "out of scope: " + out_of_scope_phrase
        )
    if kinds.get(best.id) == "none" and best.score >= cfg.suggest_threshold:
        return Decision("fallback", None, best.score, tuple(answerable[:3]), normalised, f"out of scope: {best.id}")
    if not answerable:
        return Decision("fallback", None, best.score, (), normalised, "nothing answerable")
    first = answerable[0]
    second = answerable[1].score if len(answerable) > 1 else 0.0
    if first.score >= cfg.answer_threshold and first.score - second >= cfg.answer_margin:
        return Decision("answer", first.id, first.score, tuple(answerable[:3]), normalised)
    if first.score >= cfg.suggest_threshold:
        choices = tuple(s for s in answerable[: cfg.max_suggestions] if s.score >= cfg.suggest_threshold)
        return Decision("suggest", None, first.score, choices, normalised)
    return Decision("fallback", None, first.score, tuple(answerable[:3]), normalised, "low score")
