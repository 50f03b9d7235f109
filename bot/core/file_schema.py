"""Checking a knowledge file against its pydantic model, with faults that name the file and the line.

Staff edit the YAML files by hand, so a misspelt key must be an error, never silently ignored: every model
forbids unknown keys. The storage layer loads YAML into `LocatedDict` / `LocatedList`, which remember the line
of each key and item; a pydantic error's `loc` is walked through them to the line to fix. Documents built in
code (plain dicts, in tests) are checked the same way, only without lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails

MAX_SHOWN_INPUT = 40  # a wrong value longer than this is not quoted in the message


class LocatedDict(dict[Any, Any]):
    """A YAML mapping with the line (1-based) of each of its keys."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}


class LocatedList(list[Any]):
    """A YAML sequence with the line (1-based) of each of its items."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_lines: list[int] = []


@dataclass(frozen=True)
class Fault:
    """Something to fix in a knowledge file: where (file and line, when known) and what."""

    file: str
    line: int | None
    message: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class KnowledgeFileError(ValueError):
    """A knowledge file cannot be used; `faults` lists every place to fix (a plain message is one fault)."""

    def __init__(self, *faults: Fault | str) -> None:
        self.faults = tuple(fault if isinstance(fault, Fault) else Fault("", None, fault) for fault in faults)
        super().__init__("\n".join(str(fault) for fault in self.faults))


class FileModel(BaseModel):
    """The base of every knowledge-file model: unknown keys are errors, an empty value (`details:`) is as if
    the key were left out, numbers stand for text where text is expected, and text is stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_values_are_left_out(cls, data: Any) -> Any:
        if data is None:
            return {}
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data


def one_or_many(raw: Any) -> Any:
    """A list of phrases may be one phrase; an empty item (a bare "-") is blank until `without_blanks` drops it
    (dropping it here would shift the items after it, and the lines their faults are placed at)."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list | tuple):
        return tuple("" if item is None else item for item in raw)
    return raw


def without_blanks(items: Sequence[str]) -> Sequence[str]:
    kept = [item for item in items if item]
    return kept if isinstance(items, list) else tuple(kept)


def iso_day(raw: Any) -> Any:
    """A date as YAML reads it (2025-07-01) or as text ("2025-07-01"); empty is no date."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"ngày phải có dạng YYYY-MM-DD, không phải {raw!r}") from None


def line_of(document: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest key or item of `loc` found in a located document (None without lines)."""
    line = None
    node = document
    for part in loc:
        if isinstance(node, LocatedDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part] if part < len(node.item_lines) else line
            node = node[part]
        else:
            break
    return line


def fault_at(file: str, document: Any, loc: Sequence[int | str], message: str) -> Fault:
    return Fault(file, line_of(document, loc), message)


Model = TypeVar("Model", bound=BaseModel)
Failure = TypeVar("Failure", bound=KnowledgeFileError)


def validated(model: type[Model], document: Any, file: str, error: type[Failure]) -> Model:
    """The document as `model`; raises `error` with one fault (file:line, Vietnamese) per problem."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        details = exc.errors()
    # A misspelt key ("ofice") also leaves the key it stands for missing: its suggestion says it all.
    suggested = {(*d["loc"][:-1], _close_key(d, model)) for d in details if d["type"] == "extra_forbidden"}
    faults = [
        fault_at(file, document, detail["loc"], message(detail, model))
        for detail in details
        if not (detail["type"] == "missing" and tuple(detail["loc"]) in suggested)
    ]
    raise error(*sorted(faults, key=lambda fault: fault.line or 0))


def _unwrapped(annotation: Any) -> Any:
    """The type inside Annotated[...] and Optional[...]."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _field_of(model: type[BaseModel], key: int | str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model that describes the mapping at `loc` (None where the mapping is free-form, like messages)."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrapped(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = _field_of(annotation, part)
        elif get_origin(annotation) in (list, tuple, Sequence):
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (dict, Mapping):
            annotation = get_args(annotation)[1]
        else:
            return None
    annotation = _unwrapped(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _close_key(detail: ErrorDetails, model: type[BaseModel]) -> str | None:
    """The allowed key an unknown key is probably a misspelling of ("anwser" -> "answer")."""
    owner = model_at(model, detail["loc"][:-1])
    close = difflib.get_close_matches(str(detail["loc"][-1]), allowed_keys(owner), n=1) if owner else []
    return close[0] if close else None


def _shown(value: Any) -> str:
    """`, không phải …` with the wrong value when it is short enough to quote."""
    if isinstance(value, str | int | float | bool | date) and len(repr(value)) <= MAX_SHOWN_INPUT:
        return f", không phải {value!r}"
    return ""


def message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    """One pydantic error in words for the office staff who edit the files."""
    loc = detail["loc"]
    kind = detail["type"]
    names = [part for part in loc if isinstance(part, str)]
    key = f'"{names[-1]}"' if names else "tệp"
    if names and isinstance(loc[-1], int):
        key = f'mỗi dòng của "{names[-1]}"'  # an item of a list
    if kind == "extra_forbidden":
        close = _close_key(detail, model)
        owner = model_at(model, loc[:-1])
        known = ", ".join(allowed_keys(owner)) if owner else ""
        hint = f'có thể là "{close}"?' if close else f"các khóa dùng được: {known}"
        return f'khóa không hợp lệ "{loc[-1]}" ({hint})'
    if kind == "missing":
        return f"thiếu {key}"
    if kind in ("value_error", "assertion_error"):
        error = (detail.get("ctx") or {}).get("error")
        return f"{key}: {error}" if names else str(error)
    if kind in ("string_type", "string_unicode"):
        return f"{key} phải là chữ{_shown(detail['input'])}"
    if kind in ("list_type", "tuple_type"):
        return f'{key} phải là một danh sách (mỗi dòng bắt đầu bằng "- "){_shown(detail["input"])}'
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f'{key} phải là một bảng "khóa: giá trị"{_shown(detail["input"])}'
    if kind.startswith("bool"):
        return f"{key} phải là true hoặc false{_shown(detail['input'])}"
    if kind.startswith(("int", "float", "decimal")):
        return f"{key} phải là số{_shown(detail['input'])}"
    if kind.startswith(("date", "datetime")):
        return f"{key} phải là ngày dạng YYYY-MM-DD{_shown(detail['input'])}"
    if kind in ("too_short", "string_too_short"):
        return f"{key} không được để trống"
    if kind == "literal_error":
        return f"{key} phải là một trong: {(detail.get('ctx') or {}).get('expected', '')}{_shown(detail['input'])}"
    return f"{key} không hợp lệ ({detail['msg']})"
