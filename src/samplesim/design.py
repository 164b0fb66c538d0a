"""Sweep designs: which parameter values each sweep point runs.

A parameter is a dotted key path of the scenario (``review.reviewers``,
``allocation.max_share``, ``rules.wolf-amendment.success_probability`` - named lists are
addressed by name) with a range ``low:high``. Designs:

- ``grid``: every combination of ``levels`` evenly spaced values per parameter
  (``levels ** D`` points);
- ``lhs``: a Latin hypercube of ``samples`` points (``SALib.sample.latin``);
- ``sobol``: Saltelli/Sobol' sampling (``SALib.sample.sobol``, first and total order, no
  second order) giving ``samples * (D + 2)`` points. SALib requires ``samples`` to be a power
  of two (the Sobol' sequence keeps its balance properties only then); we refuse anything
  else. Sobol' indices come from :mod:`samplesim.sensitivity` (noise-aware: replications,
  noise-variance correction, bootstrap intervals, a dummy parameter);
- ``morris``: Morris trajectories (``SALib.sample.morris``) for screening many parameters:
  ``samples`` trajectories (at least 2) on a ``levels``-level grid (even, default 4) over the
  parameters plus an inert dummy column, ``samples * (D + 2)`` points; needs at least two
  parameters. Effects come from :mod:`samplesim.morris`.

Integer-typed keys (those whose scenario value is an ``int``, e.g. ``review.reviewers``) are
rounded to the nearest integer at every point (grid levels are then de-duplicated).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pandas as pd

from samplesim.errors import UserError
from samplesim.loading import build_scenario
from samplesim.scenario import Scenario, ScenarioError, set_path
from samplesim.scenario.overrides import NAMED_LISTS

__all__ = [
    "DESIGNS",
    "MORRIS_LEVELS",
    "Param",
    "check_design_size",
    "make_points",
    "parse_param",
    "problem",
]

DESIGNS = ("grid", "lhs", "sobol", "morris")
#: Morris grid levels unless told otherwise.
MORRIS_LEVELS = 4


@attrs.frozen
class Param:
    """One swept parameter: key path, range, and whether values are rounded to integers."""

    path: str
    low: float
    high: float
    integer: bool = False

    def value(self, x: float) -> int | float:
        return int(np.rint(x)) if self.integer else float(x)


def parse_param(spec: str) -> tuple[str, float, float]:
    """``"review.reviewers=5:40"`` -> ``("review.reviewers", 5.0, 40.0)``."""
    path, eq, rng = spec.partition("=")
    lo, colon, hi = rng.partition(":")
    path = path.strip()
    if not eq or not colon or not path or any(not p for p in path.split(".")):
        raise UserError(
            f"params {spec!r}: expected PATH=LOW:HIGH, e.g. review.reviewers=5:40", "params"
        )
    try:
        low, high = float(lo), float(hi)
    except ValueError:
        raise UserError(f"params {spec!r}: LOW and HIGH must be numbers", "params") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise UserError(f"params {spec!r}: need finite LOW < HIGH", "params")
    return path, low, high


def _current_value(sc: Scenario, path: str) -> Any:
    """The scenario's value at ``path`` (named lists addressed by name), or None."""
    node: Any = sc
    parts = path.split(".")
    i = 0
    while i < len(parts):
        key = parts[i]
        if isinstance(node, dict):
            node = node.get(key)
        elif key in NAMED_LISTS and i + 1 < len(parts) and hasattr(node, key):
            items = getattr(node, key)
            node = next((it for it in items if getattr(it, "name", None) == parts[i + 1]), None)
            i += 1
        else:
            node = getattr(node, key, None)
        if node is None:
            return None
        i += 1
    return node


def make_params(
    raw: dict[str, Any],
    source: str,
    specs: dict[str, tuple[float, float]],
    variant: str | None = None,
) -> list[Param]:
    """Check every swept parameter and type it (int or float).

    The scenario is built with each parameter at its low and at its high end; a path that does
    not exist or a value the scenario rejects is a :class:`UserError` naming the parameter.
    """
    if not specs:
        raise UserError("params: a sweep needs at least one parameter", "params")
    base = build_scenario(raw, source, variant=variant)
    params = []
    for path, (low, high) in specs.items():
        if not low < high:
            raise UserError(f"params {path}: need LOW < HIGH (got {low:g}:{high:g})", "params")
        current = _current_value(base, path)
        integer = isinstance(current, int) and not isinstance(current, bool)
        p = Param(path, float(low), float(high), integer)
        if integer and p.value(low) == p.value(high):
            raise UserError(
                f"params {path}: integer range {low:g}:{high:g} holds one value", "params"
            )
        for end in (low, high):
            try:
                build_scenario(
                    raw,
                    source,
                    variant=variant,
                    overrides=[set_path(path, p.value(end))],
                    check_variants=False,
                )
            except ScenarioError as exc:
                msgs = "; ".join(f"{q.path}: {q.message}" for q in exc.problems)
                raise UserError(
                    f"params {path}={p.value(end)!r} is not valid: {msgs}", "params"
                ) from None
        params.append(p)
    return params


