"""Sobol' indices that know about simulation noise.

Each point of a Saltelli design (``SALib.sample.sobol``, rows ``A, AB_1..AB_D, B`` per base
row) runs ``R`` replications with common random numbers: replication ``r`` uses the same
streams at every point. The indices are the Saltelli (2010) first-order and Jansen (1999)
total-order estimators on the per-point means (outputs centred first, as SALib does), with the
**noise-variance correction**: for means of ``R`` independent replications,
``E[mean(X) mean(Y)] = E[X] E[Y] + Cov(X, Y) / R``, so each product has its within-point
replication (co)variance / R subtracted. The output variance comes from the independent pairs
``(A, B)``, ``E[(f(A) - f(B))^2] / 2``, corrected the same way (under CRN the noise of a
difference is the within-pair variance of the differences, not the sum of two variances).
The 95 % intervals are percentile bootstrap intervals over the design's base rows; each row's
terms carry its replication noise, so the intervals include it.

A **dummy parameter** (sensobol's ``sobol_dummy``, after Khorashadi Zadeh et al. 2017) shows
the noise floor: Sobol's original estimators for a column the model never reads, from the
same per-point means and bootstrap. Its true index is 0; its estimate and interval are what a
finite design and the noise left in the means produce. A parameter is ``distinguishable`` from
zero when the lower bound of its total index is above both 0 and the dummy's upper bound (as
sensobol compares indices with the dummy's).

With one replication per point the noise cannot be estimated: the indices are uncorrected
and a warning says so. Warnings also flag an interval wider than
its index.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DUMMY", "SENSITIVITY_COLUMNS", "noisy_sobol", "sensitivity_table"]

DUMMY = "(dummy)"
SENSITIVITY_COLUMNS = [
    "outcome", "parameter", "S1", "S1_conf", "S1_low", "S1_high",
    "ST", "ST_conf", "ST_low", "ST_high", "distinguishable", "warning",
]  # fmt: skip


def _split(y: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, AB, B) from the per-point outputs ``(points, R)``: A, B ``(N, R)``, AB
    ``(N, D, R)``."""
    step = d + 2
    return y[0::step], np.stack([y[j + 1 :: step] for j in range(d)], axis=1), y[step - 1 :: step]


