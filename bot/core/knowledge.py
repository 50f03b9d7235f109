"""The knowledge base: FAQ entries grouped by subject, the policy and the lexicon.

Parsing takes already-loaded YAML documents (plain dicts); reading the files is the shell's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from bot.core.cues import Cues, NotCovered, Phrase, PhraseSet, SituationValue
from bot.core.file_schema import Fault, KnowledgeFileError, fault_at, validated
from bot.core.knowledge_schema import BotFile, EntrySpec, FaqFile, LexiconFile, VariantSpec
from bot.core.leads.setup import LeadSetup
from bot.core.policy import Policy, parse_policy
from bot.core.render import Rendered, render_template
from bot.core.text import EMPTY_LEXICON, Lexicon, tokens

KINDS = frozenset({"faq", "flow", "smalltalk", "none"})
DEFAULT_REVIEW_PERIOD = timedelta(days=365)
Parsed = TypeVar("Parsed")


class KnowledgeError(KnowledgeFileError):
    """The knowledge files cannot be loaded at all (validation reports the softer faults)."""


@dataclass(frozen=True)
class Variant:
    when: tuple[Phrase, ...]
    short: str
    details: str = ""


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    subject: str
    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    short: str
    details: str
    followups: tuple[str, ...]
    sources: tuple[str, ...]
    effective: date | None
    reviewed: date | None
    review_by: date | None = None
    # A guided flow (bot.core.flows): an entry of kind "flow" starts it; any other offers it with a button.
    flow: str = ""
    # The situation the answer speaks of, per dimension of the lexicon's `situations` ({"scheme": "bat-buoc"}):
    # a question that signals another value of a dimension, and not this one, is not answered from this entry.
    situation: Mapping[str, str] = field(default_factory=dict)
    # Other wordings of the answer, each for questions with one of its phrases ("cảm ơn" under "chao").
    variants: tuple[Variant, ...] = ()

    def variant_for(self, *wordings: Sequence[str]) -> Entry:
        """This entry with the answer of the first variant whose phrase the question's words contain, in any of
        its `wordings` (its folded words as typed, and as the lexicon expands them: a variant's phrase is
        written as citizens type it, "bye" or "ok", which the lexicon may rewrite)."""
        for variant in self.variants:
            if any(PhraseSet(variant.when).find(words) for words in wordings):
                return replace(self, short=variant.short, details=variant.details, variants=())
        return self

    @property
    def answerable(self) -> bool:
        """Out-of-scope ("none") entries exist only to be recognised, never to be answered."""
        return self.kind != "none"

    def review_due(self) -> date | None:
        if self.review_by:
            return self.review_by
        return self.reviewed + DEFAULT_REVIEW_PERIOD if self.reviewed else None

    def render(self, policy: Policy, today: date) -> tuple[Rendered, Rendered]:
        return render_template(self.short, policy, today), render_template(self.details, policy, today)


@dataclass(frozen=True)
class Subject:
    code: str
    title: str
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class FlowWords:
    """Words typed alone at a step of a flow that work like its buttons (lexicon.yaml `flow_words`), as
    normalised phrases; `polite` words may stand around them ("thôi ạ")."""

    cancel: frozenset[Phrase] = frozenset()
    back: frozenset[Phrase] = frozenset()
    polite: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DataRequests:
    """Whole messages that ask what the bot keeps about the citizen, or to erase it (lexicon.yaml
    `data_requests`), as normalised phrases without the polite words around them."""

    show: frozenset[Phrase] = frozenset()
    erase: frozenset[Phrase] = frozenset()


@dataclass(frozen=True)
class SelfAddress:
    """How a citizen names themself (lexicon.yaml `self_address`): the normalised phrasings in which a form
    of address is the speaker ("cho bác hỏi"), each with the word as written ("bác"). Folded phrasings
    are not enough: the word must be typed with its diacritics, except those in `unaccented` ("bac", "ong"),
    since the others fold into common words ("bà" into "ba", three; "cô" into "có")."""

    phrases: tuple[tuple[Phrase, str], ...] = ()
    unaccented: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LexiconData:
    lexicon: Lexicon = EMPTY_LEXICON
    stopwords: frozenset[str] = frozenset()
    out_of_scope: tuple[tuple[str, ...], ...] = ()
    cues: Cues = field(default_factory=Cues)
    flow_words: FlowWords = field(default_factory=FlowWords)
    self_address: SelfAddress = field(default_factory=SelfAddress)
    data_requests: DataRequests = field(default_factory=DataRequests)


@dataclass(frozen=True)
class MenuItem:
    label: str
    subject: str = ""
    entry: str = ""


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    subjects: tuple[Subject, ...]
    policy: Policy
    lexicon: LexiconData = field(default_factory=LexiconData)
    menu: tuple[MenuItem, ...] = ()
    messages: Mapping[str, str] = field(default_factory=dict)
    leads: LeadSetup | None = None  # consent, areas, interest rule: set by the composition root (None: no leads)

    def message(self, key: str) -> str:
        """One of the bot's own sentences from knowledge/bot.yaml."""
        try:
            return self.messages[key]
        except KeyError:
            raise KnowledgeError(f"bot.yaml: thiếu câu '{key}' trong messages") from None

    def subject(self, code: str) -> Subject | None:
        return next((s for s in self.subjects if s.code == code), None)


def _variant(spec: VariantSpec) -> Variant:
    when = tuple(tuple(tokens(phrase)) for phrase in spec.when if tokens(phrase))
    return Variant(when, spec.short, spec.details)


