"""The import rules of DESIGN.md, checked by parsing every module under bot/ (nothing is imported)."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import PROJECT_ROOT

BOT_DIR = PROJECT_ROOT / "bot"

# Standard-library modules that do I/O, read the clock, the environment or randomness: not for bot.core.
IMPURE_STDLIB = frozenset(
    {
        "os", "sys", "io", "pathlib", "glob", "shutil", "tempfile", "fileinput", "mmap",
        "socket", "ssl", "select", "selectors", "http", "urllib", "ftplib", "smtplib", "imaplib", "poplib",
        "subprocess", "signal", "threading", "multiprocessing", "concurrent", "asyncio",
        "sqlite3", "dbm", "shelve", "pickle",
        "logging", "time", "zoneinfo", "locale", "platform",
        "random", "secrets", "uuid",
        "importlib", "ctypes", "webbrowser", "builtins",
    }
)  # fmt: skip
# phonenumbers: pure functions over metadata shipped as Python modules (no files, clock or network), so
# bot.core.phone can validate Vietnamese numbers. `holidays` is NOT here: building a calendar reads its
# translation files, so bot.shell.calendar builds it and the core takes the holidays as a Container.
# pydantic: the knowledge files' models (bot.core.knowledge_schema) validate data already loaded; reading the
# files and YAML stay in bot.storage.knowledge_files.
PURE_LIBRARIES = frozenset({"rapidfuzz", "phonenumbers", "pydantic", "pydantic_core"})
CORE_MAY_IMPORT = (frozenset(sys.stdlib_module_names) - IMPURE_STDLIB) | {"__future__"} | PURE_LIBRARIES

COMPOSITION_ROOT = ("bot.app", "bot.__main__", "bot.cli")
EDGES = ("bot.channels", "bot.web", "bot.workers")
MUST_NOT_IMPORT = {
    "bot.storage": ("bot.shell", *EDGES, "bot.config", *COMPOSITION_ROOT),
    "bot.shell": (*EDGES, "bot.config", *COMPOSITION_ROOT),
    "bot.channels": ("bot.storage", "bot.web", "bot.workers", "bot.config", *COMPOSITION_ROOT),
    "bot.web": ("bot.workers", "bot.config", *COMPOSITION_ROOT),
    "bot.workers": ("bot.web", "bot.config", *COMPOSITION_ROOT),
}
# Calls and attributes that read the clock, the environment or files.
CLOCK_ATTRIBUTES = frozenset({"now", "today", "utcnow"})
CLOCK_OWNERS = frozenset({"date", "datetime"})
ENVIRONMENT_ATTRIBUTES = frozenset({"environ", "getenv", "environb"})
IMPURE_BUILTINS = frozenset({"open", "print", "input", "__import__", "eval", "exec"})


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. "bot.core.text"
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def parse_module(name: str, source: str, path: Path | None = None) -> Module:
    path = path or PROJECT_ROOT / (name.replace(".", "/") + ".py")
    return Module(name, path, ast.parse(source, filename=str(path)))


def bot_modules() -> list[Module]:
    return [
        parse_module(module_name(path), path.read_text(encoding="utf-8"), path)
        for path in sorted(BOT_DIR.rglob("*.py"))
    ]


MODULES = bot_modules()


def imported_names(module: Module) -> set[str]:
    """Every module name an import statement may load, with relative imports resolved.

    `from a.b import c` yields both "a.b" and "a.b.c", since c may be a submodule.
    """
    names: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            names.add(origin)
            names.update(f"{origin}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def import_violations(module: Module) -> list[str]:
    imported = imported_names(module)
    found: list[str] = []
    if within(module.name, "bot.core"):
        for name in imported:
            if within(name, "bot"):
                if name != "bot" and not within(name, "bot.core"):
                    found.append(name)
            elif name.split(".")[0] not in CORE_MAY_IMPORT:
                found.append(name)
    for package, forbidden in MUST_NOT_IMPORT.items():
        if within(module.name, package):
            found += [name for name in imported if any(within(name, f) for f in forbidden)]
    if within(module.name, "bot.channels") and module.name != "bot.channels":
        own = module.name.split(".")[2]
        found += [n for n in imported if within(n, "bot.channels") and n.count(".") >= 2 and n.split(".")[2] != own]
    return sorted(set(found))


def impurities(module: Module) -> list[str]:
    """Reads of the clock, the environment or files, and dynamic code, as "line: what"."""
    found: list[str] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            owner_name = (
                owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            )
            if node.attr in CLOCK_ATTRIBUTES and owner_name in CLOCK_OWNERS:
                found.append(f"{node.lineno}: {owner_name}.{node.attr}")
            if node.attr in ENVIRONMENT_ATTRIBUTES:
                found.append(f"{node.lineno}: {owner_name}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IMPURE_BUILTINS:
            found.append(f"{node.lineno}: {node.func.id}(")
    return found


def calls_outside_functions(module: Module, callee: str) -> list[int]:
    """Lines where `callee(...)` runs at import time (module or class body, not inside a function)."""
    lines: list[int] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return
        if isinstance(node, ast.Call) and called_name(node) == callee:
            lines.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(module.tree)
    return lines


def called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def calls_to(module: Module, callee: str) -> list[int]:
    return [n.lineno for n in ast.walk(module.tree) if isinstance(n, ast.Call) and called_name(n) == callee]


def ids(modules: list[Module]) -> list[str]:
    return [m.name for m in modules]


CORE_MODULES = [m for m in MODULES if within(m.name, "bot.core")]
NOT_CONFIG = [m for m in MODULES if m.name != "bot.config"]


# -- the rules -------------------------------------------------------------------------------


def test_the_layout_has_the_packages_the_rules_talk_about() -> None:
    names = ids(MODULES)
    assert {"bot.core.engine", "bot.core.types", "bot.app", "bot.__main__", "bot.config"} <= set(names)
    assert {"bot.shell.service", "bot.shell.desk", "bot.shell.transactions"} <= set(names)
    for package in ("bot.storage", "bot.workers", "bot.core.leads", "bot.core.flows", "bot.core.calc"):
        assert any(n.startswith(f"{package}.") for n in names), package
    assert any(n.startswith("bot.channels.") for n in names)


def test_every_module_lives_in_a_layer() -> None:
    """Nothing at the top of bot/ but the composition root and the settings: a new module goes in a layer."""
    top = [n for n in ids(MODULES) if n.count(".") == 1 and n not in (*COMPOSITION_ROOT, "bot.config")]
    assert sorted(n for n in top if n not in ("bot.core", "bot.shell", "bot.storage", "bot.channels",
                                              "bot.workers", "bot.web")) == []  # fmt: skip


def test_the_lead_feature_lives_in_one_core_package() -> None:
    core_top = [n.split(".")[2] for n in ids(CORE_MODULES) if n.count(".") == 2]
    assert [n for n in core_top if n.startswith(("lead", "interest", "office", "notification"))] == ["leads"]


@pytest.mark.parametrize("module", MODULES, ids=ids(MODULES))
def test_module_imports_only_what_its_layer_may_import(module: Module) -> None:
    assert import_violations(module) == []


@pytest.mark.parametrize("module", CORE_MODULES, ids=ids(CORE_MODULES))
def test_core_module_reads_no_clock_environment_or_files(module: Module) -> None:
    assert impurities(module) == []


@pytest.mark.parametrize("module", MODULES, ids=ids(MODULES))
def test_only_the_composition_root_reads_the_system_clock(module: Module) -> None:
    """bot.app.system_clock is the one clock: the shell, the workers and the CLI are given it (a Clock)."""
    clock_reads = [found for found in impurities(module) if found.split(": ")[1].split(".")[0] in CLOCK_OWNERS]
    assert clock_reads == [] or module.name == "bot.app"


@pytest.mark.parametrize("module", MODULES, ids=ids(MODULES))
def test_only_the_composition_root_builds_settings(module: Module) -> None:
    if module.name in COMPOSITION_ROOT:
        assert calls_outside_functions(module, "Settings") == []
    else:
        assert calls_to(module, "Settings") == []


def test_settings_are_built_once_in_main() -> None:
    main = next(m for m in MODULES if m.name == "bot.__main__")
    assert len(calls_to(main, "Settings")) == 1


@pytest.mark.parametrize("module", MODULES, ids=ids(MODULES))
def test_nothing_is_built_at_import_time(module: Module) -> None:
    for callee in ("Settings", "build", "Matcher", "load_knowledge", "parse_knowledge"):
        assert calls_outside_functions(module, callee) == [], callee


@pytest.mark.parametrize("module", NOT_CONFIG, ids=ids(NOT_CONFIG))
def test_only_config_reads_the_environment(module: Module) -> None:
    assert [hit for hit in impurities(module) if hit.split(": ")[1].split(".")[-1] in ENVIRONMENT_ATTRIBUTES] == []


# -- the checker catches what it should (so the rules above cannot pass vacuously) -----------


@pytest.mark.parametrize(
    ("name", "source", "violation"),
    [
        ("bot.core.fake", "import os", "os"),
        ("bot.core.fake", "from pathlib import Path", "pathlib"),
        ("bot.core.fake", "import yaml", "yaml"),
        ("bot.core.fake", "import sqlalchemy.orm", "sqlalchemy.orm"),
        ("bot.core.fake", "from bot.storage.knowledge_files import load_knowledge", "bot.storage.knowledge_files"),
        ("bot.core.fake", "from .. import config", "bot.config"),
        ("bot.core.fake", "def f():\n    import logging", "logging"),
        ("bot.storage.fake", "from bot.channels import console", "bot.channels"),
        ("bot.storage.fake", "from bot.config import Settings", "bot.config"),
        ("bot.shell.service", "import bot.channels.telegram", "bot.channels.telegram"),
        ("bot.shell.desk", "from bot.workers import outbox", "bot.workers"),
        ("bot.storage.fake", "from bot.shell.transactions import Retry", "bot.shell.transactions"),
        ("bot.workers.fake", "from bot.config import Settings", "bot.config"),
        ("bot.web.fake", "from bot.workers import outbox", "bot.workers"),
        ("bot.channels.zalo", "from bot.channels.console import render", "bot.channels.console"),
        ("bot.channels.zalo", "from . import telegram", "bot.channels.telegram"),
        ("bot.channels.zalo", "from bot.storage import tables", "bot.storage"),
        ("bot.channels.zalo", "from bot import config", "bot.config"),
    ],
)
def test_the_import_checker_flags_a_forbidden_import(name: str, source: str, violation: str) -> None:
    assert violation in import_violations(parse_module(name, source))


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("bot.core.fake", "import re, unicodedata\nfrom decimal import Decimal\nfrom rapidfuzz import fuzz"),
        ("bot.core.fake", "from .types import Inbound\nfrom bot.core.text import fold"),
        ("bot.core.fake", "from pydantic import BaseModel, ConfigDict"),
        ("bot.channels.zalo", "from bot.core.types import Reply\nfrom bot.shell.service import handle"),
        ("bot.storage.fake", "import yaml\nfrom bot.core.knowledge import parse_knowledge"),
        ("bot.shell.fake", "from bot.storage import leads\nfrom bot.core.leads.records import Actor"),
        ("bot.workers.fake", "from bot.storage import outbox\nfrom bot.shell.replies import queue_replies"),
    ],
)
def test_the_import_checker_allows_what_the_layer_may_import(name: str, source: str) -> None:
    assert import_violations(parse_module(name, source)) == []


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import date\ntoday = date.today()",
        "import datetime\nnow = datetime.datetime.now()",
        "import os\ntoken = os.environ['TOKEN']",
        "import os\ntoken = os.getenv('TOKEN')",
        "text = open('knowledge/policy.yaml').read()",
    ],
)
def test_the_purity_checker_flags_clock_environment_and_file_reads(source: str) -> None:
    assert impurities(parse_module("bot.core.fake", source)) != []


def test_the_settings_checker_tells_import_time_from_call_time() -> None:
    module = parse_module("bot.fake", "SETTINGS = Settings()\ndef main():\n    return Settings()\n")
    assert calls_outside_functions(module, "Settings") == [1]
    assert calls_to(module, "Settings") == [1, 3]
