"""Overrides of raw scenario data: variants, ``extends`` and dotted ``--param`` paths.

An override is a nested table merged over the scenario. Tables merge key by key; lists are
replaced, except the named lists ``calls``, ``rules``, ``institutions`` and ``inventory``:
there a table keyed by name patches the entry of that name. Special keys:
``remove_rules``, ``remove_calls``, ``remove_institutions`` (lists of names) and
``add_rules``, ``add_calls``, ``add_institutions``, ``add_inventory`` (lists of tables).
"""

from __future__ import annotations

import copy
from typing import Any

from samplesim.scenario.agencies import lifted_with
from samplesim.scenario.errors import Problem

__all__ = ["NAMED_LISTS", "apply_override", "deep_merge", "set_path"]

NAMED_LISTS = {"calls": "name", "rules": "name", "institutions": "name", "inventory": "name"}


class OverrideError(ValueError):
    """An override names something that does not exist."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``over`` merged into ``base`` (tables recursively, everything else replaced)."""
    out = dict(base)
    for k, v in over.items():
        # A distribution table naming its ``dist`` replaces the old one (it may change kind).
        if isinstance(v, dict) and isinstance(out.get(k), dict) and "dist" not in v:
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _op_problems(path: str, op: str, target: str, value: Any) -> list[Problem]:
    """What is wrong with the shape of an ``add_*`` (a list of tables) or ``remove_*`` (a list
    of names) operation."""
    if not isinstance(value, list):
        what = "tables" if op == "add" else f"{target[:-1]} names"
        return [Problem(path, f"must be a list of {what}, got {type(value).__name__}")]
    want, word = (dict, "a table") if op == "add" else (str, "a name (a string)")
    return [
        Problem(f"{path}[{j}]", f"must be {word}, got {type(v).__name__}")
        for j, v in enumerate(value)
        if not isinstance(v, want)
    ]


def apply_override(raw: dict[str, Any], over: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Apply one override table to raw scenario data; raises :class:`OverrideError`."""
    out = copy.deepcopy(raw)
    problems: list[Problem] = []
    for key, value in over.items():
        path = f"{prefix}{key}"
        op, _, target = key.partition("_")
        if op in ("add", "remove") and target in NAMED_LISTS:
            shape = _op_problems(path, op, target, value)
            if shape:
                problems += shape
                continue
            items = out.setdefault(target, [])
            if not isinstance(items, list):
                problems.append(Problem(path, f"{target} of the scenario is not a list"))
                continue
            if op == "add":
                items.extend(copy.deepcopy(value))
            else:
                names = {it.get("name") for it in items if isinstance(it, dict)}
                for j, name in enumerate(value):
                    if name not in names:
                        problems.append(Problem(f"{path}[{j}]", f"no {target[:-1]} named {name!r}"))
                gone = set(value)
                if target == "rules":  # a rule's mirrors (reciprocal_to) are lifted with it
                    gone = lifted_with(items, gone)
                out[target] = [
                    it for it in items if not isinstance(it, dict) or it.get("name") not in gone
                ]
            continue
        if key in NAMED_LISTS and isinstance(value, dict):
            items = out.get(key, [])
            if not isinstance(items, list):
                problems.append(Problem(path, f"{key} of the scenario is not a list"))
                continue
            by_name = {it.get("name"): j for j, it in enumerate(items) if isinstance(it, dict)}
            for name, patch in value.items():
                if name not in by_name:
                    problems.append(Problem(f"{path}.{name}", f"no {key[:-1]} named {name!r}"))
                elif not isinstance(patch, dict):
                    problems.append(Problem(f"{path}.{name}", "must be a table of changes"))
                else:
                    items[by_name[name]] = deep_merge(items[by_name[name]], patch)
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    if problems:
        raise OverrideError(problems)
    return out


def set_path(dotted: str, value: Any) -> dict[str, Any]:
    """``"review.reviewers", 5`` -> ``{"review": {"reviewers": 5}}`` (an override table)."""
    parts = dotted.split(".")
    if not all(parts):
        raise ValueError(f"{dotted!r} is not a dotted key path")
    node: dict[str, Any] = {parts[-1]: value}
    for p in reversed(parts[:-1]):
        node = {p: node}
    return node