def _entry(spec: EntrySpec, subject: str) -> Entry:
    return Entry(
        id=spec.id,
        kind=spec.kind,
        subject=subject,
        title=spec.title,
        questions=spec.questions,
        keywords=spec.keywords,
        short=spec.short,
        details=spec.details,
        followups=spec.followups,
        sources=spec.sources,
        effective=spec.effective,
        reviewed=spec.reviewed,
        review_by=spec.review_by,
        flow=spec.flow,
        situation=dict(spec.situation),
        variants=tuple(_variant(variant) for variant in spec.variants),
    )


def parse_faq_file(document: Any, file: str) -> tuple[Subject, tuple[Entry, ...]]:
    """One faq/*.yaml: its subject (code, title, entry ids in file order) and its entries."""
    spec = validated(FaqFile, document, file, KnowledgeError)
    entries = tuple(_entry(raw, spec.subject) for raw in spec.entries)
    return Subject(spec.subject, spec.title or spec.subject, tuple(e.id for e in entries)), entries


def parse_lexicon(document: Any, file: str = "lexicon.yaml") -> LexiconData:
    spec = validated(LexiconFile, document or {}, file, KnowledgeError)
    pairs: list[tuple[str, str]] = []
    for group in (spec.abbreviations, spec.teencode, spec.typos, spec.synonyms):
        pairs.extend(group.items())
    stopwords = frozenset(tok for word in spec.stopwords for tok in tokens(word))
    lexicon = Lexicon.from_pairs(pairs)

    def phrases(raw_phrases: Iterable[str]) -> tuple[Phrase, ...]:
        return tuple(tuple(lexicon.expand(tokens(p))) for p in raw_phrases if tokens(p))

    situations = [
        SituationValue(dimension, value, situation.label or value, phrases(situation.cues), situation.explicit)
        for dimension, values in spec.situations.items()
        for value, situation in values.items()
    ]
    not_covered = tuple(NotCovered(label, phrases(p)) for label, p in spec.not_covered.items())
    cues = Cues(tuple(situations), not_covered, phrases(spec.field), phrases(spec.courtesy))
    words = spec.flow_words
    flow_words = FlowWords(
        frozenset(phrases(words.cancel)),
        frozenset(phrases(words.back)),
        frozenset(word for phrase in phrases(words.polite) for word in phrase),
    )
    address = spec.self_address
    self_address = SelfAddress(
        tuple(
            (tuple(tokens(template.replace("{}", f" {word} "))), word)
            for word in address.words
            for template in address.phrases
        ),
        frozenset(address.unaccented),
    )
    requests = DataRequests(
        frozenset(without_polite(p, flow_words.polite) for p in phrases(spec.data_requests.show)),
        frozenset(without_polite(p, flow_words.polite) for p in phrases(spec.data_requests.erase)),
    )
    return LexiconData(lexicon, stopwords, phrases(spec.out_of_scope), cues, flow_words, self_address, requests)


def without_polite(phrase: Phrase, polite: frozenset[str]) -> Phrase:
    """A phrase without the polite words at its ends ("dạ xem dữ liệu của tôi nhé" -> "xem dữ liệu của");
    the phrase itself when it is only polite words."""
    start, end = 0, len(phrase)
    while start < end and phrase[start] in polite:
        start += 1
    while end > start and phrase[end - 1] in polite:
        end -= 1
    return phrase[start:end] or phrase


def parse_bot(document: Any, file: str = "bot.yaml") -> tuple[tuple[MenuItem, ...], dict[str, str]]:
    """bot.yaml: the main menu and the bot's own sentences."""
    spec = validated(BotFile, document or {}, file, KnowledgeError)
    return tuple(MenuItem(item.label, item.subject, item.entry) for item in spec.menu), dict(spec.messages)


def _collecting(faults: list[Fault], parse: Callable[..., Parsed], *args: Any) -> Parsed | None:
    """What `parse` returns, or None with its faults added to `faults`."""
    try:
        return parse(*args)
    except KnowledgeFileError as exc:
        faults += exc.faults
        return None


def parse_knowledge(
    faq_documents: Iterable[tuple[str, Any]],
    policy_document: Any,
    lexicon_document: Any = None,
    bot_document: Any = None,
) -> KnowledgeBase:
    """Build the knowledge base from (file name, parsed YAML) pairs; raises KnowledgeError with the faults
    of every file at once."""
    faults: list[Fault] = []
    faq_files = []
    for name, document in faq_documents:
        parsed = _collecting(faults, parse_faq_file, document, name)
        if parsed is not None:
            faq_files.append((name, document, *parsed))
    policy = _collecting(faults, parse_policy, policy_document)
    lexicon = _collecting(faults, parse_lexicon, lexicon_document)
    bot = _collecting(faults, parse_bot, bot_document)
    if faults or policy is None or lexicon is None or bot is None:
        raise KnowledgeError(*faults)
    entries: dict[str, Entry] = {}
    subjects: dict[str, Subject] = {}  # several files may hold one subject: their entries join in file order
    for name, document, subject, file_entries in faq_files:
        for i, entry in enumerate(file_entries):
            if entry.id in entries:
                other = entries[entry.id].subject
                faults.append(fault_at(name, document, ("entries", i, "id"), f"id {entry.id} đã có ở chủ đề {other}"))
            entries[entry.id] = entry
        known = subjects.get(subject.code)
        if known is not None:
            subject = Subject(subject.code, known.title, known.entry_ids + subject.entry_ids)
        subjects[subject.code] = subject
    if faults:
        raise KnowledgeError(*faults)
    menu, messages = bot
    return KnowledgeBase(entries, tuple(subjects.values()), policy, lexicon, menu, messages)


def required_topic_ids(topics_tsv: str) -> list[str]:
    """The topic ids that must have an entry (every row of topics.tsv but kind "none")."""
    ids = []
    for line in topics_tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 2 and cells[1].strip() != "none":
            ids.append(cells[0].strip())
    return ids