def _cov(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample covariance over the last axis (replications), 0 with one replication."""
    r = x.shape[-1]
    if r < 2:
        return np.zeros(x.shape[:-1])
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    return (xc * yc).sum(axis=-1) / (r - 1)


def _indices(
    a: np.ndarray, ab: np.ndarray, b: np.ndarray, v: float | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """S1 and ST of every column of ``ab`` (noise-corrected when R >= 2), and the output
    variance ``v`` they are divided by (estimated here unless given)."""
    r = a.shape[-1]
    centre = np.concatenate([a.mean(-1), b.mean(-1)]).mean()  # estimators are far less noisy
    a, ab, b = a - centre, ab - centre, b - centre  # on centred outputs (covariances unchanged)
    ma, mb, mab = a.mean(-1), b.mean(-1), ab.mean(-1)  # (N,), (N,), (N, D)
    # V from the independent pairs (A_j, B_j): E[(A - B)^2] / 2, less the noise of the
    # difference of their means (they share the replications' streams, so this noise is
    # the within-pair variance of the differences / R, not the sum of the two variances).
    if v is None:
        dab = a - b
        v = float(((ma - mb) ** 2 - _cov(dab, dab) / r).mean() / 2)
    if not v > 0:  # no output variance left above the noise: the indices are undefined
        return np.full(ab.shape[1], np.nan), np.full(ab.shape[1], np.nan), v
    diff = ab - a[:, None, :]  # (N, D, R)
    md = mab - ma[:, None]
    s1_num = (mb[:, None] * md - _cov(np.broadcast_to(b[:, None, :], diff.shape), diff) / r).mean(0)
    st_num = (md**2 - _cov(diff, diff) / r).mean(0) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return s1_num / v, st_num / v, v


def _dummy(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """S1 and ST of a dummy parameter (sensobol's ``sobol_dummy``, after Khorashadi Zadeh
    et al. 2017): Sobol's original estimators for a column the model does not read, from the
    centred per-point means of ``A`` and ``B``; not exactly 0 for a finite design."""
    ya, yb = a.mean(-1), b.mean(-1)
    centre = np.concatenate([ya, yb]).mean()
    ya, yb = ya - centre, yb - centre
    n = len(ya)
    f0 = (ya * yb).sum() / n
    vy = (ya**2 + yb**2).sum() / (2 * n - 1) - f0
    if not vy > 0:
        return np.nan, np.nan
    s1 = ((ya * yb).sum() / (n - 1) - f0) / vy
    st = 1 - ((yb * yb).sum() / (n - 1) - f0) / vy
    return float(s1), float(st)


def _all(a: np.ndarray, ab: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The parameters' indices, then the dummy's."""
    s1, st, _ = _indices(a, ab, b)
    d1, dt = _dummy(a, b)
    return np.append(s1, d1), np.append(st, dt)


def noisy_sobol(
    y: np.ndarray, d: int, *, n_boot: int = 500, seed: int = 1, confidence: float = 0.95
) -> dict[str, np.ndarray]:
    """Indices of the ``d`` parameters and the dummy (last entry) from ``y``, the outputs of
    a Saltelli design ``(points, R)`` (point order as ``SALib.sample.sobol`` without second
    order). Returns ``S1, ST`` and their bootstrap bounds ``S1_low, S1_high, ST_low,
    ST_high`` (length ``d + 1``)."""
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    a, ab, b = _split(y, d)
    n = a.shape[0]
    rng = np.random.default_rng(seed)
    s1, st = _all(a, ab, b)
    boot1, boott = np.empty((n_boot, d + 1)), np.empty((n_boot, d + 1))
    for k in range(n_boot):
        rows = rng.integers(0, n, n)
        boot1[k], boott[k] = _all(a[rows], ab[rows], b[rows])
    q = [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        lo1, hi1 = np.nanpercentile(boot1, q, axis=0)
        lot, hit = np.nanpercentile(boott, q, axis=0)
    return {"S1": s1, "ST": st, "S1_low": lo1, "S1_high": hi1, "ST_low": lot, "ST_high": hit}


def _warning(s: float, lo: float, hi: float, label: str) -> str:
    if np.isfinite(lo) and np.isfinite(hi) and (hi - lo) / 2 > abs(s):
        return f"{label} interval wider than the index"
    return ""


def sensitivity_table(
    outcome: str, names: list[str], y: np.ndarray, *, seed: int = 1
) -> tuple[pd.DataFrame, list[str]]:
    """The sensitivity rows of one outcome (parameters, then the dummy) and the warnings."""
    d = len(names)
    y = np.asarray(y, dtype=float)
    warnings: list[str] = []
    if y.ndim == 1 or y.shape[1] < 2:
        warnings.append(
            f"{outcome}: one replication per point: simulation noise is neither removed nor "
            "in the intervals; use --replications 10 or more"
        )
    if np.isnan(y).any() or np.ptp(np.nanmean(y, axis=-1) if y.ndim > 1 else y) == 0:
        rows = [{"outcome": outcome, "parameter": p} for p in [*names, DUMMY]]
        warnings.append(f"{outcome}: undefined in some runs or constant: no indices")
        return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS), warnings
    idx = noisy_sobol(y, d, seed=seed)
    floor = max(0.0, idx["ST_high"][-1]) if np.isfinite(idx["ST_high"][-1]) else 0.0
    if not np.isfinite(idx["S1"][:-1]).all():
        warnings.append(f"{outcome}: no output variance above the simulation noise: no indices")
    rows: list[dict[str, Any]] = []
    for j, p in enumerate([*names, DUMMY]):
        row = {"outcome": outcome, "parameter": p}
        for k in ("S1", "ST"):
            s, lo, hi = idx[k][j], idx[f"{k}_low"][j], idx[f"{k}_high"][j]
            row.update({k: s, f"{k}_conf": (hi - lo) / 2, f"{k}_low": lo, f"{k}_high": hi})
        is_dummy = p == DUMMY
        row["distinguishable"] = None if is_dummy else bool(row["ST_low"] > floor)
        notes = [] if is_dummy else [
            w for k in ("S1", "ST") if (w := _warning(row[k], row[f"{k}_low"], row[f"{k}_high"], k))
        ]  # fmt: skip
        row["warning"] = "; ".join(notes)
        if notes:
            warnings.append(f"{outcome} / {p}: {row['warning']}")
        rows.append(row)
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS), warnings
