"""What changed between two revisions of the knowledge files: which entries, figures, phrasings and words.

`diff_documents` takes each revision's files as parsed YAML ({"faq/tn.yaml": {...}, "policy.yaml": {...}}) and
compares them by meaning, not by line: a list of mappings is matched by its items' `id` (FAQ entries), `code`
(areas) or `from` (a figure's dated values), so moving an entry or reformatting a file is not a change, and a
list of words or phrasings reports what was added and what was removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

ITEM_KEYS = ("id", "code", "from", "q")  # what names an item of a list of mappings (a checks.jsonl question: q)
MISSING = object()
EMPTY_VALUE = "(trống)"  # a key written with no value
SHOWN_CHARS = 160


@dataclass(frozen=True)
class Change:
    file: str
    path: tuple[str, ...]  # ("entries", "tn.muc-dong", "short") or ("params", "luong_co_so", "values", "2027-07-01")
    old: Any = None  # None: added
    new: Any = None  # None: removed

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def describe(self) -> str:
        where = " › ".join((self.file, *self.path))
        if self.old is None:
            return f"{where}: + {shown(self.new)}"
        if self.new is None:
            return f"{where}: − {shown(self.old)}"
        return f"{where}: {shown(self.old)} → {shown(self.new)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "path": list(self.path),
            "kind": self.kind,
            "old": plain(self.old),
            "new": plain(self.new),
        }


def plain(value: Any) -> Any:
    """A YAML value as JSON can hold it (dates as ISO text)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def shown(value: Any) -> str:
    text = " ".join(str(plain(value)).split()) if not isinstance(value, str) else " ".join(value.split())
    text = f"“{text}”" if isinstance(value, str) else text
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from `old` to `new`, file by file in name order. A new or removed file is compared with an
    empty one, so its FAQ entries, figures and areas are listed one by one."""
    changes: list[Change] = []
    for file in sorted(set(old) | set(new)):
        before, after = old.get(file, MISSING), new.get(file, MISSING)
        found = [
            Change(file, path, a, b)
            for path, a, b in _walk(
                _empty_like(after) if before is MISSING else before,
                _empty_like(before) if after is MISSING else after,
                (),
            )
        ]
        if not found and before is MISSING:  # an empty file: still a change
            found = [Change(file, (), None, "(tệp mới)")]
        elif not found and after is MISSING:
            found = [Change(file, (), "(tệp đã xóa)", None)]
        changes.extend(found)
    return changes


def _empty_like(value: Any) -> Any:
    return {} if isinstance(value, Mapping) else [] if isinstance(value, list) else ""


def _walk(old: Any, new: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    if old == new:
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            before, after = old.get(key), new.get(key)
            if key not in new and not isinstance(before, list):
                yield (*path, str(key)), before, None
            elif key not in old and not isinstance(after, list):
                yield (*path, str(key)), None, after
            else:  # a list on one side only: its items one by one (a new file's entries)
                yield from _walk(_present(before, after), _present(after, before), (*path, str(key)))
    elif isinstance(old, list) and isinstance(new, list):
        yield from _walk_list(old, new, path)
    else:
        yield path, _present(old, new), _present(new, old)


def _present(value: Any, other: Any) -> Any:
    """A value as the walk compares it: an absent list as an empty one, an empty YAML value (null) as
    EMPTY_VALUE, so that changing it reads as a change, not as an addition."""
    if value is None:
        return [] if isinstance(other, list) else EMPTY_VALUE
    return value


def _item_key(items: Sequence[Any]) -> str | None:
    """The key that names every item of a list of mappings, if one does."""
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    return next((key for key in ITEM_KEYS if all(key in item for item in items)), None)


def _walk_list(old: list[Any], new: list[Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    key = _item_key(old + new)
    if key is not None:
        before = {str(plain(item[key])): item for item in old}
        after = {str(plain(item[key])): item for item in new}
        for name in [*before, *(n for n in after if n not in before)]:
            if name not in after:
                yield (*path, name), before[name], None
            elif name not in before:
                yield (*path, name), None, after[name]
            else:
                yield from _walk(before[name], after[name], (*path, name))
        return
    if all(isinstance(item, str | int | float | date) for item in old + new):  # words, phrasings, ids
        for item in old:
            if item not in new:
                yield path, item, None
        for item in new:
            if item not in old:
                yield path, None, item
        return
    yield path, old, new


def summary(changes: Sequence[Change]) -> dict[str, list[str]]:
    """The FAQ entries, figures and other things changed, by name, for a one-line overview per kind."""
    entries: dict[str, None] = {}
    figures: dict[str, None] = {}
    other: dict[str, None] = {}
    for change in changes:
        if change.file.startswith("faq/") and len(change.path) >= 2 and change.path[0] == "entries":
            entries[change.path[1]] = None
        elif change.file == "policy.yaml" and len(change.path) >= 2:
            figures[change.path[1]] = None
        else:
            other[" › ".join((change.file, *change.path[:1]))] = None
    return {"entries": list(entries), "figures": list(figures), "other": list(other)}
