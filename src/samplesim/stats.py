"""Confidence intervals for replicated runs: t-interval, paired difference, Welch, and the
interval of a metric's mean by its kind (:mod:`samplesim.intervals`).

Scalar helpers (:func:`t_interval`, :func:`paired_ci`, :func:`welch_ci`) work on 1-D arrays;
the table builders (:func:`replications_table`, :func:`comparison_table`) apply the same
formulas, vectorised, to the tidy ``runs`` table (see ``docs/tables.md``). NaN values (a
metric undefined in a run, e.g. a median of nothing) are left out; paired statistics use
only the replications where both the variant and the baseline are defined.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from samplesim.intervals import hull_interval, interval_kind
from samplesim.multiplicity import bonferroni_halfwidth, holm, paired_p_values
from samplesim.quantiles import t_ppf

__all__ = [
    "CI",
    "comparison_table",
    "metric_interval",
    "paired_ci",
    "replications_table",
    "t_interval",
    "welch_ci",
]

CONFIDENCE = 0.95


class CI(NamedTuple):
    """An interval estimate of a mean (or of a mean difference)."""

    n: int
    mean: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def _tcrit(df: np.ndarray | float, confidence: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return t_ppf(0.5 + confidence / 2, df)


def _half_width(std: np.ndarray, n: np.ndarray, confidence: float) -> np.ndarray:
    std = np.asarray(std, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        hw = _tcrit(np.where(n > 1, n - 1, np.nan), confidence) * std / np.sqrt(n)
    # A constant sample has an exact mean: zero width (not NaN).
    return np.where((n > 1) & (std == 0), 0.0, hw)


def t_interval(x: np.ndarray, confidence: float = CONFIDENCE) -> CI:
    """Student-t interval of the mean of ``x`` (NaN ignored; NaN bounds when n < 2)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return CI(0, float("nan"), float("nan"), float("nan"))
    m = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else float("nan")
    hw = float(_half_width(sd, n, confidence))
    return CI(n, m, m - hw, m + hw)


def paired_ci(baseline: np.ndarray, variant: np.ndarray, confidence: float = CONFIDENCE) -> CI:
    """Paired-t interval of ``mean(variant - baseline)`` (pairs with a NaN are dropped)."""
    d = np.asarray(variant, dtype=float) - np.asarray(baseline, dtype=float)
    return t_interval(d, confidence)


