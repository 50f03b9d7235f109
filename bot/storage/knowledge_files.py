"""Read the knowledge folder (YAML files) into a KnowledgeBase.

YAML is loaded with the line of every key and list item (LocatedDict / LocatedList), so that a fault the
core's parsers find names the file and the line to fix; a key written twice in one mapping is refused here,
since YAML itself would keep the last one silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.core.areas import Area, AreaError, parse_areas
from bot.core.file_schema import Fault, LocatedDict, LocatedList
from bot.core.knowledge import KnowledgeBase, KnowledgeError, parse_knowledge
from bot.core.leads.setup import LeadsDocument, LeadSetupError, parse_leads

AREAS_FILE = "areas.yaml"
LEADS_FILE = "leads.yaml"
MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.constructor.ConstructorError):
    pass


try:  # libyaml's parser, in PyYAML's wheels: reads knowledge/ five times faster, with the same lines
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]


class LineLoader(SafeLoader):
    """SafeLoader whose mappings and sequences remember the line of each key and item."""


def _mapping(loader: LineLoader, node: yaml.MappingNode) -> Iterator[LocatedDict]:
    data = LocatedDict()
    yield data
    written = [key for key, _ in node.value if key.tag != MERGE_TAG]  # before construct_mapping merges `<<:`
    data.update(loader.construct_mapping(node))
    for key_node in written:
        key = loader.construct_object(key_node)
        if key in data.key_lines:
            problem = f'khóa "{key}" viết hai lần (lần đầu ở dòng {data.key_lines[key]})'
            raise DuplicateKeyError(None, None, problem, key_node.start_mark)
        data.key_lines[key] = key_node.start_mark.line + 1


def _sequence(loader: LineLoader, node: yaml.SequenceNode) -> Iterator[LocatedList]:
    data = LocatedList()
    yield data
    data.extend(loader.construct_sequence(node))
    data.item_lines = [item.start_mark.line + 1 for item in node.value]


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def read_yaml(path: Path, file: str) -> Any:
    """One YAML file, its mappings and lists located; KnowledgeError naming `file` and the line if it cannot
    be read."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=LineLoader)  # LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = exc.problem if isinstance(exc, DuplicateKeyError) else f"YAML sai cú pháp: {exc.problem or exc}"
        raise KnowledgeError(Fault(file, line, str(problem))) from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(Fault(file, None, f"YAML sai cú pháp: {exc}")) from exc
    except OSError as exc:
        raise KnowledgeError(Fault(file, None, f"không đọc được {path}: {exc.strerror}")) from exc


def load_knowledge(directory: Path) -> KnowledgeBase:
    """faq/*.yaml (in file-name order), policy.yaml, lexicon.yaml and bot.yaml from one folder; KnowledgeError
    with the faults of every file."""
    faq_files = sorted((directory / "faq").glob("*.yaml"))
    if not faq_files:
        raise KnowledgeError(f"không có tệp nào trong {directory / 'faq'}")
    faults: list[Fault] = []

    def read(name: str) -> Any:
        try:
            return read_yaml(directory / name, name)
        except KnowledgeError as exc:
            faults.extend(exc.faults)
            return None

    faq = [(name, read(name)) for name in (f"faq/{path.name}" for path in faq_files)]
    policy, lexicon, bot = read("policy.yaml"), read("lexicon.yaml"), read("bot.yaml")
    if faults:
        raise KnowledgeError(*faults)
    return parse_knowledge(faq, policy, lexicon, bot)


def load_areas(directory: Path) -> tuple[Area, ...]:
    """areas.yaml: the xã, phường and đặc khu the office serves (AreaError if it is missing or malformed)."""
    try:
        return parse_areas(read_yaml(directory / AREAS_FILE, AREAS_FILE), AREAS_FILE)
    except KnowledgeError as exc:
        raise AreaError(*exc.faults) from None


def load_leads(directory: Path) -> LeadsDocument:
    """leads.yaml: the consent text and which answers are interest signals (LeadSetupError if malformed)."""
    try:
        return parse_leads(read_yaml(directory / LEADS_FILE, LEADS_FILE), LEADS_FILE)
    except KnowledgeError as exc:
        raise LeadSetupError(*exc.faults) from None
