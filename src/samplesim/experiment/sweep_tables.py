"""The sensitivity tables of a sweep: Sobol' indices and Morris elementary effects, from the
per-point, per-replication values of each outcome."""

from __future__ import annotations

from typing import Any

import pandas as pd

from samplesim.experiment.plan import Plan
from samplesim.sensitivity import sensitivity_table

__all__ = ["morris_effects", "sobol_indices"]


def sobol_indices(
    plan: Plan, runs: pd.DataFrame, chosen: list[tuple[str, str, str]], seed: int
) -> tuple[pd.DataFrame, list[str]]:
    """The sensitivity table from the per-point, per-replication outcome values."""
    names = [p.path for p in plan.params]
    frames, notes = [], []
    for name, metric, country in chosen:
        y = _outcome_matrix(plan, runs, metric, country)
        table, w = sensitivity_table(name, names, y, seed=seed)
        frames.append(table)
        notes.extend(w)
    return pd.concat(frames, ignore_index=True), notes


def morris_effects(
    plan: Plan, runs: pd.DataFrame, chosen: list[tuple[str, str, str]], seed: int, levels: int
) -> tuple[pd.DataFrame, list[str]]:
    """The Morris table from the per-point, per-replication outcome values."""
    from samplesim.design import problem
    from samplesim.morris import morris_matrix, morris_table

    pb = problem(plan.params)
    samples = len(plan.points) // (len(plan.params) + 2)
    x = morris_matrix(pb["names"], pb["bounds"], samples, levels, seed)
    frames, notes = [], []
    for name, metric, country in chosen:
        y = _outcome_matrix(plan, runs, metric, country)
        table, w = morris_table(name, pb["names"], x, y, levels=levels, seed=seed)
        frames.append(table)
        notes.extend(w)
    return pd.concat(frames, ignore_index=True), notes


def _outcome_matrix(plan: Plan, runs: pd.DataFrame, metric: str, country: str) -> Any:
    """The values of one outcome as an array ``(points, replications)``."""
    sel = runs[
        (runs["metric"] == metric)
        & (runs["country"] == country)
        & (runs["variant"] == plan.variants[0])
    ]
    y = sel.pivot_table(index="point", columns="replication", values="value", dropna=False)
    return y.reindex(plan.points["point"]).to_numpy(dtype=float)
