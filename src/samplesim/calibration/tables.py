"""Posterior summaries: per-parameter intervals and the posterior predictive check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from samplesim.calibration.facts import fact_where
from samplesim.calibration.model import FactModel
from samplesim.check import CHECK_COLUMNS, observation_stats
from samplesim.design import Param
from samplesim.metrics import METRICS

__all__ = ["INTERVAL_COLUMNS", "intervals", "predictive_check", "weighted_quantile"]

INTERVAL_COLUMNS = ("parameter", "prior_low", "prior_high", "mean", "sd", "p05", "median", "p95")


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q`` quantile of the weighted sample (inverse of its step CDF)."""
    order = np.argsort(x, kind="stable")
    x, w = np.asarray(x, dtype=float)[order], np.asarray(w, dtype=float)[order]
    cdf = np.cumsum(w) / np.sum(w)
    return float(x[min(np.searchsorted(cdf, q, side="left"), len(x) - 1)])


def intervals(post: pd.DataFrame, params: list[Param]) -> pd.DataFrame:
    """Per parameter: prior range, weighted mean and sd, and the 5 %, 50 %, 95 % posterior
    quantiles (the central 90 % posterior interval is ``p05``-``p95``)."""
    w = post["weight"].to_numpy(dtype=float)
    rows = []
    for p in params:
        x = post[p.path].to_numpy(dtype=float)
        mean = float(np.sum(w * x) / np.sum(w))
        sd = math.sqrt(float(np.sum(w * (x - mean) ** 2) / np.sum(w)))
        q = [weighted_quantile(x, w, a) for a in (0.05, 0.5, 0.95)]
        rows.append([p.path, p.low, p.high, mean, sd, *q])
    return pd.DataFrame(rows, columns=list(INTERVAL_COLUMNS))


def predictive_check(
    model: FactModel, post: pd.DataFrame, observed: dict[str, float], draws: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Simulate ``draws`` runs at parameters resampled from the posterior (by weight, with a
    generator seeded by ``seed``; draw ``k`` is replication ``k``) and place each observed
    fact among them, as ``samplesim check`` does (same columns as ``check.csv``).

    Returns (check table, simulated values: one row per draw and one column per fact, the
    parameters of each draw)."""
    rng = np.random.default_rng([seed, 7])
    names = [p.path for p in model.params]
    idx = rng.choice(len(post), size=draws, p=post["weight"].to_numpy(dtype=float))
    thetas = post.iloc[idx][names].reset_index(drop=True)
    thetas.insert(0, "draw", np.arange(draws, dtype="int64"))
    rows = [model.simulate(dict(zip(names, t, strict=True)), k)
            for k, t in enumerate(thetas[names].itertuples(index=False))]  # fmt: skip
    values = pd.DataFrame(rows, columns=list(observed))
    leads = list(model.leads)
    table = []
    for name, f in model.facts:
        stats = observation_stats(values[name].to_numpy(), observed[name],
                                  exact=METRICS[f.metric].unit == "count")  # fmt: skip
        table.append(
            dict(fact=name, label=f.label or name, type="fact",
                 kind="input" if f.input else "emergent", metric=f.metric,
                 country=fact_where(f, leads), variant=f.variant, observed=f.value, **stats,
                 threshold=math.nan, source=f.source)
        )  # fmt: skip
    out = pd.DataFrame(table, columns=list(CHECK_COLUMNS))
    out["inside_90"] = out["inside_90"].astype("boolean")
    return out, values, thetas
