"""The shape of every knowledge file, as staff write it (knowledge/README.md): one pydantic model per file.

Each file has one parser, which checks the document against its model here and builds the core's own
data from it (faq/*.yaml, policy.yaml, lexicon.yaml, bot.yaml: bot.core.knowledge and bot.core.policy;
areas.yaml: bot.core.areas; leads.yaml: bot.core.leads.setup). A key that is not here is an error
naming the file and the line (bot.core.file_schema), never ignored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from bot.core.file_schema import FileModel, iso_day, one_or_many, without_blanks

UNITS = frozenset({"dong", "percent", "months", "years", "times", "age_months", "number"})
CONSENT_PLACEHOLDERS = ("retention_days", "interaction_days", "office")

# A list of phrases (`questions`, `keywords`, …); one phrase alone may be written without the list.
Phrases = Annotated[tuple[str, ...], BeforeValidator(one_or_many), AfterValidator(without_blanks)]
Day = Annotated[date | None, BeforeValidator(iso_day)]


def _table(raw: Any) -> Any:
    return {} if raw is None else raw


# -- faq/*.yaml ------------------------------------------------------------------------------------


class VariantSpec(FileModel):
    when: Annotated[list[str], BeforeValidator(one_or_many), AfterValidator(without_blanks)] = Field(min_length=1)
    short: str = Field(min_length=1)
    details: str = ""


class EntrySpec(FileModel):
    id: str = Field(min_length=1)
    kind: str = "faq"  # `kb validate` names the kinds that exist
    title: str = ""
    questions: Phrases = ()
    keywords: Phrases = ()
    short: str = ""
    details: str = ""
    followups: Phrases = ()
    sources: Phrases = ()
    effective: Day = None
    reviewed: Day = None
    review_by: Day = None
    flow: str = ""
    situation: dict[str, str] = Field(default_factory=dict)
    variants: tuple[VariantSpec, ...] = ()


class FaqFile(FileModel):
    subject: str = Field(min_length=1)
    title: str = ""  # the subject's code when left out
    entries: tuple[EntrySpec, ...] = ()


# -- policy.yaml -----------------------------------------------------------------------------------


def _known_unit(unit: str) -> str:
    if unit not in UNITS:
        raise ValueError(f"đơn vị {unit!r} không hợp lệ (dùng: {', '.join(sorted(UNITS))})")
    return unit


def _number(raw: Any) -> Decimal:
    message = f"giá trị phải là số viết liền, dấu chấm thập phân (2530000, 4.5), không phải {raw!r}"
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValueError(message)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(message) from None
    if not value.is_finite():
        raise ValueError(message)
    return value


Unit = Annotated[str, AfterValidator(_known_unit)]


class DatedValueSpec(FileModel):
    start: Annotated[date, BeforeValidator(iso_day)] = Field(alias="from")
    value: Annotated[Decimal, BeforeValidator(_number)]
    basis: str = Field(min_length=1)  # the legal basis: decree, article
    uncertain: bool = False
    caveat: str = ""


class ParamSpec(FileModel):
    title: str = ""
    unit: Unit
    values: list[DatedValueSpec] = Field(min_length=1)  # a list: a tuple would also call it empty when one is wrong

    @model_validator(mode="after")
    def _values_in_date_order(self) -> ParamSpec:
        starts = [value.start for value in self.values]
        if starts != sorted(set(starts)):
            raise ValueError("các giá trị phải xếp theo ngày tăng dần, không trùng ngày")
        return self


class DerivedSpec(FileModel):
    title: str = ""
    unit: Unit
    formula: str = Field(min_length=1)
    basis: str = ""


class PolicyFile(FileModel):
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    derived: dict[str, DerivedSpec] = Field(default_factory=dict)


# -- lexicon.yaml ----------------------------------------------------------------------------------


class SituationSpec(FileModel):
    label: str = ""
    cues: Phrases = ()
    explicit: bool = False


class FlowWordsSpec(FileModel):
    cancel: Phrases = ()
    back: Phrases = ()
    polite: Phrases = ()


class DataRequestsSpec(FileModel):
    """Whole messages that ask what the bot keeps about the citizen (`show`) or to erase it (`erase`)."""

    show: Phrases = ()
    erase: Phrases = ()


def _one_placeholder(phrase: str) -> str:
    if phrase.count("{}") != 1:
        raise ValueError(f"mỗi cụm phải có đúng một chỗ {{}} cho cách xưng hô: {phrase!r}")
    return phrase


class SelfAddressSpec(FileModel):
    """How a citizen names themself ("cho bác hỏi"): `words` are the forms of address, `phrases` the
    phrasings in which one of them is the speaker, `{}` standing for the word."""

    words: Phrases = ()
    phrases: tuple[Annotated[str, AfterValidator(_one_placeholder)], ...] = ()
    unaccented: Phrases = ()  # words recognised when typed without diacritics too


class LexiconFile(FileModel):
    abbreviations: dict[str, str] = Field(default_factory=dict)
    teencode: dict[str, str] = Field(default_factory=dict)
    typos: dict[str, str] = Field(default_factory=dict)
    synonyms: dict[str, str] = Field(default_factory=dict)
    stopwords: Phrases = ()
    out_of_scope: Phrases = ()
    situations: dict[str, Annotated[dict[str, SituationSpec], BeforeValidator(_table)]] = Field(default_factory=dict)
    not_covered: dict[str, Phrases] = Field(default_factory=dict)
    field: Phrases = ()
    courtesy: Phrases = ()
    flow_words: FlowWordsSpec = FlowWordsSpec()
    self_address: SelfAddressSpec = SelfAddressSpec()
    data_requests: DataRequestsSpec = DataRequestsSpec()


# -- bot.yaml --------------------------------------------------------------------------------------


class MenuItemSpec(FileModel):
    label: str = Field(min_length=1)
    subject: str = ""
    entry: str = ""


class BotFile(FileModel):
    menu: tuple[MenuItemSpec, ...] = ()
    messages: dict[str, str] = Field(default_factory=dict)


# -- areas.yaml ------------------------------------------------------------------------------------


class AreaSpec(FileModel):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()


class AreasFile(FileModel):
    province: str = ""  # for the staff who read the file: the bot does not use it
    areas: tuple[AreaSpec, ...]


# -- leads.yaml ------------------------------------------------------------------------------------


def _consent_placeholders(text: str) -> str:
    try:
        text.format(**dict.fromkeys(CONSENT_PLACEHOLDERS, 0))
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"chỉ dùng được {{retention_days}}, {{interaction_days}} và {{office}} ({exc})") from None
    return text


class ConsentSpec(FileModel):
    version: str = Field(min_length=1)
    text: Annotated[str, AfterValidator(_consent_placeholders)] = Field(min_length=1)
    agree: str = ""  # ConsentText's button labels when left out
    decline: str = ""


class SignalsSpec(FileModel):
    """The answers that give an interest signal, by kind."""

    asked_how_to_register: tuple[str, ...] = Field(default=(), alias="asked-how-to-register")
    asked_contribution: tuple[str, ...] = Field(default=(), alias="asked-contribution")
    asked_household_bhyt: tuple[str, ...] = Field(default=(), alias="asked-household-bhyt")


class LeadsFile(FileModel):
    office: str = Field(min_length=1)
    consent: ConsentSpec
    signals: SignalsSpec = SignalsSpec()
