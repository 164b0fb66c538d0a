"""Loading scenario files: TOML parsing, ``extends``, dates, variants, validation.

Nothing in a scenario file is ever executed: it is parsed with :mod:`tomllib` and
structured into plain attrs classes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import attrs

from samplesim.scenario.checks import Registries, check_scenario, check_warnings
from samplesim.scenario.convert import DAY_KEYS, structure
from samplesim.scenario.errors import Problem, ScenarioError, ScenarioWarning
from samplesim.scenario.overrides import OverrideError, apply_override, deep_merge
from samplesim.scenario.per_call import check_calls, inherited_once, merge_call_settings
from samplesim.scenario.reading import read_toml
from samplesim.scenario.schema import Scenario
from samplesim.scenario.sizes import hard_problems, soft_problems

__all__ = [
    "build_scenario",
    "load_raw",
    "load_scenario",
    "raw_digest",
    "scenario_variants",
    "validate_file",
]

_MAX_EXTENDS = 8


def load_raw(path: str | Path, _depth: int = 0) -> dict[str, Any]:
    """The raw TOML data of ``path`` with any ``extends = "base.toml"`` chain merged in.

    The extending file is applied to its base as an override (see ``overrides``); the base's
    own ``[variants]`` are not inherited.
    """
    path = Path(path)
    source = str(path)
    raw = read_toml(path, source)
    base_ref = raw.pop("extends", None)
    if base_ref is None:
        return raw
    if not isinstance(base_ref, str):
        raise ScenarioError(source, [Problem("extends", "must be a path string")])
    if _depth >= _MAX_EXTENDS:
        raise ScenarioError(source, [Problem("extends", "chain is too deep (a cycle?)")])
    base_path = path.parent / base_ref
    with contextlib.suppress(OSError, RuntimeError):  # a symlink loop: read_toml says so
        base_path = base_path.resolve()
    if not base_path.exists() and not base_path.is_symlink():
        raise ScenarioError(source, [Problem("extends", f"base scenario {base_ref!r} not found")])
    try:
        base = load_raw(base_path, _depth + 1)
    except ScenarioError as exc:
        if any(p.path for p in exc.problems) or exc.source != str(base_path):
            raise
        # The base file cannot be read: say so at this file's ``extends`` key.
        problems = [Problem("extends", f"{base_ref}: {p.message}") for p in exc.problems]
        raise ScenarioError(source, problems) from None
    base.pop("variants", None)  # variants belong to the file that declares them
    try:
        return apply_override(base, raw)
    except OverrideError as exc:
        raise ScenarioError(source, exc.problems) from None


def raw_digest(raw: dict[str, Any]) -> str:
    """A stable SHA-256 of raw scenario data (key order and formatting do not matter)."""
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _to_day(value: Any, start: dt.date) -> Any:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float((value - start).days)
    return value


def _convert_dates(node: Any, start: dt.date) -> Any:
    """Turn TOML dates given for ``*_day`` / ``*_days`` keys (and ``DAY_KEYS``: a rule's
    ``from`` and ``until``) into day numbers."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if isinstance(k, str) and (k.endswith(("_day", "_days")) or k in DAY_KEYS):
                v = [_to_day(x, start) for x in v] if isinstance(v, list) else _to_day(v, start)
            out[k] = _convert_dates(v, start)
        return out
    if isinstance(node, list):
        return [_convert_dates(x, start) for x in node]
    return node


def _start_date(raw: dict[str, Any]) -> dt.date | None:
    sd = raw.get("start_date")
    if isinstance(sd, dt.datetime):
        return sd.date()
    if isinstance(sd, dt.date):
        return sd
    if isinstance(sd, str):
        try:
            return dt.date.fromisoformat(sd)
        except ValueError:
            return None
    return None


def _structure_checked(
    raw: dict[str, Any], source: str, known: Registries | None, prefix: str = ""
) -> tuple[Scenario | None, list[Problem]]:
    start = _start_date(raw)
    data = _convert_dates(raw, start) if start is not None else raw
    data, refused = merge_call_settings(data)
    sc, problems = structure(data, Scenario)
    problems = refused + inherited_once(problems)
    if sc is not None and refused:
        sc = None
    if sc is not None:
        # Sizes first: the other checks may overflow on a value past a hard limit. Soft
        # limits are checked in the process that loads the file (known given), not again in
        # workers rebuilding data it checked (possibly under --force).
        problems = hard_problems(sc) + check_calls(sc, hard_problems)
        if not problems:
            problems = check_scenario(sc, known)
            if known is not None:
                problems += soft_problems(sc) + check_calls(sc, soft_problems)
    if prefix:
        problems = [Problem(f"{prefix}{p.path}", p.message) for p in problems]
    return (sc if not problems else None), problems


