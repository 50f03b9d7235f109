"""Find the knowledge-base entry a citizen's question is about.

1. Normalise the question (bot.core.text) and correct unknown words to the nearest indexed word.
2. Candidates: TF-IDF over syllable unigrams and bigrams, accumulated through postings on
   entry-level documents, so the cost grows with the postings touched, not the number of entries.
3. Score the best candidates against every phrasing: cosine to the best phrasing, cosine to the
   entry document, and rapidfuzz similarity to the best phrasing, blended into 0..1.
4. Decide with calibrated thresholds and a margin over the second-best entry: answer, suggest (up to
   three choices), "uncovered" (in the field, but no entry answers it) or fallback (outside the field).
   Out-of-scope phrases and "none" entries (commercial insurance, loans, weather, …) force a fallback.
   The question's cues (bot.core.cues) rule entries out whatever their score: an entry about the
   voluntary scheme never answers a question about work at a company, and a subject the knowledge base
   lists as not covered is said to be so.
5. A message with several questions (split at "?" and line breaks) has its first answered question
   answered and the next one offered as a button; greetings and thanks around a question are dropped.
"""

from __future__ import annotations

import heapq
import itertools
import math
import operator
import re
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.core.cues import contradicted, covers
from bot.core.knowledge import Entry, KnowledgeBase, LexiconData
from bot.core.text import Lexicon, is_syllable, normalise, normalise_phrasing

NUMBER = "#"
QUESTION_BREAK = re.compile(r"[?？\n]+")
MIN_PART_WORDS = 3  # a part of a message with fewer content words is not a question of its own
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
    # Two close entries: the better one is answered (the other offered as a button) when it scores this much.
    tie_answer_threshold: float = 0.33
    # Below the answer threshold, one entry that clearly fits (a long story dilutes every score) is answered
    # when it scores this much and leads the second by the wider margin.
    clear_threshold: float = 0.25
    clear_margin: float = 0.05
    clear_min_words: int = 8  # only a long message: a few stray words ("nguyễn thị lan") never clearly fit


@dataclass(frozen=True)
class Scored:
    id: str
    score: float


DECISIONS_CACHED = 4096  # messages whose decision is kept (the matcher is pure: the same text, the same one)


@dataclass(frozen=True)
class Decision:
    kind: str  # "answer" | "suggest" | "uncovered" | "fallback"
    entry_id: str | None
    score: float
    ranked: tuple[Scored, ...]  # best first, answerable entries only
    normalised: str
    reason: str = ""
    also: tuple[str, ...] = ()  # with an answer: entries to offer first as buttons (a tie, a second question)
    topic: str = ""  # with "uncovered": what the question is about, in the citizen's words, when known


@dataclass(frozen=True)
class Signals:
    """What the question's words say besides the ranking (see bot.core.cues)."""

    out_of_scope: str | None = None  # the out-of-scope phrase found
    not_covered: str | None = None  # the label of a subject in the field that no entry answers
    ruled_out: Mapping[str, str] = field(default_factory=dict)  # entry id -> the question's situation label
    in_field: bool = False
    words: int = 0  # content words in the question


@dataclass(frozen=True)
class _Entry:
    """What an entry brings to the index whatever the other entries are (all but the idf weights): made once
    for its texts, lexicon and stopwords, and reused by the index of the next knowledge revision (_latest_entries)."""

    words: list[tuple[str, ...]]  # its title, questions and keywords normalised, for the cues (cues.covers)
    term_weights: dict[str, float]  # feature -> 1 + log(how often it occurs in the title, questions and keywords)
    # Its "phrasings", the title and the questions that have content words, numbered in that order: their words
    # sorted (for rapidfuzz), their distinct features, and feature -> the numbers of the phrasings that have it.
    # A phrasing's vector weighs a feature idf / norm, the norm of its features' idf (_Index.phrasing_norms).
    sorted_texts: list[str]
    phrasing_features: list[tuple[str, ...]]
    phrasings_with: dict[str, tuple[int, ...]]


