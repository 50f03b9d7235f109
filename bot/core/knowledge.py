"""The knowledge base: FAQ entries grouped by subject, the policy and the lexicon.

Parsing takes already-loaded YAML documents (plain dicts); reading the files is the shell's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from bot.core.cues import Cues, NotCovered, Phrase, PhraseSet, SituationValue
from bot.core.leads.setup import LeadSetup
from bot.core.policy import Policy, PolicyError, parse_policy
from bot.core.render import Rendered, render_template
from bot.core.text import EMPTY_LEXICON, Lexicon, tokens

KINDS = frozenset({"faq", "flow", "smalltalk", "none"})
DEFAULT_REVIEW_PERIOD = timedelta(days=365)


class KnowledgeError(ValueError):
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

    def variant_for(self, words: Sequence[str]) -> Entry:
        """This entry with the answer of the first variant whose phrase the question's words contain."""
        for variant in self.variants:
            if PhraseSet(variant.when).find(words):
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
class LexiconData:
    lexicon: Lexicon = EMPTY_LEXICON
    stopwords: frozenset[str] = frozenset()
    out_of_scope: tuple[tuple[str, ...], ...] = ()
    cues: Cues = field(default_factory=Cues)


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


def _as_date(raw: Any, where: str) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise KnowledgeError(f"{where}: ngày phải có dạng YYYY-MM-DD, không phải {raw!r}") from exc


def _strings(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(item).strip() for item in raw if str(item).strip())


def parse_entry(raw: Mapping[str, Any], subject: str, where: str) -> Entry:
    if not isinstance(raw, Mapping) or not raw.get("id"):
        raise KnowledgeError(f"{where}: mỗi mục phải có id")
    where = f"{where} ({raw['id']})"
    return Entry(
        id=str(raw["id"]).strip(),
        kind=str(raw.get("kind", "faq")),
        subject=subject,
        title=str(raw.get("title", "")).strip(),
        questions=_strings(raw.get("questions")),
        keywords=_strings(raw.get("keywords")),
        short=str(raw.get("short", "") or "").strip(),
        details=str(raw.get("details", "") or "").strip(),
        followups=_strings(raw.get("followups")),
        sources=_strings(raw.get("sources")),
        effective=_as_date(raw.get("effective"), where),
        reviewed=_as_date(raw.get("reviewed"), where),
        review_by=_as_date(raw.get("review_by"), where),
        flow=str(raw.get("flow") or "").strip(),
        situation=_situation(raw.get("situation"), where),
        variants=tuple(_variant(v, where) for v in raw.get("variants") or ()),
    )


def _variant(raw: Any, where: str) -> Variant:
    if not isinstance(raw, Mapping) or not raw.get("when") or not raw.get("short"):
        raise KnowledgeError(f"{where}: mỗi variants phải có 'when' (các cụm từ) và 'short'")
    when = tuple(tuple(tokens(str(phrase))) for phrase in _strings(raw["when"]) if tokens(str(phrase)))
    return Variant(when, str(raw["short"]).strip(), str(raw.get("details") or "").strip())


def _situation(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{where}: situation phải có dạng {{scheme: bat-buoc}}")
    return {str(k).strip(): str(v).strip() for k, v in raw.items()}


def parse_lexicon(raw: Mapping[str, Any] | None) -> LexiconData:
    raw = raw or {}
    pairs: list[tuple[str, str]] = []
    for group in ("abbreviations", "teencode", "typos", "synonyms"):
        pairs.extend((str(k), str(v)) for k, v in (raw.get(group) or {}).items())
    stopwords = frozenset(tok for word in raw.get("stopwords") or () for tok in tokens(str(word)))
    lexicon = Lexicon.from_pairs(pairs)

    def phrases(raw_list: Any) -> tuple[Phrase, ...]:
        return tuple(tuple(lexicon.expand(tokens(str(p)))) for p in _strings(raw_list) if tokens(str(p)))

    situations = []
    for dimension, values in (raw.get("situations") or {}).items():
        for value, spec in (values or {}).items():
            spec = spec or {}
            label = str(spec.get("label") or value)
            explicit = bool(spec.get("explicit", False))
            situations.append(SituationValue(str(dimension), str(value), label, phrases(spec.get("cues")), explicit))
    not_covered = tuple(NotCovered(str(label), phrases(p)) for label, p in (raw.get("not_covered") or {}).items())
    cues = Cues(tuple(situations), not_covered, phrases(raw.get("field")), phrases(raw.get("courtesy")))
    return LexiconData(lexicon, stopwords, phrases(raw.get("out_of_scope")), cues)


def parse_knowledge(
    faq_documents: Iterable[tuple[str, Mapping[str, Any]]],
    policy_document: Mapping[str, Any],
    lexicon_document: Mapping[str, Any] | None = None,
    bot_document: Mapping[str, Any] | None = None,
) -> KnowledgeBase:
    """Build the knowledge base from (file name, parsed YAML) pairs; raises KnowledgeError."""
    try:
        policy = parse_policy(policy_document)
    except PolicyError as exc:
        raise KnowledgeError(f"policy.yaml: {exc}") from exc
    entries: dict[str, Entry] = {}
    subjects: dict[str, Subject] = {}  # several files may hold one subject: their entries join in file order
    for name, document in faq_documents:
        if not isinstance(document, Mapping) or not document.get("subject"):
            raise KnowledgeError(f"{name}: tệp phải có 'subject', 'title' và 'entries'")
        code = str(document["subject"])
        ids: list[str] = []
        for i, raw in enumerate(document.get("entries") or []):
            entry = parse_entry(raw, code, f"{name}: mục {i + 1}")
            if entry.id in entries:
                raise KnowledgeError(f"{name}: id {entry.id} đã có ở chủ đề {entries[entry.id].subject}")
            entries[entry.id] = entry
            ids.append(entry.id)
        known = subjects.get(code)
        if known is None:
            subjects[code] = Subject(code, str(document.get("title", code)), tuple(ids))
        else:
            subjects[code] = Subject(code, known.title, known.entry_ids + tuple(ids))
    bot_document = bot_document or {}
    menu = tuple(
        MenuItem(str(item["label"]), str(item.get("subject", "")), str(item.get("entry", "")))
        for item in bot_document.get("menu") or ()
    )
    messages = {str(k): str(v).strip() for k, v in (bot_document.get("messages") or {}).items()}
    return KnowledgeBase(entries, tuple(subjects.values()), policy, parse_lexicon(lexicon_document), menu, messages)


def required_topic_ids(topics_tsv: str) -> list[str]:
    """The topic ids that must have an entry (every row of topics.tsv but kind "none")."""
    ids = []
    for line in topics_tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 2 and cells[1].strip() != "none":
            ids.append(cells[0].strip())
    return ids