def welch_ci(baseline: np.ndarray, variant: np.ndarray, confidence: float = CONFIDENCE) -> CI:
    """Welch (unequal-variance, unpaired) interval of ``mean(variant) - mean(baseline)``."""
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(variant, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    d, hw = _welch(
        a.mean() if len(a) else np.nan,
        a.var(ddof=1) if len(a) > 1 else np.nan,
        len(a),
        b.mean() if len(b) else np.nan,
        b.var(ddof=1) if len(b) > 1 else np.nan,
        len(b),
        confidence,
    )
    d, hw = float(d), float(hw)
    return CI(min(len(a), len(b)), d, d - hw, d + hw)


def _welch(ma, va, na, mb, vb, nb, confidence):
    ma, va, na, mb, vb, nb = (np.asarray(x, dtype=float) for x in (ma, va, na, mb, vb, nb))
    with np.errstate(invalid="ignore", divide="ignore"):
        sa, sb = va / na, vb / nb
        se2 = sa + sb
        df = se2**2 / (sa**2 / (na - 1) + sb**2 / (nb - 1))
        hw = _tcrit(df, confidence) * np.sqrt(se2)
    hw = np.where((na > 1) & (nb > 1) & (se2 == 0), 0.0, hw)
    return mb - ma, hw


def metric_interval(metric: str, x: np.ndarray, confidence: float = CONFIDENCE) -> CI:
    """The interval of the mean of ``x`` that suits ``metric``'s kind
    (:func:`samplesim.intervals.interval_kind`: count, proportion or continuous)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return CI(0, float("nan"), float("nan"), float("nan"))
    sd = float(x.std(ddof=1)) if n > 1 else float("nan")
    lo, hi = hull_interval(interval_kind(metric), x.mean(), sd, n, confidence)
    return CI(n, float(x.mean()), float(lo), float(hi))


def replications_table(
    runs: pd.DataFrame, by: tuple[str, ...] = ("variant", "country", "metric")
) -> pd.DataFrame:
    """``replications``: per group ``n, mean, std, ci_low, ci_high, half_width, interval``
    (95 %; the interval by the metric's kind, see :mod:`samplesim.intervals`; ``half_width``
    is half the interval's width, which need not be centred on the mean)."""
    g = runs.groupby(list(by), sort=True, observed=True)["value"]
    out = g.agg(n="count", mean="mean", std="std").reset_index()
    kind = np.array([interval_kind(m) for m in out["metric"]], dtype=object)
    lo, hi = hull_interval(kind, out["mean"], out["std"], out["n"], CONFIDENCE)
    out["ci_low"] = lo
    out["ci_high"] = hi
    out["half_width"] = (hi - lo) / 2
    out["interval"] = np.select(
        [kind == "count", kind == "proportion"], ["t+garwood", "t+wilson"], "t"
    )
    out["n"] = out["n"].astype("int64")
    return out


def comparison_table(runs: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """``comparison``: each variant against ``baseline``, paired by (point, replication).

    ``diff_mean = variant_mean - baseline_mean`` over the replications where both are
    defined; ``ci_*`` is the paired-t interval, ``unpaired_ci_*`` the Welch interval of
    the same samples (what the comparison would give without common random numbers).
    Over the whole family of rows: ``p_value`` (paired t), ``p_holm`` (Holm-adjusted),
    ``survives_holm`` and the Bonferroni simultaneous interval ``simul_ci_*``
    (see :mod:`samplesim.multiplicity`).
    """
    keys = ["point", "replication", "country", "metric"]
    base = runs[runs["variant"] == baseline][[*keys, "value"]]
    other = runs[runs["variant"] != baseline][["variant", *keys, "value"]]
    m = other.merge(base, on=keys, suffixes=("_v", "_b"), how="inner")
    m = m[m["value_v"].notna() & m["value_b"].notna()]
    m["diff"] = m["value_v"] - m["value_b"]
    g = m.groupby(["variant", "country", "metric"], sort=True, observed=True)
    a = g.agg(
        n=("diff", "count"),
        baseline_mean=("value_b", "mean"),
        baseline_var=("value_b", "var"),
        variant_mean=("value_v", "mean"),
        variant_var=("value_v", "var"),
        diff_mean=("diff", "mean"),
        diff_std=("diff", "std"),
    ).reset_index()
    n = a["n"].to_numpy()
    hw = _half_width(a["diff_std"].to_numpy(), n, CONFIDENCE)
    d, whw = _welch(
        a["baseline_mean"],
        a["baseline_var"],
        n,
        a["variant_mean"],
        a["variant_var"],
        n,
        CONFIDENCE,
    )
    out = pd.DataFrame(
        {
            "variant": a["variant"],
            "country": a["country"],
            "metric": a["metric"],
            "baseline": baseline,
            "n": n.astype("int64"),
            "baseline_mean": a["baseline_mean"],
            "variant_mean": a["variant_mean"],
            "diff_mean": a["diff_mean"],
            "ci_low": a["diff_mean"] - hw,
            "ci_high": a["diff_mean"] + hw,
            "unpaired_ci_low": d - whw,
            "unpaired_ci_high": d + whw,
        }
    )
    # The family: every (variant, country, metric) compared (Holm; Bonferroni intervals).
    p = paired_p_values(a["diff_mean"], a["diff_std"], n)
    m = int(np.isfinite(p).sum())
    shw = bonferroni_halfwidth(a["diff_std"], n, m, 1 - CONFIDENCE)
    shw = np.where((n > 1) & (a["diff_std"].to_numpy() == 0), 0.0, shw)
    out["p_value"] = p
    out["p_holm"] = holm(p)
    out["survives_holm"] = out["p_holm"] < 1 - CONFIDENCE
    out["simul_ci_low"] = out["diff_mean"] - shw
    out["simul_ci_high"] = out["diff_mean"] + shw
    return out.reset_index(drop=True)
