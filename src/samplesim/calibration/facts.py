"""The observed facts a calibration fits: the scenario's ``[observed]`` table or a facts file.

A facts file is TOML holding ``[observed.NAME]`` tables in the scenario's own format (see
README "Checking a scenario against what happened"); it replaces the scenario's facts and is
checked by the same validator, with errors naming the facts file and the key path.
:func:`fact_value` computes one fact from one run's :func:`samplesim.metrics.summarize`
arrays, exactly as :func:`samplesim.check.fact_values` does from the runs table.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from samplesim.errors import UserError
from samplesim.loading import build_scenario
from samplesim.metrics import METRICS
from samplesim.scenario import Problem, Scenario, ScenarioError, load_raw
from samplesim.scenario.schema import ObservedFact

__all__ = ["fact_group", "fact_value", "fact_where", "load_facts"]

#: Top-level tables a facts file may hold.
FACT_TABLES = ("observed",)


def load_facts(raw: dict[str, Any], source: str, observed: str | Path | None) -> Scenario:
    """The scenario (baseline) whose ``observed`` facts are to be fitted: the file's own
    facts, or those of the facts file ``observed``. Joint facts are dropped (a calibration
    fits the single facts; ``samplesim check`` judges combinations).

    Raises:
        ScenarioError: the scenario or facts file is invalid (naming that file);
        UserError: there is no fact to fit.
    """
    if observed is None:
        sc = build_scenario(raw, source)
        where = f"{source}: no facts to fit: give observed (a TOML file of facts) or add facts"
    else:
        path = Path(observed)
        if not path.is_file():
            raise UserError(f"observed {path}: no such file", param="observed")
        facts = load_raw(path)
        extra = [k for k in facts if k not in FACT_TABLES]
        if extra:
            problems = [Problem(k, "a facts file holds only [observed.NAME] tables") for k in extra]
            raise ScenarioError(str(path), problems)
        build_scenario(raw, source)  # the scenario's own problems name the scenario
        merged = {**raw, "observed": facts.get("observed", {}), "observed_joint": {}}
        sc = build_scenario(merged, str(path))
        where = f"observed {path}: holds no [observed.NAME] facts"
    if not sc.observed:
        raise UserError(where, param="observed")
    return sc


def fact_group(fact: ObservedFact, leads: list[str]) -> list[str] | None:
    """The countries a group fact sums, or None for a single row (``country`` or ALL)."""
    if fact.countries is not None:
        return list(fact.countries)
    if fact.exclude_countries is not None:
        return [c for c in leads if c not in fact.exclude_countries]
    return None


def fact_value(
    labels: list[str], values: dict[str, np.ndarray], fact: ObservedFact, leads: list[str]
) -> float:
    """The value of ``fact`` in one run (``summarize`` output); NaN when undefined. A group
    of countries is summed over the countries present (NaN if none has a value)."""
    m = METRICS[fact.metric]
    v = np.asarray(values[fact.metric], dtype=float)
    group = fact_group(fact, leads)
    if group is None:
        where = fact.country or "ALL"
        if m.scope == "all":
            return float(v[-1]) if where == "ALL" else math.nan
        return float(v[labels.index(where)]) if where in labels else math.nan
    sel = v[[i for i, c in enumerate(labels) if c in group and c != "ALL"]]
    sel = sel[np.isfinite(sel)]
    return float(sel.sum()) if len(sel) else math.nan


def fact_where(fact: ObservedFact, leads: list[str]) -> str:
    """The ``country`` column text of a fact (as in ``check.csv``)."""
    if fact.countries is not None:
        return "+".join(fact.countries)
    if fact.exclude_countries is not None:
        return "all but " + "+".join(fact.exclude_countries)
    return fact.country or "ALL"