@dataclass
class _Index:
    entries: list[Entry] = field(default_factory=list)
    prepared: list[_Entry] = field(default_factory=list)
    entry_vectors: list[Vector] = field(default_factory=list)
    phrasing_norms: list[list[float]] = field(default_factory=list)  # entry -> the norm of each phrasing's vector
    # entry-level: feature -> the entries that have it, in order, and its weight in each
    postings: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    document_frequency: dict[str, int] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)
    words_of: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # entry id -> its phrasings' words


def features(words: Sequence[str]) -> list[str]:
    """Unigrams and adjacent bigrams of content words."""
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


def _norm(weights: list[float]) -> float:
    return math.sqrt(sum(map(operator.mul, weights, weights)))


def _unit(vector: Vector) -> Vector:
    norm = _norm(list(vector.values()))
    return {k: w / norm for k, w in vector.items()} if norm else {}


def _content_words(words: Sequence[str], stopwords: frozenset[str]) -> list[str]:
    return [NUMBER if w.isdigit() else w for w in words if w not in stopwords]


# What an entry was prepared from: its title, questions and keywords, the lexicon and the stopwords.
_EntryKey = tuple[str, tuple[str, ...], tuple[str, ...], Lexicon, frozenset[str]]

# The entries of the index built last, by what they were prepared from. A new knowledge revision usually changes
# a few entries: its index reuses the others (and a changed lexicon or stopword list reuses none). Replaced
# whole by each build, never changed, so it holds one knowledge base's entries, those the matcher built last
# shares, and a build in one thread may read it while a matcher is built or matches in another.
_latest_entries: dict[_EntryKey, _Entry] = {}


def _prepare(key: _EntryKey, normalised: dict[str, tuple[str, ...]]) -> _Entry:
    """An entry's part of the index; `normalised`: the phrasings normalised so far in this build, by text."""
    title, questions, keywords, lexicon, stopwords = key
    words = []
    for phrasing in (title, *questions, *keywords):
        if phrasing not in normalised:
            normalised[phrasing] = normalise_phrasing(phrasing, lexicon)
        words.append(normalised[phrasing])
    texts = [_content_words(w, stopwords) for w in words]
    features_of = [features(text) for text in texts]
    counts = Counter(itertools.chain.from_iterable(features_of))
    weight_of = {c: 1 + math.log(c) for c in set(counts.values())}  # a few counts, each often
    sorted_texts: list[str] = []
    phrasing_features: list[tuple[str, ...]] = []
    phrasings_with: dict[str, tuple[int, ...]] = {}
    for text, text_features in zip(texts[: 1 + len(questions)], features_of, strict=False):
        if text:
            distinct = tuple(set(text_features))
            alone = (len(sorted_texts),)  # most features are in one phrasing: they share this tuple
            for f in distinct:
                known = phrasings_with.get(f)
                phrasings_with[f] = alone if known is None else known + alone
            sorted_texts.append(" ".join(sorted(text)))
            phrasing_features.append(distinct)
    return _Entry(words, {f: weight_of[c] for f, c in counts.items()}, sorted_texts, phrasing_features, phrasings_with)


Result = TypeVar("Result")


def _weakly(method: Callable[[str], Result]) -> Callable[[str], Result]:
    """`method`, holding its object weakly: a cache of it kept on the object then makes no reference cycle, and
    a matcher that is replaced is freed at once by reference counting. The cyclic collector would not free it:
    the live index is swapped with the collector's objects frozen (bot.shell.live_knowledge)."""
    bound = weakref.WeakMethod(method)

    def call(argument: str) -> Result:
        alive = bound()
        assert alive is not None  # its object is the caller
        return alive(argument)

    return call


