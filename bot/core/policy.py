"""Policy parameters: dated values with their legal basis, and formulas derived from them.

A `Figure` is a value looked up for one date, carrying everything needed to state it honestly:
its unit, the legal bases it rests on, and whether any input is marked uncertain.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from bot.core.file_schema import Fault, KnowledgeFileError, fault_at, validated
from bot.core.knowledge_schema import PolicyFile

# Said of an uncertain value whose `caveat` policy.yaml leaves empty (`kb validate` warns about it).
DEFAULT_CAVEAT = "số liệu này chưa được xác nhận chính thức, bạn hỏi lại cơ quan BHXH trước khi dùng"


class PolicyError(KnowledgeFileError):
    """A parameter is unknown, has no value on a date, or is malformed."""


@dataclass(frozen=True)
class DatedValue:
    start: date
    value: Decimal
    basis: str
    uncertain: bool = False
    caveat: str = ""


@dataclass(frozen=True)
class Param:
    name: str
    title: str
    unit: str
    values: tuple[DatedValue, ...]  # sorted by start


@dataclass(frozen=True)
class Derived:
    name: str
    title: str
    unit: str
    formula: str
    basis: str = ""


@dataclass(frozen=True)
class Figure:
    value: Decimal
    unit: str
    bases: tuple[str, ...]
    uncertain: bool = False
    caveats: tuple[str, ...] = ()


_OPERATORS: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def formula_names(formula: str) -> set[str]:
    """The parameter names a formula uses; raises PolicyError on anything but arithmetic."""
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise PolicyError(f"công thức sai cú pháp: {formula!r}") from exc
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif not isinstance(node, (ast.Expression, ast.BinOp, ast.Constant, ast.Load, *_OPERATORS)):
            raise PolicyError(f"công thức chỉ được dùng + - * / và số: {formula!r}")
    return names


def _dated_figure(param: Param, dated: DatedValue) -> Figure:
    caveats = (dated.caveat or DEFAULT_CAVEAT,) if dated.uncertain else ()
    return Figure(dated.value, param.unit, (dated.basis,), dated.uncertain, caveats)


def _merge(figures: list[Figure], own_basis: str) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    bases = ([own_basis] if own_basis else []) + [b for f in figures for b in f.bases]
    caveats = [c for f in figures for c in f.caveats]
    return tuple(dict.fromkeys(bases)), any(f.uncertain for f in figures), tuple(dict.fromkeys(caveats))


@dataclass(frozen=True)
class Policy:
    params: Mapping[str, Param]
    derived: Mapping[str, Derived]

    def names(self) -> set[str]:
        return set(self.params) | set(self.derived)

    def title(self, name: str) -> str:
        item = self.params.get(name) or self.derived.get(name)
        if item is None:
            raise PolicyError(f"không có tham số {name!r} trong policy.yaml")
        return item.title

    def figure(self, name: str, on: date) -> Figure:
        """The value of a parameter or derived figure in force on a date."""
        if name in self.params:
            return self._param_figure(self.params[name], on)
        if name in self.derived:
            return self._derived_figure(self.derived[name], on, depth=0)
        raise PolicyError(f"không có tham số {name!r} trong policy.yaml")

    def value(self, name: str, on: date) -> Decimal:
        return self.figure(name, on).value

    def _param_figure(self, param: Param, on: date) -> Figure:
        current = None
        for dated in param.values:
            if dated.start <= on:
                current = dated
        if current is None:
            raise PolicyError(f"{param.name} chưa có giá trị vào ngày {on:%d/%m/%Y}")
        return _dated_figure(param, current)

    def confirmed_figure(self, name: str, on: date) -> Figure:
        """The value of a parameter in force on a date or, when that value is uncertain, the last value
        before it that is not: a figure announced but not confirmed does not yet replace the one it would
        replace. With no confirmed value up to that date, the value in force (uncertain) is all there is."""
        param = self._param(name)
        in_force = self._param_figure(param, on)
        if not in_force.uncertain:
            return in_force
        confirmed = [dated for dated in param.values if dated.start <= on and not dated.uncertain]
        return _dated_figure(param, confirmed[-1]) if confirmed else in_force

    def changes(self, name: str, after: date, until: date) -> tuple[date, ...]:
        """The days after `after`, up to `until` included, on which a parameter takes a new value."""
        return tuple(dated.start for dated in self._param(name).values if after < dated.start <= until)

    def _param(self, name: str) -> Param:
        if name not in self.params:
            raise PolicyError(f"không có tham số {name!r} trong phần params của policy.yaml")
        return self.params[name]

    def _derived_figure(self, derived: Derived, on: date, depth: int) -> Figure:
        if depth > 20:
            raise PolicyError(f"công thức {derived.name} tự tham chiếu vòng tròn")
        used: list[Figure] = []

        def evaluate(node: ast.AST) -> Decimal:
            if isinstance(node, ast.Expression):
                return evaluate(node.body)
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                return Decimal(str(node.value))
            if isinstance(node, ast.Name):
                if node.id in self.derived:
                    fig = self._derived_figure(self.derived[node.id], on, depth + 1)
                elif node.id in self.params:
                    fig = self._param_figure(self.params[node.id], on)
                else:
                    raise PolicyError(f"công thức {derived.name} dùng tham số không có: {node.id}")
                used.append(fig)
                return fig.value
            if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
                try:
                    return _OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
                except (DivisionByZero, InvalidOperation) as exc:
                    raise PolicyError(f"công thức {derived.name} chia cho 0 vào ngày {on:%d/%m/%Y}") from exc
            raise PolicyError(f"công thức {derived.name} không hợp lệ")

        formula_names(derived.formula)
        result = evaluate(ast.parse(derived.formula, mode="eval"))
        bases, uncertain, caveats = _merge(used, derived.basis)
        return Figure(result, derived.unit, bases, uncertain, caveats)


def parse_policy(raw: Any, file: str = "policy.yaml") -> Policy:
    """Build a Policy from the parsed policy.yaml; raises PolicyError with the place of every fault."""
    spec = validated(PolicyFile, raw, file, PolicyError)
    params = {
        name: Param(
            name,
            param.title or name,
            param.unit,
            tuple(DatedValue(v.start, v.value, v.basis, v.uncertain, v.caveat) for v in param.values),
        )
        for name, param in spec.params.items()
    }
    faults: list[Fault] = []
    derived: dict[str, Derived] = {}
    for name, item in spec.derived.items():
        if name in params:
            faults.append(fault_at(file, raw, ("derived", name), f"{name}: trùng tên với một tham số"))
            continue
        try:
            formula_names(item.formula)
        except PolicyError as exc:
            faults.append(fault_at(file, raw, ("derived", name, "formula"), f"{name}: {exc}"))
            continue
        derived[name] = Derived(name, item.title or name, item.unit, item.formula, item.basis)
    policy = Policy(params, derived)
    for figure in derived.values():
        if missing := formula_names(figure.formula) - policy.names():
            unknown = ", ".join(sorted(missing))
            where = ("derived", figure.name, "formula")
            faults.append(fault_at(file, raw, where, f"{figure.name}: công thức dùng tham số không có: {unknown}"))
    if faults:
        raise PolicyError(*faults)
    return policy
