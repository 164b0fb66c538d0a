"""Confidence intervals: formulas against scipy, vectorised tables against the scalar helpers,
and the coverage of the 95 % t-interval on a scenario with a known answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from samplesim.stats import comparison_table, paired_ci, replications_table, t_interval, welch_ci

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small-known.toml"


def test_t_interval_matches_scipy():
    x = np.array([3.0, 5.0, 4.0, 8.0, 6.0, np.nan])
    ci = t_interval(x)
    lo, hi = st.t.interval(0.95, 4, loc=np.nanmean(x), scale=st.sem(x[:-1]))
    assert ci.n == 5
    assert ci.low == pytest.approx(lo) and ci.high == pytest.approx(hi)
    assert t_interval(np.array([2.0, 2.0, 2.0])).half_width == 0.0
    assert np.isnan(t_interval(np.array([1.0])).low)


def test_paired_and_welch_match_scipy():
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 25)
    b = a + rng.normal(0.5, 0.3, 25)
    p = paired_ci(a, b)
    r = st.ttest_rel(b, a).confidence_interval(0.95)
    assert (p.low, p.high) == pytest.approx((r.low, r.high))
    w = welch_ci(a, b)
    r = st.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert (w.low, w.high) == pytest.approx((r.low, r.high))
    assert p.half_width < w.half_width  # pairing removes the shared variance


def test_tables_agree_with_scalar_helpers():
    rng = np.random.default_rng(5)
    rows = []
    for r in range(12):
        base = rng.normal(5, 1)
        for v, shift in (("baseline", 0.0), ("x", 0.4)):
            for c in ("ALL", "AA"):
                val = base + shift + rng.normal(0, 0.2)
                rows.append((0, v, r, 1, c, "m", np.nan if (c == "AA" and r == 3) else val))
    runs = pd.DataFrame(
        rows, columns=["point", "variant", "replication", "seed", "country", "metric", "value"]
    )
    rep = replications_table(runs).set_index(["variant", "country"])
    for (v, c), g in runs.groupby(["variant", "country"]):
        ci = t_interval(g["value"].to_numpy())
        assert rep.loc[(v, c), "n"] == ci.n
        assert rep.loc[(v, c), "ci_low"] == pytest.approx(ci.low)
    comp = comparison_table(runs).set_index("country")
    for c in ("ALL", "AA"):
        b = runs[(runs.variant == "baseline") & (runs.country == c)]["value"].to_numpy()
        x = runs[(runs.variant == "x") & (runs.country == c)]["value"].to_numpy()
        ok = ~np.isnan(b) & ~np.isnan(x)
        p, w = paired_ci(b[ok], x[ok]), welch_ci(b[ok], x[ok])
        row = comp.loc[c]
        assert row["n"] == ok.sum()
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((p.low, p.high))
        assert (row["unpaired_ci_low"], row["unpaired_ci_high"]) == pytest.approx((w.low, w.high))
        assert row["diff_mean"] == pytest.approx(row["variant_mean"] - row["baseline_mean"])


def test_t_interval_coverage_on_known_scenario():
    """Submitted proposals are Poisson with mean = sum of propensities (7.0 overall, 5.5 for
    AA): 200 intervals of 10 replications each must cover it ~95 % of the time."""
    import samplesim

    res = samplesim.replicate(SMALL, replications=2000, seed=11)
    for country, truth in (("ALL", 7.0), ("AA", 5.5)):
        sub = res.runs[(res.runs.country == country) & (res.runs.metric == "submitted")]
        values = sub.sort_values("replication")["value"].to_numpy()
        assert len(values) == 2000
        blocks = values.reshape(200, 10)
        hits = sum(t_interval(b).low <= truth <= t_interval(b).high for b in blocks)
        p = st.binomtest(int(hits), 200, 0.95).pvalue
        assert 0.90 <= hits / 200 <= 0.99 and p > 0.01, (country, hits)
        # and the grand mean is right
        assert abs(values.mean() - truth) < 4 * np.sqrt(truth / 2000)
