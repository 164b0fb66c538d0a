"""Scenario discovery after a sweep: the parameter boxes where an outcome of interest occurs.

Every run of a sweep (point x replication) is one case: its parameters are its point's, and
it is *of interest* when its outcome (``metric[@COUNTRY]``) is below or above a threshold.
PRIM (Friedman & Fisher 1999; the ``prim`` package) peels a box from the parameter space,
a small share (``peel_alpha``) of the cases at a time, from whichever side raises the share
of cases of interest inside most, then pastes back what helps; each step is a point of the
*peeling trajectory*. For every box, **coverage** is the share of all cases of interest that
fall inside it and **density** the share of cases inside it that are of interest (with
replications: the probability of the outcome inside the box). Following Bryant & Lempert
(2010), the chosen box is the one of highest coverage whose density is at least
``min_density`` (else the densest box).

Assumptions: the sweep's design covers the space evenly (LHS or grid; a Sobol' design works
too), boxes are aligned with the parameter axes, and a box is a description of where the
outcome concentrates in the swept ranges, not a causal statement.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from samplesim.errors import UserError
from samplesim.metrics import METRICS
from samplesim.results_dir import detect_kind, load_experiment_tables, read_manifest

__all__ = ["BOX_COLUMNS", "Discovery", "discover", "find_box", "sweep_cases"]

BOX_COLUMNS = ("parameter", "low", "high", "restricted", "range_low", "range_high", "qp_value")
TRAJECTORY_COLUMNS = ("step", "coverage", "density", "mass", "restricted", "chosen")


@attrs.frozen
class Discovery:
    """A discovered box: its limits (``box``: one row per parameter), the peeling
    trajectory, its coverage and density, and the cases it was found from."""

    box: pd.DataFrame
    trajectory: pd.DataFrame
    coverage: float
    density: float
    cases: pd.DataFrame
    outcome: str = ""
    condition: str = ""
    dropped: int = 0


def _import_prim() -> Any:
    try:
        import prim
    except ImportError:
        raise UserError(
            'scenario discovery needs the PRIM package; run: pip install "samplesim[calibrate]"'
        ) from None
    return prim


def find_box(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM on cases ``x`` (one numeric column per parameter) with ``y`` True for cases of
    interest; (box table, trajectory table) for the box chosen as described above."""
    prim = _import_prim()
    y = np.asarray(y, dtype=bool)
    if not y.any():
        raise UserError("no case has the outcome of interest: there is no box to find")
    x = x.astype(float).reset_index(drop=True)
    p = prim.Prim(x, y.astype(float), threshold=0.5, threshold_type=">", peel_alpha=peel_alpha,
                  paste_alpha=peel_alpha, mass_min=mass_min)  # fmt: skip
    box = p.find_box()
    traj = box.peeling_trajectory.reset_index(drop=True)
    ok = traj.index[traj["density"] >= min_density]
    if len(ok):
        best = int(traj.loc[ok].sort_values(["coverage", "density"], kind="stable").index[-1])
    else:
        best = int(traj.sort_values(["density", "coverage"], kind="stable").index[-1])
    box.select(best)
    lim = box.limits
    rows = []
    for col in x.columns:
        lo, hi = float(x[col].min()), float(x[col].max())
        r = col in lim.index
        b_lo, b_hi = (float(lim.loc[col, "min"]), float(lim.loc[col, "max"])) if r else (lo, hi)
        qp = float(lim.loc[col, "qp values"]) if r else math.nan
        rows.append([col, b_lo, b_hi, r, lo, hi, qp])
    table = pd.DataFrame(rows, columns=list(BOX_COLUMNS))
    out = pd.DataFrame(
        {
            "step": np.arange(len(traj), dtype="int64"),
            "coverage": traj["coverage"].astype(float),
            "density": traj["density"].astype(float),
            "mass": traj["mass"].astype(float),
            "restricted": traj["res dim"].astype("int64"),
            "chosen": np.arange(len(traj)) == best,
        }
    )
    return table, out


