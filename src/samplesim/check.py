"""Checks of a scenario against what happened: where each observed fact falls among runs.

For each ``[observed.NAME]`` fact the simulated values are taken from the ``runs`` long table
of :func:`samplesim.replicate` (one value per replication), and the observation is placed
among them:

* ``percentile`` = (#sim < obs + 0.5 · #sim == obs) / n, the mid-rank (right for counts);
* ``p_value`` = min(1, 2 · min(P(sim ≤ obs), P(sim ≥ obs))), two-sided predictive;
* ``inside_90`` = p05 ≤ obs ≤ p95 (numpy's linear percentiles of the simulated values);
* ``sim_prob`` = P(sim == obs) for count facts.

An ``[observed_joint.NAME]`` row gives ``sim_prob``, the share of replications in which every
named count fact equals its observed value at once; below its ``threshold`` the observed
combination is rare under the model. Its percentile, p-value and inside_90 are empty.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from samplesim.loading import load_scenario
from samplesim.metrics import METRICS
from samplesim.scenario import Scenario
from samplesim.scenario.observed import lead_countries
from samplesim.scenario.schema import ObservedFact

__all__ = [
    "CHECK_COLUMNS",
    "CheckResult",
    "fact_table",
    "fact_values",
    "observation_stats",
    "run_check",
]

#: Columns of ``check.csv`` (see docs/tables.md).
CHECK_COLUMNS: tuple[str, ...] = (
    "fact",
    "label",
    "type",
    "kind",
    "metric",
    "country",
    "variant",
    "observed",
    "n",
    "sim_mean",
    "sim_p05",
    "sim_p95",
    "percentile",
    "p_value",
    "inside_90",
    "sim_prob",
    "threshold",
    "source",
)


def observation_stats(sim: Any, observed: float, exact: bool = False) -> dict[str, Any]:
    """Where ``observed`` falls among the simulated values ``sim`` (NaNs are dropped).

    Returns ``n``, ``sim_mean``, ``sim_p05``, ``sim_p95``, ``percentile`` (mid-rank),
    ``p_value`` (two-sided predictive), ``inside_90`` and, with ``exact``, ``sim_prob``
    (P(sim == observed)); NaN (inside_90: None) when no value is defined.
    """
    x = np.asarray(sim, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        nan = math.nan
        return dict(n=0, sim_mean=nan, sim_p05=nan, sim_p95=nan, percentile=nan, p_value=nan,
                    inside_90=None, sim_prob=nan)  # fmt: skip
    below = float(np.count_nonzero(x < observed))
    equal = float(np.count_nonzero(x == observed))
    p05, p95 = np.percentile(x, [5, 95])
    at_most, at_least = (below + equal) / n, (n - below) / n
    return {
        "n": n,
        "sim_mean": float(x.mean()),
        "sim_p05": float(p05),
        "sim_p95": float(p95),
        "percentile": (below + 0.5 * equal) / n,
        "p_value": min(1.0, 2.0 * min(at_most, at_least)),
        "inside_90": bool(p05 <= observed <= p95),
        "sim_prob": equal / n if exact else math.nan,
    }


def _where(fact: ObservedFact, leads: list[str]) -> tuple[str, list[str] | None]:
    """(country column text, countries to sum or None for one row)."""
    if fact.countries is not None:
        return "+".join(fact.countries), list(fact.countries)
    if fact.exclude_countries is not None:
        keep = [c for c in leads if c not in fact.exclude_countries]
        return "all but " + "+".join(fact.exclude_countries), keep
    return fact.country or "ALL", None


def fact_values(runs: pd.DataFrame, fact: ObservedFact, leads: list[str]) -> pd.Series:
    """One simulated value of ``fact`` per replication (index ``replication``), from the
    ``runs`` long table (its first point); a group of countries is summed."""
    _, group = _where(fact, leads)
    df = runs[(runs["point"] == runs["point"].min()) & (runs["variant"] == fact.variant)]
    df = df[df["metric"] == fact.metric]
    reps = pd.Index(sorted(runs["replication"].unique()), name="replication")
    if group is None:
        sel = df[df["country"] == (fact.country or "ALL")].set_index("replication")["value"]
    else:
        sel = df[df["country"].isin(group)].groupby("replication")["value"].sum(min_count=1)
    return sel.groupby(level=0).first().reindex(reps).astype(float)


def _kind(is_input: bool) -> str:
    return "input" if is_input else "emergent"


def fact_table(runs: pd.DataFrame, sc: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The check table (columns :data:`CHECK_COLUMNS`, one row per fact then per joint fact)
    and the per-replication simulated values (one column per fact)."""
    leads = lead_countries(sc)
    rows, values = [], {}
    for name, f in sc.observed.items():
        m = METRICS[f.metric]
        vals = fact_values(runs, f, leads)
        values[name] = vals
        stats = observation_stats(vals.to_numpy(), f.value, exact=m.unit == "count")
        rows.append(
            dict(fact=name, label=f.label or name, type="fact", kind=_kind(f.input),
                 metric=f.metric, country=_where(f, leads)[0], variant=f.variant,
                 observed=f.value, **stats, threshold=math.nan, source=f.source)
        )  # fmt: skip
    vdf = pd.DataFrame(values)
    for name, j in sc.observed_joint.items():
        facts = [sc.observed[f] for f in j.facts]
        sub = vdf[list(j.facts)].dropna()
        hit = np.all(np.isclose(sub.to_numpy(), [f.value for f in facts], atol=1e-9), axis=1)
        label = j.label or " & ".join(f"{sc.observed[f].label or f} = {sc.observed[f].value:g}"
                                      for f in j.facts)  # fmt: skip
        rows.append(
            dict(fact=name, label=label, type="joint",
                 kind=_kind(all(f.input for f in facts)), metric="", country="",
                 variant=facts[0].variant, observed=math.nan, n=len(sub), sim_mean=math.nan,
                 sim_p05=math.nan, sim_p95=math.nan, percentile=math.nan, p_value=math.nan,
                 inside_90=None, sim_prob=float(hit.mean()) if len(sub) else math.nan,
                 threshold=j.threshold, source="")
        )  # fmt: skip
    table = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    table["inside_90"] = table["inside_90"].astype("boolean")
    return table, vdf


