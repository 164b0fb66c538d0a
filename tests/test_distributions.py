"""Distributions: sample moments against the analytic ``mean``/``variance``; parsing errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from samplesim.distributions import (
    DISTRIBUTIONS,
    Distribution,
    DistributionError,
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Triangular,
    Uniform,
    parse_distribution,
)

N = 200_000
Z = 5.0  # tolerance in standard errors

SPECS = {
    "exponential": {"dist": "exponential", "mean": 3.5},
    "lognormal": {"dist": "lognormal", "median": 14.0, "sigma": 0.5},
    "uniform": {"dist": "uniform", "low": -2.0, "high": 7.0},
    "triangular": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 10.0},
    "triangular-left": {"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 4.0},
    "empirical": {"dist": "empirical", "values": [1, 2, 2, 9]},
    "empirical-weighted": {"dist": "empirical", "values": [1, 5, 30], "weights": [6, 3, 1]},
}


def test_every_kind_is_covered():
    kinds = {s["dist"] for s in SPECS.values()} | {"fixed"}
    assert kinds == set(DISTRIBUTIONS)


@pytest.mark.parametrize("name", list(SPECS))
def test_sample_moments_match_analytic(name):
    d = parse_distribution(SPECS[name])
    x = d.sample(np.random.default_rng(20240601), N)
    assert x.shape == (N,) and x.dtype == np.float64
    mean, var = x.mean(), x.var(ddof=1)
    # SE of the mean from the analytic variance; SE of the variance from the sample's fourth
    # central moment: Var(s^2) ~ (m4 - sigma^4) / n.
    se_mean = math.sqrt(d.variance / N)
    m4 = float(((x - mean) ** 4).mean())
    se_var = math.sqrt(max(m4 - var**2, 0.0) / N)
    assert abs(mean - d.mean) <= Z * se_mean, (mean, d.mean, se_mean)
    assert abs(var - d.variance) <= Z * se_var, (var, d.variance, se_var)
    assert x.min() >= d.minimum


def test_analytic_moments_are_not_trivially_equal():
    # Guard against a vacuous comparison: the moments the test uses are the textbook ones.
    assert LogNormal(median=14, sigma=0.5).mean == pytest.approx(14 * math.exp(0.125))
    assert LogNormal(median=1, sigma=1).variance == pytest.approx((math.e - 1) * math.e)
    assert Exponential(mean=3).variance == pytest.approx(9)
    assert Uniform(low=0, high=6).variance == pytest.approx(3)
    assert Triangular(low=0, mode=0, high=3).mean == pytest.approx(1)
    assert Triangular(low=0, mode=0, high=3).variance == pytest.approx(0.5)
    assert Empirical(values=[0, 10], weights=[3, 1]).mean == pytest.approx(2.5)
    assert Empirical(values=[0, 10], weights=[3, 1]).variance == pytest.approx(18.75)
    assert Empirical(values=[1, 3]).variance == pytest.approx(1)


def test_lognormal_median_is_the_median():
    d = LogNormal(median=14, sigma=0.5)
    x = d.sample(np.random.default_rng(7), N)
    # SE of the sample median: 1 / (2 f(m) sqrt(n)), f(m) = 1 / (m sigma sqrt(2 pi)).
    se = 14 * 0.5 * math.sqrt(2 * math.pi) / (2 * math.sqrt(N))
    assert abs(np.median(x) - 14) <= Z * se


def test_fixed_is_constant():
    d = parse_distribution({"dist": "fixed", "value": 2.5})
    x = d.sample(np.random.default_rng(1), 1000)
    assert np.all(x == 2.5)
    assert (d.mean, d.variance, d.minimum) == (2.5, 0.0, 2.5)


def test_bare_number_is_fixed():
    assert parse_distribution(4) == Fixed(4.0)
    assert parse_distribution(0.5) == Fixed(0.5)


def test_empirical_weights_give_frequencies():
    d = Empirical(values=[1, 5, 30], weights=[6, 3, 1])
    x = d.sample(np.random.default_rng(3), N)
    for v, p in zip([1, 5, 30], [0.6, 0.3, 0.1], strict=True):
        freq = float((x == v).mean())
        assert abs(freq - p) <= Z * math.sqrt(p * (1 - p) / N)
    assert set(np.unique(x)) == {1.0, 5.0, 30.0}


def test_minimum():
    assert Uniform(low=-1, high=2).minimum == -1
    assert Triangular(low=0.5, mode=1, high=2).minimum == 0.5
    assert Empirical(values=[3, -2, 5]).minimum == -2
    assert Exponential(mean=1).minimum == 0.0
    assert LogNormal(median=1, sigma=1).minimum == 0.0


@pytest.mark.parametrize("name", list(SPECS))
def test_to_dict_round_trip(name):
    d = parse_distribution(SPECS[name])
    assert isinstance(d, Distribution)
    assert parse_distribution(d.to_dict()) == d
    assert d.to_dict()["dist"] == d.kind


@pytest.mark.parametrize(
    ("spec", "path", "words"),
    [
        ({"median": 3, "sigma": 1}, "dist", "missing key"),
        ({"dist": "gamma", "shape": 2}, "dist", "unknown distribution 'gamma'"),
        ({"dist": "lognormal", "median": 3}, "sigma", "missing key"),
        ({"dist": "lognormal", "median": 3, "sigma": 0}, "sigma", "positive"),
        ({"dist": "lognormal", "median": -3, "sigma": 1}, "median", "positive"),
        ({"dist": "lognormal", "median": 3, "sigma": "wide"}, "sigma", "must be a number"),
        ({"dist": "lognormal", "median": 3, "sigma": 1, "mu": 2}, "mu", "unknown key"),
        ({"dist": "exponential", "mean": 0}, "mean", "positive"),
        ({"dist": "exponential", "mean": True}, "mean", "must be a number"),
        ({"dist": "exponential", "rate": 2}, "rate", "unknown key"),
        ({"dist": "fixed"}, "value", "missing key"),
        ({"dist": "fixed", "value": math.inf}, "value", "finite"),
        ({"dist": "uniform", "low": 5, "high": 5}, "high", "greater than low"),
        ({"dist": "uniform", "low": 1}, "high", "missing key"),
        ({"dist": "triangular", "low": 0, "mode": 9, "high": 5}, "mode", "between"),
        ({"dist": "triangular", "low": 5, "mode": 5, "high": 1}, "high", "greater than low"),
        ({"dist": "empirical"}, "values", "missing key"),
        ({"dist": "empirical", "values": []}, "values", "non-empty"),
        ({"dist": "empirical", "values": [1, "x"]}, "values[1]", "finite number"),
        ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "weights", "as many"),
        ({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, "weights", "positive sum"),
        ({"dist": "empirical", "values": [1, 2], "weights": [-1, 2]}, "weights", "non-negative"),
    ],
)
def test_parse_errors_name_the_key(spec, path, words):
    with pytest.raises(DistributionError) as info:
        parse_distribution(spec)
    assert info.value.path == path
    assert words in str(info.value)


@pytest.mark.parametrize("spec", [True, "lognormal", [1, 2], None])
def test_parse_rejects_non_tables(spec):
    with pytest.raises(DistributionError) as info:
        parse_distribution(spec)
    assert info.value.path == ""
