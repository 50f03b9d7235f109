"""What the bot could not answer, for staff: the questions, grouped into clusters of similar ones.

The source is the interaction log (bot.storage.interactions), read as `Logged` rows. A question is unanswered
when it was "uncovered" (in the field, no entry answers it), a "fallback" (not understood), or a "suggest" (did
you mean …) none of whose choices the chat pressed ("action" with that entry) within PRESS_WINDOW and before
its next question. Out-of-scope questions (gold prices, loans) are logged as "out-of-scope" and left out.

Clustering. A question's signature is its content words (stopwords dropped), sorted and de-duplicated. Equal
signatures are one group; groups are taken most frequent first and each joins the most similar leader so
far, or leads a cluster of its own (greedy leader clustering). Similarity is the share of words two
signatures have in common, 2·|A∩B| / (|A|+|B|) in percent: rapidfuzz's `fuzz.ratio` on the signatures
written one character per word (on sorted, distinct items the longest common subsequence is the
intersection), plus SAME_NEAREST_BONUS when the matcher ranked the same entry first for both; a group joins
from SIMILAR. So "thai san nghi may thang" and "che do thai san bao lau" (two words of eleven in common,
36, both nearest to the maternity entry) are one cluster, and "luong huu toi thieu" (nothing in common)
is another.

Why words and these numbers: on the 289 labelled citizen questions of ../shared/eval/dev.jsonl (with and
without diacritics, teencode, regional words) and the knowledge base's 1,100 phrasings, character-level
scores (token_set_ratio, token_sort_ratio, WRatio) put unrelated questions together at any threshold that
groups paraphrases (about 60 % of the questions in a cluster of another subject at token_set_ratio 60):
Vietnamese syllables share letters by chance. Words alone at 50 grouped 37 % of dev.jsonl's questions with
11 % in the wrong cluster; with the nearest-entry bonus 25 and SIMILAR 60, 58 % are grouped and 7 % are in
the wrong cluster, and unrelated questions that only share a nearest entry stay apart (they need 35, that
is two words of five and six in common).

Marks. Staff mark a cluster done or ignored (bot.storage.inbox); a mark is kept per signature as its SHA-256,
never the text. A question whose signature is ignored is left out; one marked done is left out when it was
asked before the mark (asked again afterwards, it shows again: the answer did not help).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process

UNCOVERED = "uncovered"
FALLBACK = "fallback"
SUGGEST = "suggest"
PRESS = "action"  # a button press that opened an entry (bot.core.engine); matched_id is the entry
QUESTIONS = frozenset({"answer", SUGGEST, UNCOVERED, FALLBACK})  # the decisions of a typed question
LOGGED = QUESTIONS | {PRESS}  # what `unanswered` reads
PRESS_WINDOW = timedelta(minutes=30)  # a "did you mean" choice pressed later than this was not this question's
DONE = "done"
IGNORED = "ignored"
STATUSES = (DONE, IGNORED)

SIMILAR = 60.0  # percent of words in common (plus the bonus) from which a question joins a cluster
SAME_NEAREST_BONUS = 25.0
MAX_EXAMPLES = 5
KEY_CHARS = 10
MASK = "#"  # a masked number (bot.storage.interactions) or the matcher's NUMBER: not a word of the question
_BATCH = 512  # groups compared with the leaders at once
_FIRST_CODE = 0xE000  # words are written as characters from the private use area (no surrogates up to 1M words)


@dataclass(frozen=True)
class Logged:
    """A row of the interaction log, as the inbox reads it (in the order it was logged)."""

    normalised: str
    decision: str
    matched_id: str | None
    top: tuple[str, ...]  # the alternatives' entry ids, best first
    created_at: datetime
    chat_digest: str | None = None
    topic: str = ""


@dataclass(frozen=True)
class Question:
    """A question the bot could not answer."""

    normalised: str  # as logged: normalised, long numbers masked
    decision: str  # UNCOVERED | FALLBACK | SUGGEST
    asked_at: datetime
    chat_digest: str | None = None
    topic: str = ""
    nearest: str | None = None  # the entry the matcher ranked first, if any


@dataclass(frozen=True)
class Mark:
    status: str  # DONE | IGNORED
    marked_at: datetime


@dataclass(frozen=True)
class Cluster:
    """Similar unanswered questions. `key` names it while its representative stays the most asked."""

    key: str  # the first KEY_CHARS hex digits of the SHA-256 of the representative's signature
    representative: str  # the most asked wording of the most asked signature
    count: int
    chats: int  # distinct chats that asked
    first_seen: datetime
    last_seen: datetime
    examples: tuple[str, ...]  # distinct wordings, most recent first, at most MAX_EXAMPLES
    decisions: Mapping[str, int]  # UNCOVERED / FALLBACK / SUGGEST -> questions
    topic: str = ""  # the most named subject of its "uncovered" questions
    nearest: str | None = None  # the entry the matcher most often ranked first
    signatures: frozenset[str] = field(default_factory=frozenset)  # its members' signatures (to mark them)

    @property
    def digests(self) -> tuple[str, ...]:
        """What a mark keeps: the SHA-256 of each member signature, never the text."""
        return tuple(sorted(signature_digest(s) for s in self.signatures))

    def as_json(self) -> dict[str, Any]:
        """For `inbox --json` and the office console (times in ISO 8601, UTC)."""
        return {
            "key": self.key,
            "representative": self.representative,
            "count": self.count,
            "chats": self.chats,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "examples": list(self.examples),
            "decisions": dict(self.decisions),
            "topic": self.topic,
            "nearest": self.nearest,
        }


def signature(normalised: str, stopwords: Collection[str] = ()) -> str:
    """The question's content words, sorted and de-duplicated: "nghi thai san may thang" ->
    "may nghi san thai thang"."""
    return " ".join(sorted({w for w in normalised.split() if w not in stopwords and w != MASK}))


def signature_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unanswered(logged: Sequence[Logged], since: datetime, until: datetime) -> list[Question]:
    """The questions asked from `since` until before `until` that the bot could not answer. `logged` is in the
    order logged and runs PRESS_WINDOW past `until` (a choice pressed then still counts). A "did you mean"
    without its chat (logged before chats were linked) cannot be told apart from a pressed one: left out."""
    by_chat: dict[str, list[int]] = defaultdict(list)
    for number, row in enumerate(logged):
        if row.chat_digest is not None:
            by_chat[row.chat_digest].append(number)
    following: dict[int, list[int]] = {}  # row number -> the same chat's later row numbers
    for numbers in by_chat.values():
        for place, number in enumerate(numbers):
            if logged[number].decision == SUGGEST:
                following[number] = numbers[place + 1 :]
    found = []
    for number, row in enumerate(logged):
        if not since <= row.created_at < until or row.decision not in (UNCOVERED, FALLBACK, SUGGEST):
            continue
        if row.decision == SUGGEST and (number not in following or _pressed(row, logged, following[number])):
            continue
        nearest = row.top[0] if row.top else None
        found.append(Question(row.normalised, row.decision, row.created_at, row.chat_digest, row.topic, nearest))
    return found


def _pressed(suggestion: Logged, logged: Sequence[Logged], later: Iterable[int]) -> bool:
    """Whether the chat pressed one of the suggested entries within PRESS_WINDOW, before its next question."""
    for number in later:
        row = logged[number]
        if row.created_at - suggestion.created_at > PRESS_WINDOW or row.decision in QUESTIONS:
            return False
        if row.decision == PRESS and row.matched_id in suggestion.top:
            return True
    return False


def still_open(
    questions: Iterable[Question], marks: Mapping[str, Mark], stopwords: Collection[str] = ()
) -> list[Question]:
    """The questions staff have not dealt with: not ignored, and not asked before being marked done."""
    kept = []
    for question in questions:
        mark = marks.get(signature_digest(signature(question.normalised, stopwords)))
        if mark is None or (mark.status == DONE and question.asked_at > mark.marked_at):
            kept.append(question)
    return kept


@dataclass
class _Group:
    """The questions with one signature."""

    signature: str
    questions: list[Question]

    @property
    def last_seen(self) -> datetime:
        return max(q.asked_at for q in self.questions)

    @property
    def nearest(self) -> str | None:
        counted = Counter(q.nearest for q in self.questions if q.nearest)
        return counted.most_common(1)[0][0] if counted else None


def clusters(
    questions: Iterable[Question], stopwords: Collection[str] = (), marks: Mapping[str, Mark] | None = None
) -> list[Cluster]:
    """The open questions grouped into clusters, most asked first (then most recently asked). Questions without
    a content word ("?", "ok", an emoji) are left out: there is nothing to answer."""
    if marks:
        questions = still_open(questions, marks, stopwords)
    grouped: dict[str, list[Question]] = defaultdict(list)
    for question in questions:
        words = signature(question.normalised, stopwords)
        if words:
            grouped[words].append(question)
    groups = [_Group(words, asked) for words, asked in grouped.items()]
    groups.sort(key=lambda g: (-len(g.questions), -g.last_seen.timestamp(), g.signature))
    members = _leaders(groups)
    found = [_cluster([groups[i] for i in chosen]) for chosen in members]
    found.sort(key=lambda c: (-c.count, -c.last_seen.timestamp(), c.key))
    return found


def _encoded(words: str, codes: dict[str, str]) -> str:
    """The signature one character per word, in one order for all, so that fuzz.ratio counts words."""
    return "".join(sorted(codes.setdefault(w, chr(_FIRST_CODE + len(codes))) for w in words.split()))


def _leaders(groups: Sequence[_Group]) -> list[list[int]]:
    """Greedy leader clustering of `groups` (most frequent first): the group numbers of each cluster, its leader
    first. The groups are compared with the earlier leaders a batch at a time (rapidfuzz's cdist), and with the
    batch's own new leaders one by one."""
    codes: dict[str, str] = {}
    encoded = [_encoded(g.signature, codes) for g in groups]
    nearest = [g.nearest for g in groups]
    leaders: list[int] = []  # group number of each cluster's leader
    members: list[list[int]] = []
    by_nearest: dict[str, list[int]] = defaultdict(list)  # nearest entry -> its clusters, in order
    lowest = SIMILAR - SAME_NEAREST_BONUS
    for start in range(0, len(groups), _BATCH):
        batch = range(start, min(start + _BATCH, len(groups)))
        earlier = len(leaders)
        earlier_by_nearest = {entry: list(found) for entry, found in by_nearest.items()}
        scores = None
        if earlier:
            queries = [encoded[i] for i in batch]
            choices = [encoded[g] for g in leaders]
            scores = process.cdist(queries, choices, scorer=fuzz.ratio, score_cutoff=lowest, workers=-1)
        for row, number in enumerate(batch):
            own = nearest[number]
            candidates: list[tuple[int, float]] = []  # (cluster, percent of words in common)
            if scores is not None:
                line = scores[row]
                best = int(line.argmax())  # the first, most asked, of the best
                candidates.append((best, float(line[best])))
                same = earlier_by_nearest.get(own, []) if own else []
                if same:
                    best = same[int(line[same].argmax())]
                    candidates.append((best, float(line[best])))
            new = [encoded[g] for g in leaders[earlier:]]
            for _, score, place in process.extract(
                encoded[number], new, scorer=fuzz.ratio, score_cutoff=lowest, limit=None
            ):
                candidates.append((earlier + place, score))
            cluster = _choose([(c, score, nearest[leaders[c]]) for c, score in candidates], own)
            if cluster is None:
                cluster = len(leaders)
                leaders.append(number)
                members.append([])
                if own:
                    by_nearest[own].append(cluster)
            members[cluster].append(number)
    return members


def _choose(candidates: Iterable[tuple[int, float, str | None]], own: str | None) -> int | None:
    """The most similar cluster, counting the bonus for the same nearest entry; the earlier on a tie."""
    best: tuple[float, int] | None = None
    for cluster, score, their_nearest in candidates:
        total = score + (SAME_NEAREST_BONUS if own is not None and their_nearest == own else 0.0)
        if total >= SIMILAR and (best is None or total > best[0] or (total == best[0] and cluster < best[1])):
            best = (total, cluster)
    return None if best is None else best[1]


def _cluster(groups: Sequence[_Group]) -> Cluster:
    leader = groups[0]
    asked = [q for g in groups for q in g.questions]
    recent = sorted(asked, key=lambda q: q.asked_at, reverse=True)
    wordings = Counter(q.normalised for q in leader.questions)
    representative = max(wordings, key=lambda text: (wordings[text], _last_asked(leader.questions, text)))
    topics = Counter(q.topic for q in asked if q.topic)
    nearest = Counter(q.nearest for q in asked if q.nearest)
    return Cluster(
        key=signature_digest(leader.signature)[:KEY_CHARS],
        representative=representative,
        count=len(asked),
        chats=len({q.chat_digest for q in asked if q.chat_digest}),
        first_seen=min(q.asked_at for q in asked),
        last_seen=recent[0].asked_at,
        examples=tuple(dict.fromkeys(q.normalised for q in recent))[:MAX_EXAMPLES],
        decisions=dict(Counter(q.decision for q in asked)),
        topic=topics.most_common(1)[0][0] if topics else "",
        nearest=nearest.most_common(1)[0][0] if nearest else None,
        signatures=frozenset(g.signature for g in groups),
    )


def _last_asked(questions: Iterable[Question], text: str) -> datetime:
    return max(q.asked_at for q in questions if q.normalised == text)
