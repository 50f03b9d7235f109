"""Read the knowledge folder (YAML files) into a KnowledgeBase.

The folder's files as texts are a `Bundle` ({"faq/tn.yaml": "...", "policy.yaml": "...", ...}): what a
published revision stores (bot.storage.knowledge_revisions) and what `kb export` writes back. The knowledge
base is parsed from a bundle, whether it came from the folder or from the database.

YAML is loaded with the line of every key and list item (LocatedDict / LocatedList), so that a fault the
core's parsers find names the file and the line to fix; a key written twice in one mapping is refused here,
since YAML itself would keep the last one silently.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.core.areas import Area, AreaError, parse_areas
from bot.core.file_schema import Fault, KnowledgeFileError, LocatedDict, LocatedList
from bot.core.knowledge import KnowledgeBase, KnowledgeError, parse_knowledge
from bot.core.leads.setup import LeadsDocument, LeadSetupError, parse_leads

AREAS_FILE = "areas.yaml"
LEADS_FILE = "leads.yaml"
CHECKS_FILE = "checks.jsonl"  # labelled questions the regression check replays (bot.core.evaluation's format)
FAQ_DIR = "faq"
TOP_FILES = ("policy.yaml", "lexicon.yaml", "bot.yaml", AREAS_FILE, LEADS_FILE, CHECKS_FILE)
Bundle = Mapping[str, str]  # a file's path in the folder ("faq/tn.yaml") -> its text
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


def parse_yaml(text: str, file: str) -> Any:
    """One YAML document, its mappings and lists located; KnowledgeError naming `file` and the line if it
    cannot be read."""
    try:
        return yaml.load(text, Loader=LineLoader)  # LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = exc.problem if isinstance(exc, DuplicateKeyError) else f"YAML sai cú pháp: {exc.problem or exc}"
        raise KnowledgeError(Fault(file, line, str(problem))) from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(Fault(file, None, f"YAML sai cú pháp: {exc}")) from exc


def read_folder(directory: Path) -> dict[str, str]:
    """The knowledge files of a folder as a bundle, texts in NFC (a file saved by an editor in NFD reads the
    same); KnowledgeError naming the files that cannot be read. Files the bot does not read (README.md) are
    left out; checks.jsonl is optional."""
    bundle: dict[str, str] = {}
    faults: list[Fault] = []
    faq = sorted((directory / FAQ_DIR).glob("*.yaml"))
    if not faq:
        faults.append(Fault(FAQ_DIR, None, f"không có tệp nào trong {directory / FAQ_DIR}"))
    paths = [(f"{FAQ_DIR}/{path.name}", path) for path in faq] + [(name, directory / name) for name in TOP_FILES]
    for name, path in paths:
        if name == CHECKS_FILE and not path.exists():
            continue
        try:
            bundle[name] = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            faults.append(Fault(name, None, "không phải văn bản UTF-8"))
        except OSError as exc:
            faults.append(Fault(name, None, f"không đọc được {path}: {exc.strerror}"))
    if faults:
        raise KnowledgeError(*faults)
    return bundle


def write_folder(bundle: Bundle, directory: Path) -> list[Path]:
    """Write a bundle's files under `directory` (created if needed); the paths written."""
    written = []
    for name, text in sorted(bundle.items()):
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def bundle_digest(bundle: Bundle) -> str:
    """SHA-256 over the files' names and texts: two bundles with the same digest hold the same knowledge."""
    digest = hashlib.sha256()
    for name in sorted(bundle):
        digest.update(f"{name}\0{text_digest(bundle[name])}\n".encode())
    return digest.hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _document(bundle: Bundle, name: str) -> Any:
    if name not in bundle:
        raise KnowledgeError(Fault(name, None, "thiếu tệp này"))
    return parse_yaml(bundle[name], name)


def faq_names(bundle: Bundle) -> list[str]:
    return sorted(name for name in bundle if name.startswith(f"{FAQ_DIR}/"))


def parse_bundle(bundle: Bundle) -> KnowledgeBase:
    """faq/*.yaml (in file-name order), policy.yaml, lexicon.yaml and bot.yaml of a bundle; KnowledgeError
    with the faults of every file."""
    names = faq_names(bundle)
    if not names:
        raise KnowledgeError(Fault(FAQ_DIR, None, "không có tệp hỏi đáp nào"))
    faults: list[Fault] = []

    def read(name: str) -> Any:
        try:
            return _document(bundle, name)
        except KnowledgeError as exc:
            faults.extend(exc.faults)
            return None

    faq = [(name, read(name)) for name in names]
    policy, lexicon, bot = read("policy.yaml"), read("lexicon.yaml"), read("bot.yaml")
    if faults:
        raise KnowledgeError(*faults)
    return parse_knowledge(faq, policy, lexicon, bot)


def areas_of(bundle: Bundle) -> tuple[Area, ...]:
    """areas.yaml: the xã, phường and đặc khu the office serves (AreaError if it is missing or malformed)."""
    try:
        return parse_areas(_document(bundle, AREAS_FILE), AREAS_FILE)
    except KnowledgeError as exc:
        raise AreaError(*exc.faults) from None


def leads_of(bundle: Bundle) -> LeadsDocument:
    """leads.yaml: the consent text and which answers are interest signals (LeadSetupError if malformed)."""
    try:
        return parse_leads(_document(bundle, LEADS_FILE), LEADS_FILE)
    except KnowledgeError as exc:
        raise LeadSetupError(*exc.faults) from None


def checks_of(bundle: Bundle) -> list[dict[str, Any]]:
    """checks.jsonl: the labelled questions kept with the knowledge, one JSON object per line ({"q": ...,
    "expect": [...]}); KnowledgeError naming the line of one that is not JSON."""
    rows = []
    for number, line in enumerate(bundle.get(CHECKS_FILE, "").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise KnowledgeError(Fault(CHECKS_FILE, number, f"không phải JSON: {exc.msg}")) from None
        if not isinstance(row, dict) or not isinstance(row.get("q"), str):
            raise KnowledgeError(Fault(CHECKS_FILE, number, 'mỗi dòng cần {"q": "câu hỏi", "expect": ["mã"]}'))
        rows.append(row)
    return rows


def load_knowledge(directory: Path) -> KnowledgeBase:
    """The knowledge base of a folder (KnowledgeError with the faults of every file)."""
    return parse_bundle(read_folder(directory))


def load_areas(directory: Path) -> tuple[Area, ...]:
    return areas_of(_read_one(directory, AREAS_FILE, AreaError))


def load_leads(directory: Path) -> LeadsDocument:
    return leads_of(_read_one(directory, LEADS_FILE, LeadSetupError))


def _read_one(directory: Path, name: str, error: type[KnowledgeFileError]) -> Bundle:
    try:
        return {name: unicodedata.normalize("NFC", (directory / name).read_text(encoding="utf-8"))}
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "không phải văn bản UTF-8"
        raise error(Fault(name, None, f"không đọc được {directory / name}: {problem}")) from None