def problem(params: list[Param]) -> dict[str, Any]:
    """The SALib problem definition."""
    return {
        "num_vars": len(params),
        "names": [p.path for p in params],
        "bounds": [[p.low, p.high] for p in params],
    }


def check_design_size(
    params: list[Param], design: str, samples: int | None, levels: dict[str, int] | int
) -> int:
    """The number of points the design makes; UserError for ``levels`` naming an unknown
    parameter, or ``samples``, ``levels`` or the points over their limits."""
    from samplesim.errors import check_count
    from samplesim.limits import MAX_LEVELS, MAX_RUNS, MAX_SAMPLES

    paths = [p.path for p in params]
    if isinstance(levels, dict):
        unknown = [k for k in levels if k not in paths]
        if unknown:
            raise UserError(
                f"levels: {', '.join(unknown)} is not a swept parameter (swept: "
                f"{', '.join(paths)})",
                "levels",
            )
        per = [levels.get(p, 5) for p in paths]
    else:
        per = [levels] * len(paths)
    if design == "grid":
        n = 1
        for k in per:
            n *= check_count(k, "levels", 2, MAX_LEVELS)
    elif design == "morris":
        _check_morris(params, samples, levels)
        assert samples is not None
        n = samples * (len(paths) + 2)
    else:
        if samples is None:
            return 0  # make_points says samples is required
        n = check_count(samples, "samples", 1, MAX_SAMPLES)
        n *= len(paths) + 2 if design == "sobol" else 1
    if n > MAX_RUNS:
        raise UserError(
            f"the {design} design makes {n} points, over the limit of {MAX_RUNS}",
            "levels" if design == "grid" else "samples",
        )
    return n


def _check_morris(params: list[Param], samples: int | None, levels: dict[str, int] | int) -> None:
    """UserError unless the Morris design can be made: two or more parameters, ``samples``
    >= 2 trajectories, one even number of ``levels``."""
    from samplesim.errors import check_count
    from samplesim.limits import MAX_LEVELS, MAX_SAMPLES

    if len(params) < 2:
        raise UserError(
            "params: the morris design screens two or more parameters (one given); "
            "use lhs or grid for one",
            "params",
        )
    if samples is None or check_count(samples, "samples", 1, MAX_SAMPLES) < 2:
        raise UserError(
            f"samples {samples}: the morris design needs N >= 2 trajectories "
            "(its intervals bootstrap over them)",
            "samples",
        )
    if isinstance(levels, dict):
        raise UserError("levels: the morris design takes one number of levels (N)", "levels")
    check_count(levels, "levels", 2, MAX_LEVELS)
    if levels % 2:
        raise UserError(f"levels {levels}: the morris design needs an even number", "levels")


def make_points(
    params: list[Param],
    design: str = "lhs",
    samples: int | None = None,
    levels: dict[str, int] | int = 5,
    seed: int = 1,
) -> pd.DataFrame:
    """The ``points`` table: ``point`` plus one column per parameter path."""
    if design not in DESIGNS:
        raise UserError(f"unknown design {design!r} (choose from {', '.join(DESIGNS)})", "design")
    names = [p.path for p in params]
    if design == "grid":
        per = {
            p.path: (levels.get(p.path, 5) if isinstance(levels, dict) else levels) for p in params
        }
        axes = []
        for p in params:
            k = per[p.path]
            if k < 2:
                raise UserError(f"levels for {p.path} must be at least 2", "levels")
            vals = [p.value(x) for x in np.linspace(p.low, p.high, k)]
            axes.append(list(dict.fromkeys(vals)))
        mesh = np.meshgrid(*[np.asarray(a, dtype=float) for a in axes], indexing="ij")
        matrix = np.column_stack([m.ravel() for m in mesh])
    else:
        if samples is None or samples < 1:
            raise UserError(f"samples N (N >= 1) is required for the {design} design", "samples")
        if design == "lhs":
            from SALib.sample import latin

            matrix = latin.sample(problem(params), samples, seed=seed)
        elif design == "morris":
            from samplesim.morris import morris_matrix

            _check_morris(params, samples, levels)
            assert isinstance(levels, int)
            pb = problem(params)
            matrix = morris_matrix(pb["names"], pb["bounds"], samples, levels, seed)[:, :-1]
        else:
            from SALib.sample import sobol

            if samples < 2 or samples & (samples - 1):
                raise UserError(
                    f"samples {samples}: the Sobol' design needs a power of two "
                    "(e.g. 64, 128, 256); it runs N * (D + 2) points",
                    "samples",
                )
            matrix = sobol.sample(problem(params), samples, calc_second_order=False, seed=seed)
    df = pd.DataFrame({"point": np.arange(len(matrix), dtype="int64")})
    for j, p in enumerate(params):
        col = [p.value(x) for x in matrix[:, j]]
        df[names[j]] = pd.Series(col, dtype="int64" if p.integer else "float64")
    return df
