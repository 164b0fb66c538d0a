"""Morris elementary effects for screening many parameters, with a noise floor.

The design is SALib's Morris sampling (``SALib.sample.morris``): ``samples`` trajectories of
``D + 2`` points on a ``levels``-level grid, over the ``D`` swept parameters plus an inert
**dummy column** the model never reads. Every point runs the same replications (common
random numbers); the effects are SALib's (``SALib.analyze.morris``: ``mu``, ``mu_star``,
``sigma``) computed on the per-point replication means. Effects are in outcome units per full
range of the parameter (SALib divides the change by the grid step as a fraction of the range;
an integer parameter's actual step is rounded).

``mu_star_conf`` is the half-width of a normal bootstrap interval (SALib's form, z times the
bootstrap standard deviation) over trajectories **and** replications jointly: under CRN every
trajectory reuses the same replications, so their noise is common to all trajectories and a
bootstrap over trajectories alone (SALib's) would leave it out (an effect measured the same
way in every trajectory would get a zero-width interval).

The dummy's step joins two points with the same parameter values, so under CRN its change
would be exactly 0, which says nothing about noise. Its elementary effect is instead the
expected absolute difference of two independent means of ``R`` replications at that point,
``2 s / sqrt(pi R)`` divided by the step (``s`` the replication standard deviation there): what
replication noise alone gives, on average, a step that does not share its random streams (a
parameter that only reshuffles the draws). Its ``mu_star`` is this noise floor, averaged over
the trajectories by the same SALib analysis, with the same bootstrap (its ``mu`` and ``sigma``
follow the step directions and mean little). It is conservative for parameters whose steps
keep their streams paired. A parameter is ``distinguishable`` when its
``mu_star - mu_star_conf`` is above the dummy's ``mu_star``. With one replication per point
there is no floor (a warning says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DUMMY", "MORRIS_COLUMNS", "morris_matrix", "morris_table"]

DUMMY = "(dummy)"
MORRIS_COLUMNS = [
    "outcome", "parameter", "mu", "mu_star", "mu_star_conf", "mu_star_low", "sigma",
    "distinguishable", "warning",
]  # fmt: skip


def _problem(names: list[str], bounds: list[list[float]]) -> dict[str, Any]:
    return {"num_vars": len(names) + 1, "names": [*names, DUMMY], "bounds": [*bounds, [0, 1]]}


def morris_matrix(
    names: list[str], bounds: list[list[float]], samples: int, levels: int, seed: int
) -> np.ndarray:
    """The Morris design ``(samples * (D + 2), D + 1)``; the last column is the dummy."""
    from SALib.sample import morris

    return morris.sample(_problem(names, bounds), samples, num_levels=levels, seed=seed)


def _dummy_outputs(x: np.ndarray, y: np.ndarray, d: int) -> np.ndarray:
    """Outputs whose only changes along a trajectory are at the dummy's step, each by the
    expected absolute difference of two independent means of ``R`` replications at that point,
    ``E|N(0, 2 s^2 / R)| = 2 s / sqrt(pi R)`` (``s`` the replication standard deviation)."""
    step = d + 2
    out = np.zeros(len(x))
    r = y.shape[1]
    for t in range(0, len(x), step):  # one trajectory
        level = 0.0
        for i in range(t, t + step):
            if i > t and x[i, -1] != x[i - 1, -1]:
                level += 2 * y[i - 1].std(ddof=1) / np.sqrt(np.pi * r)
            out[i] = level
    return out


def _steps(x: np.ndarray, d: int, levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each trajectory step (after its first point): its row, the column it moves and
    the factor ``sign / delta`` turning the change of the output into an elementary effect;
    each ``(trajectories, D + 1)`` in column order."""
    step = d + 2
    delta = levels / (2 * (levels - 1))
    n = len(x) // step
    rows = np.zeros((n, d + 1), dtype=int)
    factor = np.zeros((n, d + 1))
    for t in range(n):
        for i in range(t * step + 1, (t + 1) * step):
            moved = np.flatnonzero(x[i] != x[i - 1])
            j = int(moved[0])
            rows[t, j] = i
            factor[t, j] = np.sign(x[i, j] - x[i - 1, j]) / delta
    return rows, rows - 1, factor


