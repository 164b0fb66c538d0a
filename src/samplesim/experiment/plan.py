"""An experiment's plan: its scenario, seed, variants and sweep points, the runs they make
(``(point, variant, replication)`` with run keys), its identity (``spec``) and manifest."""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pandas as pd

from samplesim.design import Param
from samplesim.errors import UserError, check_seed
from samplesim.experiment.resolve import Resolved, load_plugins_for_workers, resolve
from samplesim.loading import build_scenario
from samplesim.metrics import METRIC_NAMES
from samplesim.run_output import make_manifest
from samplesim.scenario import Scenario, raw_digest
from samplesim.store import run_key
from samplesim.worker import RunSpec, Task

__all__ = [
    "DEFAULT_PRECISION_CAP",
    "Plan",
    "check_country",
    "make_manifest_of",
    "make_plan",
    "parse_precision",
]

#: The most replications a precision target may add when no cap is given (command line).
DEFAULT_PRECISION_CAP = 1000


@attrs.define
class Plan:
    kind: str
    raw: dict[str, Any]
    source: str
    digest: str
    base: Scenario
    seed: int
    variants: list[str]
    points: pd.DataFrame  # point + one column per param (one row, no params, when no sweep)
    params: list[Param] = attrs.Factory(list)
    extra: dict[str, Any] = attrs.Factory(dict)
    scenario: Scenario | None = None  # the caller's object (see resolve)
    label: str = "baseline"  # the variant that ``raw`` itself is
    plugins: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    shipped: dict[str, dict[str, Any]] = attrs.Factory(dict)
    exact: bool = True  # whether ``raw`` rebuilds ``scenario`` exactly (params need it)

    def task(self, runs: list[RunSpec], shipped: bytes | None) -> Task:
        return Task(
            self.raw, self.source, self.digest, self.seed, tuple(runs),
            self.scenario, self.label, self.plugins, shipped, self.modules,
        )  # fmt: skip

    def point_params(self) -> list[tuple[int, tuple[tuple[str, Any], ...]]]:
        names = [p.path for p in self.params]
        out = []
        for row in self.points.itertuples(index=False):
            vals = row[1:]
            out.append((int(row[0]), tuple((n, _py(v)) for n, v in zip(names, vals, strict=True))))
        return out

    def runs(self, replications: range) -> list[RunSpec]:
        specs = []
        for point, params in self.point_params():
            for v in self.variants:
                for r in replications:
                    key = run_key(self.digest, v, point, r, self.seed, [list(x) for x in params])
                    specs.append(RunSpec(key, point, v, params, r))
        return specs

    def spec(self) -> dict[str, Any]:
        """The experiment's identity (what ``--resume`` must match)."""
        return {
            "kind": self.kind,
            "scenario_digest": self.digest,
            "seed": self.seed,
            "variants": self.variants,
            "params": [[p.path, p.low, p.high, p.integer] for p in self.params],
            "points": self.points.to_dict(orient="records") if self.params else [],
            **self.extra,
        }


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def make_plan(
    kind: str, scenario: Any, seed: Any, variants: list[str] | None, plugins: Any = None
) -> Plan:
    seed = check_seed(seed)
    names, modules, by_value = load_plugins_for_workers(plugins)
    res = scenario if isinstance(scenario, Resolved) else resolve(scenario)
    raw, source = res.raw, res.source
    if res.scenario is not None and not res.exact:
        # The object's data does not rebuild it: run the object itself, nothing derived.
        base = attrs.evolve(res.scenario, digest=raw_digest(raw))
    else:
        base = build_scenario(raw, source)  # checks the scenario and all its variants
    digest = raw_digest(raw)
    if variants is None:
        variants = [res.default_variant or res.label]
    derived = [v for v in variants if v != res.label]
    if derived and res.scenario is not None and (res.label != "baseline" or not res.exact):
        why = (
            f"it is already variant {res.label!r}"
            if res.label != "baseline"
            else "its data cannot be rebuilt from its attributes"
        )
        raise UserError(
            f"variants {derived!r} cannot be applied to this edited Scenario ({why}); "
            "pass the baseline Scenario or the scenario file",
            param="variants",
        )
    for v in derived:
        build_scenario(raw, source, variant=v, check_variants=False)  # unknown name -> error
    if res.scenario is not None:
        base = attrs.evolve(res.scenario, digest=digest)
    points = pd.DataFrame({"point": np.zeros(1, dtype="int64")})
    return Plan(
        kind, raw, source, digest, base, seed, variants, points,
        scenario=res.scenario, label=res.label, plugins=names, modules=modules, shipped=by_value,
        exact=res.exact,
    )  # fmt: skip


def _countries(raw: Any) -> set[str]:
    """Every ``country`` string in raw scenario data (variants included), without recursion."""
    found: set[str] = set()
    stack = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            c = node.get("country")
            if isinstance(c, str):
                found.add(c)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def check_country(plan: Plan, country: str, param: str) -> None:
    """UserError unless ``country`` is ``ALL`` or a country of the plan's scenario."""
    known = {"ALL", *plan.base.countries, *_countries(plan.raw)}
    if country not in known:
        raise UserError(
            f"{param}: unknown country {country!r} (known: {', '.join(sorted(known))})",
            param=param,
        )


def parse_precision(spec: str | tuple[str, float] | None) -> tuple[str, str, float] | None:
    """``"approved=0.5"`` / ``"approved@US=0.5"`` -> (metric, country, half-width)."""
    if spec is None:
        return None
    if isinstance(spec, tuple):
        target, hw = spec
        spec = f"{target}={hw}"
    lhs, eq, rhs = str(spec).partition("=")
    metric, _, country = lhs.strip().partition("@")
    country = country or "ALL"
    try:
        hw = float(rhs)
    except ValueError:
        hw = float("nan")
    if not eq or not metric or not (hw > 0 and math.isfinite(hw)):
        raise UserError(
            f"precision {spec!r}: expected METRIC[@COUNTRY]=HALFWIDTH (> 0)", param="precision"
        )
    if metric not in METRIC_NAMES:
        raise UserError(
            f"precision: unknown metric {metric!r} (known: {', '.join(METRIC_NAMES)})",
            param="precision",
        )
    return metric, country, hw


def make_manifest_of(plan: Plan, replications: int, **extra: Any) -> dict[str, Any]:
    sc = plan.base
    return make_manifest(
        sc,
        kind=plan.kind,
        seed=plan.seed,
        variants=plan.variants,
        replications=replications,
        params={p.path: [p.low, p.high] for p in plan.params},
        spec=plan.spec(),
        **extra,
    )