def verdict(table: pd.DataFrame) -> list[str]:
    """The verdict lines: facts inside the central 90 %, and each joint fact's probability."""
    facts = table[table["type"] == "fact"]
    inside = int(facts["inside_90"].fillna(False).sum())
    lines = [f"{inside} of {len(facts)} facts inside the central 90 % of the simulated runs"]
    for kind in ("input", "emergent"):
        part = facts[facts["kind"] == kind]
        if len(part):
            out = ", ".join(part.loc[~part["inside_90"].fillna(False), "fact"]) or "none"
            lines.append(f"  {kind}: {int(part['inside_90'].fillna(False).sum())} of "
                         f"{len(part)} inside; outside: {out}")  # fmt: skip
    for _, r in table[table["type"] == "joint"].iterrows():
        rare = "rare" if r["sim_prob"] < r["threshold"] else "not rare"
        lines.append(
            f"together, {r['label']}: simulated probability {r['sim_prob']:.3f} "
            f"({round(r['sim_prob'] * r['n'])} of {r['n']} runs; {rare} at threshold "
            f"{r['threshold']:g})"
        )
    return lines


@attrs.frozen
class CheckResult:
    """A check: the table, the simulated values per fact, the runs and the scenario."""

    table: pd.DataFrame
    values: pd.DataFrame
    runs: pd.DataFrame
    scenario: Scenario
    replications: int
    executed: int = 0
    wall: float = 0.0
    executor: str = ""


def run_check(
    scenario: str | Path,
    replications: int = 200,
    *,
    seed: int = 1,
    executor: str = "auto",
    jobs: int | None = None,
    plugins: list[str] | None = None,
    quiet: bool = True,
) -> CheckResult:
    """Run the baseline (and every variant a fact names) ``replications`` times on common
    random numbers and place each observed fact among the runs (see the module docstring).

    Raises:
        ScenarioError: for a bad scenario; ``UserError`` when it has no ``[observed]`` facts.
    """
    from samplesim import replicate
    from samplesim.errors import UserError

    sc = load_scenario(scenario)
    if not sc.observed:
        raise UserError(f"{scenario}: the scenario has no [observed] facts to check")
    frames, executed, wall, label = [], 0, 0.0, ""
    for variant in dict.fromkeys(f.variant for f in sc.observed.values()):
        res = replicate(
            scenario, replications, seed=seed, variant=None if variant == "baseline" else variant,
            executor=executor, jobs=jobs, plugins=plugins, quiet=quiet,
        )  # fmt: skip
        frames.append(res.runs)
        executed, wall, label = executed + res.executed, wall + res.wall, res.executor
    runs = pd.concat(frames, ignore_index=True)
    table, values = fact_table(runs, sc)
    return CheckResult(table, values, runs, sc, replications, executed, wall, label)