def _mu_star(ym: np.ndarray, steps: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """mu_star of every column from per-point outputs ``ym``."""
    after, before, factor = steps
    return np.abs((ym[after] - ym[before]) * factor).mean(axis=0)


def _conf(
    y: np.ndarray,
    x: np.ndarray,
    d: int,
    steps: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    dummy: bool,
    n_boot: int,
    seed: int,
    confidence: float,
) -> np.ndarray:
    """Bootstrap half-widths of mu_star, resampling trajectories and replications."""
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    after, before, factor = steps
    n, r = after.shape[0], y.shape[1]
    boot = np.empty((n_boot, d + 1))
    for k in range(n_boot):
        reps = rng.integers(0, r, r)
        yk = y[:, reps]
        ym = _dummy_outputs(x, yk, d) if dummy else yk.mean(axis=1)
        t = rng.integers(0, n, n)
        boot[k] = _mu_star(ym, (after[t], before[t], factor[t]))
    return norm.ppf(0.5 + confidence / 2) * boot.std(axis=0, ddof=1)


def morris_table(
    outcome: str,
    names: list[str],
    x: np.ndarray,
    y: np.ndarray,
    *,
    levels: int,
    seed: int = 1,
    bounds: list[list[float]] | None = None,
    n_boot: int = 500,
) -> tuple[pd.DataFrame, list[str]]:
    """The Morris rows of one outcome (parameters, then the dummy) and the warnings; ``x``
    is :func:`morris_matrix`, ``y`` the outputs ``(points, R)``."""
    from SALib.analyze import morris

    d = len(names)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    notes: list[str] = []
    problem = _problem(names, bounds or [[0.0, 1.0]] * d)
    if np.isnan(y).any() or np.ptp(y.mean(axis=1)) == 0:
        notes.append(f"{outcome}: undefined in some runs or constant: no elementary effects")
        rows = [{"outcome": outcome, "parameter": p} for p in [*names, DUMMY]]
        return pd.DataFrame(rows, columns=MORRIS_COLUMNS), notes

    def analyse(values: np.ndarray) -> dict[str, Any]:
        return morris.analyze(problem, x, values, num_levels=levels, seed=seed)

    si = analyse(y.mean(axis=1))
    steps = _steps(x, d, levels)
    boot = {"n_boot": n_boot, "seed": seed, "confidence": 0.95}
    conf = _conf(y, x, d, steps, dummy=False, **boot)
    if y.shape[1] < 2:
        notes.append(
            f"{outcome}: one replication per point: no noise floor; use --replications 10 or more"
        )
        floor = np.nan
        dummy = {k: np.nan for k in ("mu", "mu_star", "mu_star_conf", "sigma")}
    else:
        dsi = analyse(_dummy_outputs(x, y, d))
        dummy = {k: float(dsi[k][-1]) for k in ("mu", "mu_star", "sigma")}
        dummy["mu_star_conf"] = float(_conf(y, x, d, steps, dummy=True, **boot)[-1])
        floor = dummy["mu_star"]
    rows: list[dict[str, Any]] = []
    for j, p in enumerate(names):
        row = {"outcome": outcome, "parameter": p}
        row.update({k: float(si[k][j]) for k in ("mu", "mu_star", "sigma")})
        row["mu_star_conf"] = float(conf[j])
        row["mu_star_low"] = row["mu_star"] - row["mu_star_conf"]
        row["distinguishable"] = bool(row["mu_star_low"] > floor) if np.isfinite(floor) else None
        row["warning"] = ""
        if row["mu_star_conf"] > row["mu_star"]:
            row["warning"] = "interval wider than mu_star"
            notes.append(f"{outcome} / {p}: {row['warning']}")
        rows.append(row)
    rows.append(
        {
            "outcome": outcome,
            "parameter": DUMMY,
            **dummy,
            "mu_star_low": dummy["mu_star"] - dummy["mu_star_conf"],
            "distinguishable": None,
            "warning": "",
        }
    )
    return pd.DataFrame(rows, columns=MORRIS_COLUMNS), notes