def scenario_variants(raw: dict[str, Any]) -> list[str]:
    """Names of the variants declared in raw scenario data (``[variants.NAME]``)."""
    v = raw.get("variants", {})
    return list(v) if isinstance(v, dict) else []


def build_scenario(
    raw: dict[str, Any],
    source: str = "<scenario>",
    variant: str | None = None,
    overrides: list[dict[str, Any]] | None = None,
    check_variants: bool = True,
    known: Registries | None = None,
) -> Scenario:
    """Structure and check raw data, optionally applying a variant and extra overrides.

    Policy and effect names are checked against ``known`` only: callers outside this layer
    use :func:`samplesim.loading.build_scenario`, which hands in the live registries (None
    is for data whose names were checked already, as in worker processes).

    Raises:
        ScenarioError: listing every problem, each with its key path.
    """
    digest = raw_digest(raw)
    problems: list[Problem] = []
    variants = raw.get("variants", {})
    if not isinstance(variants, dict):
        raise ScenarioError(source, [Problem("variants", "must be a table of variant tables")])
    base, base_problems = _structure_checked(raw, source, known)
    problems += base_problems
    if check_variants:
        for name, over in variants.items():
            if not isinstance(over, dict):
                problems.append(Problem(f"variants.{name}", "must be a table of overrides"))
                continue
            if "variants" in over:
                problems.append(Problem(f"variants.{name}.variants", "variants cannot nest"))
                continue
            if fixed := [k for k in ("observed", "observed_joint") if k in over]:
                problems.append(
                    Problem(
                        f"variants.{name}.{fixed[0]}",
                        "a variant cannot change what happened; give a fact variant = "
                        f"{name!r} instead",
                    )
                )
                continue
            try:
                merged = apply_override(raw, over, prefix=f"variants.{name}.")
            except OverrideError as exc:
                problems += exc.problems
                continue
            _, vp = _structure_checked(merged, source, known, prefix=f"variants.{name}.")
            # A problem the base already has is reported once, for the base.
            seen = {(p.path, p.message) for p in base_problems}
            cut = len(f"variants.{name}.")
            problems += [p for p in vp if (p.path[cut:], p.message) not in seen]
    if problems:
        raise ScenarioError(source, problems)
    data = raw
    name = "baseline"
    if variant is not None and variant != "baseline":
        if variant not in variants:
            known = ", ".join(["baseline", *variants]) or "none"
            raise ScenarioError(
                source, [Problem("variants", f"no variant named {variant!r} (known: {known})")]
            )
        data = apply_override(raw, variants[variant])
        name = variant
    for over in overrides or []:
        try:
            data = apply_override(data, over)
        except OverrideError as exc:
            raise ScenarioError(source, exc.problems) from None
    if data is not raw:
        sc, problems = _structure_checked(data, source, known)
        if problems:
            raise ScenarioError(source, problems)
    else:
        sc = base
    assert sc is not None
    return attrs.evolve(sc, source=source, variant=name, digest=digest)


def load_scenario(
    path: str | Path,
    variant: str | None = None,
    overrides: list[dict[str, Any]] | None = None,
    known: Registries | None = None,
    _stacklevel: int = 2,
) -> Scenario:
    """Load, check and return the scenario in ``path`` (optionally one of its variants);
    names checked against ``known`` (see :func:`build_scenario`; callers outside this
    layer use :func:`samplesim.loading.load_scenario`).

    Emits a :class:`ScenarioWarning` for each :func:`check_warnings` finding.

    Raises:
        ScenarioError: naming the file and the key path of every problem.
    """
    raw = load_raw(path)
    sc = build_scenario(raw, source=str(path), variant=variant, overrides=overrides, known=known)
    for w in check_warnings(sc):
        warnings.warn(ScenarioWarning(f"{path}: {w}"), stacklevel=_stacklevel)
    return sc


def validate_file(path: str | Path, known: Registries | None = None) -> list[Problem]:
    """Every problem in the scenario file ``path`` (an empty list when it is valid)."""
    try:
        load_scenario(path, known=known)
    except ScenarioError as exc:
        return exc.problems
    return []


def merge_tables(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge exported for callers composing raw scenario data."""
    return deep_merge(base, over)
