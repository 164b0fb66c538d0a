"""Sequential stopping and intervals by metric kind: coverage on a rare count, no zero-width
interval for a metric that can vary, Hoad-Robinson-Davies look-ahead, and the driver."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

import samplesim
from helpers import SMALL
from samplesim.intervals import garwood, interval_kind, wilson
from samplesim.stats import metric_interval
from samplesim.stopping import look_ahead, prefix_half_widths, until_precise

TRUE_MEAN = 0.14  # a rare count: most replications see none
EXPERIMENTS = 300


def _coverage(metric: str, target: float, method: str, min_replications: int) -> tuple[int, int]:
    """How many of EXPERIMENTS independent sequential experiments on Poisson(0.14)
    replications end with an interval covering the true mean."""
    hits = 0
    for e in range(EXPERIMENTS):
        x = np.random.default_rng([2010, e]).poisson(TRUE_MEAN, 2000).astype(float)
        stop = until_precise(
            lambda n, x=x: x[:n],
            metric,
            target,
            1000,
            min_replications=min_replications,
            method=method,
        )
        hits += stop.ci.low <= TRUE_MEAN <= stop.ci.high
    return hits, EXPERIMENTS


def _not_below(hits: int, n: int, p: float = 0.93) -> bool:
    # One-sided binomial test of H0 "coverage >= p": a p-value below 0.01 means the
    # coverage is significantly below p.
    return binomtest(hits, n, p, alternative="less").pvalue > 0.01


@pytest.mark.parametrize(("target", "method"), [(0.05, "batch"), (0.1, "batch"), (0.1, "hrd")])
def test_stopping_on_a_rare_count_keeps_its_coverage(target, method):
    assert interval_kind("blocked") == "count"
    hits, n = _coverage("blocked", target, method, 20)
    assert hits / n >= 0.93 and _not_below(hits, n), hits / n


def test_the_old_rule_fails_the_same_check():
    # The check has power: a t-interval (a continuous metric's kind) from 10 replications
    # stops on [0, 0] and covers ~70 % (the coverage reported in issue 13).
    assert interval_kind("grams_granted") == "continuous"
    hits, n = _coverage("grams_granted", 0.1, "batch", 10)
    assert not _not_below(hits, n)


def test_a_rare_metric_never_gets_a_zero_width_interval():
    zeros = np.zeros(25)
    for metric in ("blocked", "approval_rate", "fairness_index"):
        ci = metric_interval(metric, zeros)
        assert ci.low == 0 and ci.high > 0, metric
    ones = np.ones(25)
    assert metric_interval("approval_rate", ones).low < 1
    # A continuous metric that did not vary has an exact mean.
    ci = metric_interval("median_days_to_samples", np.full(25, 120.0))
    assert ci.low == ci.high == 120.0


def test_garwood_and_wilson_match_known_values():
    # Garwood (1936): S = 0 -> upper 3.689; S = 10 -> [4.795, 18.39] (total over n = 1).
    lo, hi = garwood(np.array([0.0, 10.0]), np.array([1, 1]), 0.95)
    np.testing.assert_allclose(lo, [0.0, 4.7954], atol=1e-3)
    np.testing.assert_allclose(hi, [3.6889, 18.3904], atol=1e-3)
    # Wilson (1927): 0 of 10 -> [0, 0.2775]; 5 of 10 -> [0.2366, 0.7634].
    lo, hi = wilson(np.array([0.0, 0.5]), np.array([10, 10]), 0.95)
    np.testing.assert_allclose(lo, [0.0, 0.2366], atol=1e-4)
    np.testing.assert_allclose(hi, [0.2775, 0.7634], atol=1e-4)


def test_hrd_accepts_n_only_when_the_look_ahead_agrees():
    assert (look_ahead(50), look_ahead(100), look_ahead(400)) == (5, 5, 20)
    x = np.random.default_rng(3).normal(10, 2, 1000)
    stop = until_precise(lambda n: x[:n], "grams_granted", 0.5, 1000, method="hrd")
    assert stop.reached
    for m in range(stop.n, stop.n + look_ahead(stop.n) + 1):
        assert metric_interval("grams_granted", x[:m]).half_width < 0.5
    # ...and n is the first such n: n - 1 failed itself or in its look-ahead.
    prev = stop.n - 1
    ahead = range(prev, prev + look_ahead(prev) + 1)
    assert any(metric_interval("grams_granted", x[:m]).half_width >= 0.5 for m in ahead)


def test_replicate_stops_with_at_least_the_minimum_and_an_exact_interval():
    res = samplesim.replicate(SMALL, replications=10, precision="blocked=0.5", max_replications=60)
    p = res.precision
    assert p["n"] >= 20 and p["min_replications"] == 20
    assert p["interval"] == "count" and p["ci_high"] > p["ci_low"]
    assert res.runs["replication"].nunique() == p["n"]
    row = res.summary.set_index(["country", "metric"]).loc[("ALL", "blocked")]
    assert row["interval"] == "t+garwood" and row["ci_high"] > 0
    hrd = samplesim.replicate(
        SMALL, replications=10, precision="blocked=0.5", max_replications=60, stopping="hrd"
    )
    assert hrd.precision["method"] == "hrd" and hrd.precision["n"] >= 20


@pytest.mark.parametrize("metric", ["blocked", "approval_rate", "grams_granted"])
def test_prefix_half_widths_match_the_interval_of_each_prefix(metric):
    rng = np.random.default_rng(5)
    x = rng.poisson(0.3, 40).astype(float) if metric == "blocked" else rng.random(40) * 3
    if metric == "approval_rate":
        x = x / 3
    x[7] = np.nan
    want = [metric_interval(metric, x[:n]).half_width for n in range(1, 41)]
    np.testing.assert_allclose(prefix_half_widths(metric, x), want, rtol=1e-9, atol=1e-12)