class Matcher:
    """Built once from a knowledge base; `match` is pure and safe to call from any thread."""

    def __init__(self, kb: KnowledgeBase, config: MatcherConfig | None = None) -> None:
        self.config = config or MatcherConfig()
        self.lexicon: LexiconData = kb.lexicon
        self._index = self._build(kb.entries.values())
        self._vocabulary = set(self._index.vocabulary)
        self._correct = lru_cache(maxsize=50_000)(_weakly(self._nearest_word))
        # A message is matched where it is read (a flow's input, a follow-up, a new question): once.
        self._decisions = lru_cache(maxsize=DECISIONS_CACHED)(_weakly(self._match))
        self._kinds = {e.id: e.kind for e in self._index.entries}
        self._situations = {e.id: e.situation for e in self._index.entries if e.situation}
        self._explicit = self.lexicon.cues.explicit
        # A word is "selective" for the candidate stage when it occurs in at most this many entries.
        self._selective_limit = max(64, len(self._index.entries) // 10)
        self._common = {f for f, df in self._index.document_frequency.items() if df > self._selective_limit}
        self._out_of_scope_by_first_word: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.lexicon.out_of_scope:
            self._out_of_scope_by_first_word.setdefault(phrase[0], []).append(phrase)

    # -- text ---------------------------------------------------------------------------------

    def content_words(self, words: Sequence[str]) -> list[str]:
        return _content_words(words, self.lexicon.stopwords)

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
        global _latest_entries
        index = _Index()
        document_frequency: Counter[str] = Counter()
        latest = _latest_entries  # this build's entries replace them at the end
        prepared_now: dict[_EntryKey, _Entry] = {}
        normalised: dict[str, tuple[str, ...]] = {}  # the phrasings several entries share are normalised once
        for entry in entries:
            key = (entry.title, entry.questions, entry.keywords, self.lexicon.lexicon, self.lexicon.stopwords)
            prepared = latest.get(key) or prepared_now.get(key) or _prepare(key, normalised)
            prepared_now[key] = prepared
            index.entries.append(entry)
            index.prepared.append(prepared)
            index.words_of[entry.id] = prepared.words
            document_frequency.update(prepared.term_weights.keys())
        n = len(index.entries)
        index.idf = idf = {f: math.log(1 + n / df) for f, df in document_frequency.items()}
        index.document_frequency = dict(document_frequency)
        idf_of = idf.__getitem__
        entries_with: defaultdict[str, list[int]] = defaultdict(list)
        weights_in: defaultdict[str, list[float]] = defaultdict(list)
        for i, prepared in enumerate(index.prepared):
            tf = prepared.term_weights
            vector = _unit(dict(zip(tf, map(operator.mul, tf.values(), map(idf_of, tf)), strict=True)))  # tf × idf
            index.entry_vectors.append(vector)
            for f, w in vector.items():
                entries_with[f].append(i)
                weights_in[f].append(w)
            index.phrasing_norms.append([_norm(list(map(idf_of, fs))) for fs in prepared.phrasing_features])
        index.postings = {f: (ids, weights_in[f]) for f, ids in entries_with.items()}
        index.vocabulary = sorted({f for f in document_frequency if " " not in f})
        _latest_entries = prepared_now
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
        common = [f for f in query if f in self._common]
        selective = [f for f in query if f not in self._common] or common
        accumulated: dict[int, float] = {}
        so_far, zeros = accumulated.get, itertools.repeat(0.0)
        for f in selective:
            ids, weights = postings[f]
            # accumulated[i] += query[f] * weight for each entry i with f (once in its postings), at C speed
            products = map(operator.mul, itertools.repeat(query[f]), weights)
            accumulated.update(zip(ids, map(operator.add, map(so_far, ids, zeros), products), strict=True))
        if selective is common or not common:  # every word was accumulated: the cosines are exact
            return heapq.nlargest(self.config.candidates, accumulated.items(), key=lambda item: item[1])
        shortlist = heapq.nlargest(2 * self.config.candidates, accumulated, key=accumulated.__getitem__)
        vectors = self._index.entry_vectors
        weights = [query[f] for f in common]
        # the common words' part of each cosine: sum(query[f] * vector.get(f, 0.0) for f in common)
        exact = [
            (i, accumulated[i] + sum(map(operator.mul, weights, map(vectors[i].get, common, zeros)))) for i in shortlist
        ]
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
        idf = self._index.idf
        for i, entry_cosine in top:
            prepared, norms = self._index.prepared[i], self._index.phrasing_norms[i]
            dots = [0.0] * len(norms)  # the cosine to each phrasing
            for f, wq in query.items():
                numbers = prepared.phrasings_with.get(f)
                if numbers:
                    weight = idf[f]
                    for number in numbers:
                        dots[number] += wq * (weight / norms[number])  # the phrasing weighs f idf / its norm
            best_phrasing = max(dots, default=0.0)
            # fuzz.ratio on pre-sorted words is rapidfuzz's token_sort_ratio without re-sorting each call
            best = process.extractOne(query_text, prepared.sorted_texts, scorer=fuzz.ratio, processor=None)
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

    def without_courtesy(self, words: list[str]) -> list[str]:
        """The question without the greetings and thanks around it, when a question of its own remains."""
        question = self.lexicon.cues.without_courtesy(words)
        return question if len(self.content_words(question)) >= MIN_PART_WORDS else words

    def signals(self, words: list[str], ranked: Sequence[Scored]) -> Signals:
        """The question's cues: an out-of-scope phrase, a subject not covered, the ranked entries its
        situation rules out, and whether it is in the field at all."""
        cues = self.lexicon.cues
        veto = self._out_of_scope_phrase(words)
        signalled = cues.signalled(words)
        ruled_out = {}
        for scored in ranked:
            clash = contradicted(self._situations.get(scored.id, {}), signalled, self._explicit)
            if clash:
                ruled_out[scored.id] = cues.label(*clash)
        not_covered = None
        found = cues.not_covered_in(words)
        if found is not None:
            subject, phrase = found
            best = next((s.id for s in ranked if s.id not in ruled_out and self._kinds.get(s.id) != "none"), None)
            if best is None or not covers(self._index.words_of[best], phrase):
                not_covered = subject.label
        # a question of a word or two ("bảo hiểm") is too vague to be called "not covered": it falls back
        content = len(self.content_words(words))
        in_field = cues.in_field(words) and content >= MIN_PART_WORDS
        return Signals(" ".join(veto) if veto else None, not_covered, ruled_out, in_field, content)

    def _decide(self, all_words: list[str]) -> Decision:
        words = all_words[: self.config.max_query_tokens]
        question = self.without_courtesy(words)
        decision = self._decide_words(question)
        if question != words and decision.kind != "answer":  # "cảm ơn nghen, hiểu rồi": the courtesy was the message
            whole = self._decide_words(words)
            return whole if whole.kind == "answer" else decision
        return decision

    def _decide_words(self, words: list[str]) -> Decision:
        ranked, content = self.rank(words)
        return apply_rule(ranked, self._kinds, self.config, " ".join(content), self.signals(words, ranked))

    def match(self, text: str) -> Decision:
        return self._decisions(text)

    def _match(self, text: str) -> Decision:
        decision = self._decide(normalise(text, self.lexicon.lexicon))
        if decision.kind == "fallback" and decision.reason.startswith("out of scope"):
            return decision
        pieces = QUESTION_BREAK.split(text.strip().rstrip("?？"))
        if len(pieces) < 2:  # one question (its "?" at the end): nothing to split
            return decision
        parts = [
            words
            for words in (normalise(p, self.lexicon.lexicon) for p in pieces)
            if len(self.content_words(words)) >= MIN_PART_WORDS
        ]
        if len(parts) < 2:
            return decision
        answered = [d for d in map(self._decide, parts) if d.kind == "answer"]
        asked = list(dict.fromkeys(d.entry_id for d in answered if d.entry_id is not None))
        if len(asked) >= 2 or (asked and (decision.kind in ("suggest", "fallback") or decision.reason == "low score")):
            # the first question the message asks clearly is answered, the next one offered as a button
            first = answered[0]
            return replace(first, also=tuple(asked[1:2]), normalised=decision.normalised, reason="first question")
        others = [i for i in asked if decision.kind == "answer" and i not in (decision.entry_id, *decision.also)]
        return replace(decision, also=(*decision.also, *others[:1])) if others else decision


def _uncovered(
    best: Scored | None, ranked: tuple[Scored, ...], normalised: str, reason: str, topic: str = ""
) -> Decision:
    return Decision("uncovered", None, best.score if best else 0.0, ranked, normalised, reason, topic=topic)


def apply_rule(
    ranked: list[Scored],
    kinds: dict[str, str],
    cfg: MatcherConfig,
    normalised: str = "",
    signals: Signals | None = None,
) -> Decision:
    """The decision rule shared by the matcher and the benchmark's baselines.

    Answer when the best answerable entry reaches the answer threshold with a margin over the second; in
    a long message, also when it leads the second clearly from a lower score; close to the second, when it
    reaches the tie threshold (the second is then offered beside it); suggest
    up to three choices above the suggest threshold; otherwise fall back, or say "not covered yet" when
    the question is in the field. A matched out-of-scope phrase, or an out-of-scope ("none") entry ranked
    first, falls back. A subject listed as not covered is said to be so. Entries the question's situation
    rules out are never answered: when that leaves nothing good enough, the question is "uncovered".
    """
    signals = signals or Signals()
    ruled_out = signals.ruled_out
    answerable = [s for s in ranked if kinds.get(s.id) != "none" and s.id not in ruled_out]
    shown = tuple(answerable[:3])
    if not ranked:
        if signals.in_field:
            return _uncovered(None, (), normalised, "no known words")
        return Decision("fallback", None, 0.0, (), normalised, "no known words")
    best = ranked[0]
    if signals.out_of_scope:
        return Decision("fallback", None, best.score, shown, normalised, "out of scope: " + signals.out_of_scope)
    if kinds.get(best.id) == "none" and best.score >= cfg.suggest_threshold:
        return Decision("fallback", None, best.score, shown, normalised, f"out of scope: {best.id}")
    if signals.not_covered:
        return _uncovered(best, shown, normalised, "not covered: " + signals.not_covered, signals.not_covered)
    first = answerable[0] if answerable else None
    second = answerable[1].score if len(answerable) > 1 else 0.0
    confident = first is not None and first.score >= cfg.answer_threshold and first.score - second >= cfg.answer_margin
    excluded = next((s for s in ranked if s.id in ruled_out), None)
    weak = first is None or first.score < cfg.suggest_threshold
    if excluded and excluded.score >= cfg.suggest_threshold and weak:
        topic = ruled_out[excluded.id]  # the entry that would have answered speaks of another situation
        return _uncovered(best, shown, normalised, f"ruled out {excluded.id}: {topic}", topic)
    if first is None:
        return Decision("fallback", None, best.score, (), normalised, "nothing answerable")
    if confident:
        return Decision("answer", first.id, first.score, shown, normalised)
    long_enough = signals.words >= cfg.clear_min_words
    if long_enough and first.score >= cfg.clear_threshold and first.score - second >= cfg.clear_margin:
        return Decision("answer", first.id, first.score, shown, normalised, "clear lead")
    if first.score >= max(cfg.answer_threshold, cfg.tie_answer_threshold) and len(answerable) > 1:
        return Decision("answer", first.id, first.score, shown, normalised, "tie", also=(answerable[1].id,))
    if first.score >= cfg.suggest_threshold:
        choices = tuple(s for s in answerable[: cfg.max_suggestions] if s.score >= cfg.suggest_threshold)
        return Decision("suggest", None, first.score, choices, normalised)
    if signals.in_field:
        return _uncovered(first, shown, normalised, "low score")
    return Decision("fallback", None, first.score, shown, normalised, "low score")
