"""Interval estimates of a replicated metric's mean that suit what the metric is.

The kind comes from the metric table (:data:`samplesim.metrics.METRICS`, by unit):

- ``count`` (unit ``count``): the hull of the Student-t interval and Garwood's exact Poisson
  interval of the mean, ``[chi2(a/2; 2S) / 2n, chi2(1 - a/2; 2S + 2) / 2n]`` with ``S`` the sum
  over ``n`` replications (Garwood 1936). A rare count seen as zero in every replication gets
  ``[0, 3.69 / n]``, never ``[0, 0]``; an over-dispersed count keeps the (wider) t interval.
- ``proportion`` (units ``fraction`` and ``0-1``: a value in [0, 1] per run): the hull of the
  t interval and Wilson's score interval with ``n`` replications as trials (Wilson 1927). For
  any variable in [0, 1] with mean p, Var <= p (1 - p), so Wilson's interval is conservative
  for a mean of per-run fractions as for a binomial proportion.
- ``continuous`` (everything else: grams, days): the t interval; a constant sample gets a
  zero-width interval (it cannot vary).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from samplesim.metrics import METRICS
from samplesim.quantiles import chi2_ppf, norm_ppf, t_ppf

__all__ = ["KINDS", "garwood", "hull_interval", "interval_kind", "t_bounds", "wilson"]

Kind = Literal["count", "proportion", "continuous"]
KINDS: tuple[str, ...] = ("count", "proportion", "continuous")


def interval_kind(metric: str) -> Kind:
    """Which interval a metric gets, from its unit in the metric table."""
    m = METRICS.get(str(metric).partition("@")[0])
    if m is None:
        return "continuous"
    if m.unit == "count":
        return "count"
    if m.unit in ("fraction", "0-1"):
        return "proportion"
    return "continuous"


def _z(confidence: float) -> float:
    return float(norm_ppf(0.5 + confidence / 2))


def t_bounds(
    mean: np.ndarray, std: np.ndarray, n: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t bounds (NaN for n < 2; zero width for a constant sample)."""
    mean, std, n = (np.asarray(x, dtype=float) for x in (mean, std, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        q = t_ppf(0.5 + confidence / 2, np.where(n > 1, n - 1, np.nan))
        hw = q * std / np.sqrt(n)
    hw = np.where((n > 1) & (std == 0), 0.0, hw)
    return mean - hw, mean + hw


def garwood(total: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Garwood's exact interval of a Poisson mean per replication (``total`` over ``n``)."""
    s = np.round(np.asarray(total, dtype=float))
    n = np.asarray(n, dtype=float)
    a = 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(s > 0, chi2_ppf(a / 2, 2 * np.maximum(s, 1e-300)) / 2, 0.0) / n
        hi = chi2_ppf(1 - a / 2, 2 * s + 2) / 2 / n
    bad = ~(n > 0) | ~np.isfinite(s) | (s < 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def wilson(p: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval of a proportion ``p`` from ``n`` trials."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    n = np.asarray(n, dtype=float)
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / den
        hw = z / den * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    bad = ~(n > 0)
    return np.where(bad, np.nan, centre - hw), np.where(bad, np.nan, centre + hw)


def hull_interval(
    kind: np.ndarray | str,
    mean: np.ndarray,
    std: np.ndarray,
    n: np.ndarray,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The interval of each row's kind (vectorised; ``kind`` per row or one for all)."""
    mean, std, n = (np.asarray(x, dtype=float) for x in (mean, std, n))
    kind = np.broadcast_to(np.asarray(kind, dtype=object), mean.shape)
    lo, hi = t_bounds(mean, std, n, confidence)
    glo, ghi = garwood(mean * n, n, confidence)
    wlo, whi = wilson(mean, n, confidence)
    is_count, is_prop = kind == "count", kind == "proportion"
    lo = np.where(is_count, np.fmin(lo, glo), np.where(is_prop, np.fmin(lo, wlo), lo))
    hi = np.where(is_count, np.fmax(hi, ghi), np.where(is_prop, np.fmax(hi, whi), hi))
    empty = ~(n > 0)
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)
