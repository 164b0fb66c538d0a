"""Sequential stopping on a precision target: how many replications are enough.

Two procedures share one interval (:func:`samplesim.stats.metric_interval`, by the metric's
kind, so a rare count never stops on a zero-width interval):

- ``"batch"`` (default): start at ``min_replications`` (default 20), stop as soon as the 95 %
  half-width is below the target, else grow ``n`` to the size the current width predicts
  (x 1.1, at least 10 more), up to the cap.
- ``"hrd"``: the replication algorithm of Hoad, Robinson & Davies (2010), "Automated selection
  of the number of replications for a discrete-event simulation", JORS 61(11): the first ``n``
  whose half-width meets the target is accepted only if it still meets it for the next
  ``f(n) = k_limit`` (``n <= 100``) or ``floor(n * k_limit / 100)`` replications (look-ahead,
  default ``k_limit = 5``). Values are deterministic per replication index, so the look-ahead
  is checked on prefixes of the replications already run.

Bias: stopping when an estimated half-width first falls below a target favours samples whose
spread is by chance small, so coverage is below nominal for small ``n``; the minimum number
of replications and the look-ahead limit this (Law, Simulation Modeling and Analysis, 5th ed.,
9.4.1). Coverage of the default procedure on a rare count (mean 0.14) is tested to be >= 93 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import numpy as np

from samplesim.intervals import hull_interval, interval_kind
from samplesim.stats import CI, CONFIDENCE, metric_interval

__all__ = [
    "DEFAULT_MIN_REPLICATIONS",
    "METHODS",
    "Stop",
    "look_ahead",
    "prefix_half_widths",
    "until_precise",
]

DEFAULT_MIN_REPLICATIONS = 20
METHODS: tuple[str, ...] = ("batch", "hrd")


@attrs.frozen
class Stop:
    """The outcome of sequential stopping: ``n`` replications, their interval, and whether
    its half-width met the target (False: the cap was reached first)."""

    n: int
    ci: CI
    reached: bool
    method: str


def look_ahead(n: int, k_limit: int = 5) -> int:
    """HRD's look-ahead: ``k_limit`` replications up to n = 100, then ``n * k_limit / 100``."""
    return k_limit if n <= 100 else (n * k_limit) // 100


def until_precise(
    values: Callable[[int], np.ndarray],
    metric: str,
    target: float,
    cap: int,
    *,
    min_replications: int = DEFAULT_MIN_REPLICATIONS,
    method: str = "batch",
    k_limit: int = 5,
) -> Stop:
    """Stop when the half-width of ``metric``'s interval is below ``target``.

    ``values(n)`` returns the metric's values of replications ``0..n-1`` (running what is
    missing). ``cap`` bounds the replications; ``min_replications`` is the first ``n``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not (target > 0) or cap < 1 or min_replications < 2:
        raise ValueError("target must be > 0, cap >= 1 and min_replications >= 2")
    n = min(cap, min_replications)
    if method == "hrd":
        return _hrd(values, metric, target, cap, n, k_limit)
    while True:
        ci = metric_interval(metric, values(n))
        hw = ci.half_width
        if hw < target or n >= cap:
            return Stop(n, ci, bool(hw < target), method)
        need = n * (hw / target) ** 2 * 1.1 if hw == hw else 2 * n
        n = int(min(cap, max(n + 10, math.ceil(need))))


def prefix_half_widths(metric: str, x: np.ndarray) -> np.ndarray:
    """Half-widths of ``metric``'s interval over ``x[:1], x[:2], ...`` (vectorised;
    NaN values left out as in :func:`samplesim.stats.metric_interval`)."""
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    v = np.where(ok, x, 0.0)
    k = np.cumsum(ok)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.cumsum(v) / k
        # Sums of squares centred on the overall mean (numerically stable enough here).
        c = v - np.where(ok, np.nanmean(x) if ok.any() else 0.0, 0.0)
        ss = np.cumsum(c * c) - k * (np.cumsum(c) / k) ** 2
        std = np.sqrt(np.maximum(ss, 0.0) / (k - 1))
    std = np.where(k > 1, std, np.nan)
    lo, hi = hull_interval(interval_kind(metric), mean, std, k, CONFIDENCE)
    return (hi - lo) / 2


def _hrd(
    values: Callable[[int], np.ndarray],
    metric: str,
    target: float,
    cap: int,
    n: int,
    k_limit: int,
) -> Stop:
    run_to = min(cap, n + look_ahead(n, k_limit))
    while True:
        x = values(run_to)
        ok = prefix_half_widths(metric, x) < target  # ok[m - 1]: the first m replications
        while n <= run_to:
            ahead = min(cap, n + look_ahead(n, k_limit))
            if ok[n - 1] and ahead > run_to:
                break  # run the look-ahead replications first
            if ok[n - 1] and ok[n - 1 : ahead].all():
                return Stop(n, metric_interval(metric, x[:n]), True, "hrd")
            if n >= cap:
                return Stop(n, metric_interval(metric, x[:n]), False, "hrd")
            n += 1
        run_to = min(cap, max(run_to + 10, n + look_ahead(n, k_limit)))
