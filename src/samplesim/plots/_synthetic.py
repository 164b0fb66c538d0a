"""Synthetic many-run tables with exactly the columns of ``docs/tables.md``.

For tests, demos and timing the figures without running experiments. The numbers are made up
(normal noise around per-variant, per-country means); only the shapes are real.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from samplesim.metrics import ALL_ONLY, METRICS

__all__ = ["synthetic_experiment"]

COUNTRIES = ("AU", "CA", "DE", "FR", "GB", "IT", "JP", "PK", "SE", "US")
VARIANTS = ("baseline", "wolf-lifted", "country-quota", "lottery", "more-reviewers")


def _scale(metric: str) -> float:
    if "days" in metric:
        return 870.0
    if metric.startswith("grams") or metric.endswith("_g"):
        return 0.8
    if metric in ("approval_rate", "grams_share") or metric in ALL_ONLY:
        return 0.5
    return 3.0


def synthetic_experiment(
    replications: int = 20,
    variants: Sequence[str] = VARIANTS,
    countries: Sequence[str] = COUNTRIES,
    points: int = 1,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """``runs``, ``replications``, ``comparison`` (and ``points``, ``sensitivity`` when
    ``points > 1``) tables of a made-up experiment."""
    rng = np.random.default_rng(seed)
    metrics = list(METRICS)
    cs = [*countries, "ALL"]
    keys = pd.MultiIndex.from_product(
        [range(points), list(variants), range(replications), cs, metrics],
        names=["point", "variant", "replication", "country", "metric"],
    ).to_frame(index=False)
    keys = keys[(keys["country"] == "ALL") | ~keys["metric"].isin(ALL_ONLY)]
    scale = keys["metric"].map({m: _scale(m) for m in metrics}).to_numpy()
    v_eff = keys["variant"].map({v: 0.15 * i for i, v in enumerate(variants)}).to_numpy()
    c_eff = keys["country"].map({c: 0.05 * (i % 5) for i, c in enumerate(cs)}).to_numpy()
    common = rng.normal(0, 0.1, replications)[keys["replication"].to_numpy()]  # paired noise
    p_eff = 0.2 * keys["point"].to_numpy() / max(points - 1, 1)
    value = scale * (
        1 + v_eff * np.sign(np.sin(scale)) + c_eff + p_eff + common + rng.normal(0, 0.08, len(keys))
    )
    runs = keys.assign(
        seed=1000 * keys["point"] + keys["replication"] + 1, value=value.astype(float)
    )[["point", "variant", "replication", "seed", "country", "metric", "value"]]
    runs = runs.reset_index(drop=True)

    base = runs[runs["point"] == 0]
    g = base.groupby(["variant", "country", "metric"], sort=False)["value"]
    rep = g.agg(n="count", mean="mean", std="std").reset_index()
    hw = stats.t.ppf(0.975, rep["n"] - 1) * rep["std"] / np.sqrt(rep["n"])
    rep = rep.assign(ci_low=rep["mean"] - hw, ci_high=rep["mean"] + hw, half_width=hw)

    b = base[base["variant"] == variants[0]][["replication", "country", "metric", "value"]]
    m = base[base["variant"] != variants[0]].merge(
        b, on=["replication", "country", "metric"], suffixes=("", "_b")
    )
    m["d"] = m["value"] - m["value_b"]
    cg = m.groupby(["variant", "country", "metric"], sort=False)
    cmp = cg.agg(
        n=("d", "count"),
        baseline_mean=("value_b", "mean"),
        variant_mean=("value", "mean"),
        diff_mean=("d", "mean"),
        d_std=("d", "std"),
        v_var=("value", "var"),
        b_var=("value_b", "var"),
    ).reset_index()
    t = stats.t.ppf(0.975, cmp["n"] - 1)
    hwd = t * cmp["d_std"] / np.sqrt(cmp["n"])
    hwu = t * np.sqrt((cmp["v_var"] + cmp["b_var"]) / cmp["n"])
    cmp = cmp.assign(
        baseline=variants[0],
        ci_low=cmp["diff_mean"] - hwd,
        ci_high=cmp["diff_mean"] + hwd,
        unpaired_ci_low=cmp["diff_mean"] - hwu,
        unpaired_ci_high=cmp["diff_mean"] + hwu,
    )[
        [
            "variant",
            "country",
            "metric",
            "baseline",
            "n",
            "baseline_mean",
            "variant_mean",
            "diff_mean",
            "ci_low",
            "ci_high",
            "unpaired_ci_low",
            "unpaired_ci_high",
        ]
    ]
    out = {"runs": runs, "replications": rep, "comparison": cmp}
    if points > 1:
        out["points"] = pd.DataFrame(
            {
                "point": range(points),
                "review.reviewers": np.linspace(5, 20, points).round().astype(int),
                "allocation.approval_delay.median": np.linspace(100, 400, points),
            }
        )
        params = ["review.reviewers", "allocation.approval_delay.median", "review.load"]
        rows = []
        for o in ("approval_rate", "median_days_to_decision"):
            s1 = rng.dirichlet(np.ones(len(params))) * 0.8
            for pname, v in zip(params, s1, strict=True):
                rows.append(
                    {
                        "outcome": o,
                        "parameter": pname,
                        "S1": v,
                        "S1_conf": 0.05,
                        "ST": v + 0.1,
                        "ST_conf": 0.06,
                    }
                )
        out["sensitivity"] = pd.DataFrame(rows)
    return out
