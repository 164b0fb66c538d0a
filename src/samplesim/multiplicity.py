"""Many comparisons at once: Holm's step-down adjustment, Bonferroni simultaneous intervals,
and "which policy is best" as Bonferroni subset selection with common random numbers.

- **Holm (1979)**: sort the ``m`` p-values, multiply the ``k``-th smallest by ``m - k + 1``,
  make them non-decreasing; a difference *survives* when its adjusted p-value is below
  ``alpha``. The probability of any false "difference" in the whole family (variants x
  metrics x countries) stays at most ``alpha`` (familywise error rate), under any dependence.
- **Bonferroni simultaneous intervals**: each interval at level ``1 - alpha / m``, so all ``m``
  cover their true differences together with probability at least ``1 - alpha``.
- **Subset selection** (Nelson, Swann, Goldsman & Song 2001, "Simple procedures for selecting
  the best simulated system when the number of alternatives is large", Operations Research
  49(6); the Bonferroni-based screen with common random numbers): system ``i`` is kept when,
  for every other ``j``, ``mean_i >= mean_j - t(1 - alpha / (k - 1), n - 1) * S_ij / sqrt(n)``
  (``S_ij``: the standard deviation of the paired differences; reversed for "smaller is
  better"). The best system is in the subset with probability at least ``1 - alpha`` (the
  probability of correct selection); a subset of one names the best outright. Assumes
  approximately normal replication means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from samplesim.quantiles import t_ppf, t_sf

__all__ = ["bonferroni_halfwidth", "holm", "paired_p_values", "select_best"]


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (NaN stays NaN and is not counted in the family)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out[order] = np.minimum(adj, 1.0)
    return out


def paired_p_values(mean: np.ndarray, std: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided paired-t p-values of mean differences (a constant difference: 0 if it is
    not 0, 1 if it is; NaN when n < 2)."""
    mean, std, n = (np.asarray(x, dtype=float) for x in (mean, std, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (std / np.sqrt(n))
        p = 2 * t_sf(np.abs(t), n - 1)
    p = np.where(std == 0, np.where(mean == 0, 1.0, 0.0), p)
    return np.where(n > 1, p, np.nan)


def bonferroni_halfwidth(std: np.ndarray, n: np.ndarray, m: int, alpha: float = 0.05) -> np.ndarray:
    """Half-widths of paired-t intervals at level ``1 - alpha / m`` (simultaneous over m)."""
    std, n = np.asarray(std, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = t_ppf(1 - alpha / (2 * max(m, 1)), np.where(n > 1, n - 1, np.nan))
        return q * std / np.sqrt(n)


def select_best(
    values: pd.DataFrame, larger_is_better: bool = True, alpha: float = 0.05
) -> pd.DataFrame:
    """Bonferroni subset selection of the best system.

    ``values``: one column per system (variant), one row per replication (the pairing of
    common random numbers; rows with a NaN are dropped). Returns per system ``mean``,
    ``n``, ``in_subset`` and ``pcs`` (the guaranteed probability that the best is in the
    subset, ``1 - alpha``), best mean first.
    """
    x = values.dropna()
    names = list(x.columns)
    k, n = len(names), len(x)
    if k < 2 or n < 2:
        raise ValueError("subset selection needs at least 2 systems and 2 replications")
    y = x.to_numpy(dtype=float) * (1.0 if larger_is_better else -1.0)
    mean = y.mean(axis=0)
    q = t_ppf(1 - alpha / (k - 1), n - 1)
    keep = np.ones(k, dtype=bool)
    for i in range(k):
        for j in range(k):
            if i != j:
                s = np.std(y[:, i] - y[:, j], ddof=1)
                if mean[i] < mean[j] - q * s / np.sqrt(n):
                    keep[i] = False
    out = pd.DataFrame(
        {
            "variant": names,
            "mean": mean * (1.0 if larger_is_better else -1.0),
            "n": n,
            "in_subset": keep,
            "pcs": 1 - alpha,
        }
    )
    return out.sort_values("mean", ascending=not larger_is_better, kind="stable").reset_index(
        drop=True
    )