def _outcome(outcome: str) -> tuple[str, str]:
    metric, _, country = outcome.strip().partition("@")
    if metric not in METRICS:
        raise UserError(f"outcome: unknown metric {metric!r} (known: {', '.join(METRICS)})",
                        param="outcome")  # fmt: skip
    if country and METRICS[metric].scope == "all" and country != "ALL":
        raise UserError(f"outcome: {metric!r} is defined for the whole run only (no @COUNTRY)",
                        param="outcome")  # fmt: skip
    return metric, country or "ALL"


def sweep_cases(path: str | Path, outcome: str) -> tuple[pd.DataFrame, list[str], str]:
    """The cases of a sweep directory: one row per (point, replication) with the point's
    parameters and the outcome's value (NaN when undefined in that run); the parameter
    names; the scenario's name."""
    path = Path(path)
    metric, country = _outcome(outcome)
    if detect_kind(path) != "sweep":
        raise UserError(f"{path}: not a sweep directory (run samplesim sweep first)",
                        param="path")  # fmt: skip
    tables = load_experiment_tables(path)
    if "points" not in tables or "runs" not in tables:
        raise UserError(f"{path}: the sweep has no points.csv or runs (unfinished?)")
    points, runs = tables["points"], tables["runs"]
    params = [c for c in points.columns if c != "point"]
    sel = runs[(runs["metric"] == metric) & (runs["country"] == country)]
    if sel.empty:
        known = ", ".join(sorted(runs.loc[runs["metric"] == metric, "country"].unique()))
        raise UserError(f"outcome {outcome!r}: no such row in {path} (countries: {known})",
                        param="outcome")  # fmt: skip
    cases = sel[["point", "replication", "value"]].merge(points, on="point", how="left")
    cases = cases.sort_values(["point", "replication"], ignore_index=True)
    name = str(read_manifest(path).get("scenario", path.name))
    return cases[["point", "replication", *params, "value"]], params, name


def discover(
    path: str | Path,
    outcome: str,
    *,
    below: float | None = None,
    above: float | None = None,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """Find the box of a sweep's parameters where ``outcome`` is ``below`` (or ``above``) a
    threshold (strictly); runs where it is undefined (NaN) are dropped and counted.

    Raises:
        UserError: for a directory that is not a finished sweep, an unknown outcome, both or
            neither of ``below``/``above``, bad PRIM settings, or no case of interest.
    """
    if (below is None) == (above is None):
        raise UserError("give exactly one of below or above", param="below", also=("above",))
    for name, v, lo, hi in (("min_density", min_density, 0.0, 1.0),
                            ("peel_alpha", peel_alpha, 0.0, 0.5),
                            ("mass_min", mass_min, 0.0, 1.0)):  # fmt: skip
        if not (isinstance(v, int | float) and lo < v <= hi):
            raise UserError(f"{name} must be in ({lo:g}, {hi:g}], got {v!r}", param=name)
    side, threshold = ("below", below) if below is not None else ("above", above)
    if not (isinstance(threshold, int | float) and math.isfinite(threshold)):
        raise UserError(f"{side} must be a finite number, got {threshold!r}", param=side)
    cases, params, _ = sweep_cases(path, outcome)
    defined = cases["value"].notna()
    cases = cases[defined].reset_index(drop=True)
    y = (cases["value"] < below) if below is not None else (cases["value"] > above)
    cases["interest"] = y.to_numpy()
    condition = f"< {below:g}" if below is not None else f"> {above:g}"
    box, traj = find_box(cases[params], y.to_numpy(), min_density=min_density,
                         peel_alpha=peel_alpha, mass_min=mass_min)  # fmt: skip
    row = traj[traj["chosen"]].iloc[0]
    return Discovery(box, traj, float(row["coverage"]), float(row["density"]), cases,
                     outcome, condition, int((~defined).sum()))  # fmt: skip
