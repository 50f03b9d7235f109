"""The areas the office serves (xã, phường, đặc khu) and matching what a citizen types to one of them.

Since 01/07/2025 local government has two levels (province, then xã / phường / đặc khu), so an area's
official name is its prefix and its proper name: "Xã Tiên Yên", "Phường Móng Cái 1", "Đặc khu Vân Đồn".
Citizens type "tien yen", "x tien yen", "P. Mong Cai 1", "phuong hong gai": the prefix is dropped and
diacritics folded before comparing; a typo gets up to three "did you mean" choices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.file_schema import KnowledgeFileError, validated
from bot.core.knowledge_schema import AreasFile
from bot.core.text import fold

CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
OFFICIAL_PREFIXES = ("Xã ", "Phường ", "Đặc khu ")
# What citizens type before the proper name, folded; longest first so "thi tran" wins over "t".
TYPED_PREFIXES = ("thi tran", "dac khu", "phuong", "xa", "dk", "tt", "p", "x")
_PREFIX = re.compile(r"^(?:" + "|".join(p.replace(" ", r"\s+") for p in TYPED_PREFIXES) + r")\b\.?\s*")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
MAX_CHOICES = 3
MIN_CHOICE_SCORE = 70.0  # rapidfuzz WRatio, 0-100: below this a name is not offered as a choice
CHOICE_SPREAD = 10.0  # nor is one this far below the best


class AreaError(KnowledgeFileError):
    """areas.yaml cannot be read as a list of areas."""


@dataclass(frozen=True)
class Area:
    code: str  # our stable key, stored with leads and agents
    name: str  # official, with its prefix: "Xã Tiên Yên"
    aliases: tuple[str, ...] = ()


class MatchKind(StrEnum):
    EXACT = "exact"
    CHOICES = "choices"
    NONE = "none"


@dataclass(frozen=True)
class AreaMatch:
    kind: MatchKind
    area: Area | None = None  # set when EXACT
    choices: tuple[Area, ...] = ()  # best first, at most MAX_CHOICES, when CHOICES


def area_key(text: str) -> str:
    """Folded, prefix-free, punctuation-free form: "P. Móng Cái 1" -> "mong cai 1"."""
    folded = " ".join(_NOT_WORD.sub(" ", fold(text).replace(".", ". ")).split())
    stripped = _PREFIX.sub("", folded, count=1).strip()
    return stripped or folded


def parse_areas(document: Any, file: str = "areas.yaml") -> tuple[Area, ...]:
    """The areas of areas.yaml (`areas:` a list of {code, name, aliases}); AreaError if the shape is wrong."""
    spec = validated(AreasFile, document, file, AreaError)
    return tuple(Area(area.code, area.name, area.aliases) for area in spec.areas)


def area_issues(areas: Sequence[Area]) -> list[tuple[str, str]]:
    """(where, problem) for every fault staff should fix: codes, prefixes, names that collide."""
    issues: list[tuple[str, str]] = []
    codes: dict[str, str] = {}
    keys: dict[tuple[str, str], str] = {}
    for area in areas:
        if not CODE_PATTERN.match(area.code):
            issues.append((area.code, "code chỉ gồm chữ thường không dấu, số và dấu gạch ngang"))
        if codes.setdefault(area.code, area.name) != area.name:
            issues.append((area.code, f"code trùng với {codes[area.code]}"))
        if not area.name.startswith(OFFICIAL_PREFIXES):
            issues.append((area.code, 'name phải bắt đầu bằng "Xã", "Phường" hoặc "Đặc khu"'))
        for name in (area.name, *area.aliases):
            kind = fold(area.name.split(" ")[0])
            other = keys.setdefault((kind, area_key(name)), area.code)
            if other != area.code:
                issues.append((area.code, f"tên {name!r} trùng với {other}"))
    return issues


def _names(area: Area) -> Iterable[str]:
    yield area.name
    yield from area.aliases


def _typed_kind(text: str) -> str | None:
    """ "xa" / "phuong" / "dac khu" when the citizen typed the prefix, to tell apart Xã X from Phường X."""
    folded = fold(text).strip()
    for kind, prefixes in (("xa", ("xa ", "x ", "x.")), ("phuong", ("phuong ", "p ", "p.")), ("dac", ("dac khu",))):
        if folded.startswith(prefixes):
            return kind
    return None


def match_area(text: str, areas: Sequence[Area]) -> AreaMatch:
    """EXACT when the text is an area's code, name or alias up to diacritics, case and prefix; CHOICES
    (up to three, best first) when it is close to some; NONE otherwise."""
    key = area_key(text)
    if not key:
        return AreaMatch(MatchKind.NONE)
    by_code = [area for area in areas if area.code == text.strip().lower()]
    if by_code:
        return AreaMatch(MatchKind.EXACT, by_code[0])
    exact = [area for area in areas if any(area_key(name) == key for name in _names(area))]
    kind = _typed_kind(text)
    if len(exact) > 1 and kind is not None:
        exact = [area for area in exact if fold(area.name).startswith(kind)] or exact
    if len(exact) == 1:
        return AreaMatch(MatchKind.EXACT, exact[0])
    if exact:
        return AreaMatch(MatchKind.CHOICES, choices=tuple(exact[:MAX_CHOICES]))
    keyed = [(area_key(name), area) for area in areas for name in _names(area)]
    scored = process.extract(key, [k for k, _ in keyed], scorer=fuzz.WRatio, limit=None, score_cutoff=MIN_CHOICE_SCORE)
    choices: list[Area] = []
    best = max((score for _, score, _ in scored), default=0.0)
    for _, score, index in sorted(scored, key=lambda hit: (-hit[1], keyed[hit[2]][1].name)):
        area = keyed[index][1]
        if score >= best - CHOICE_SPREAD and area not in choices:
            choices.append(area)
        if len(choices) == MAX_CHOICES:
            break
    return AreaMatch(MatchKind.CHOICES, choices=tuple(choices)) if choices else AreaMatch(MatchKind.NONE)
