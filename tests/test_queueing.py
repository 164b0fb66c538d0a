"""The review stage as a queue: simulated waits against M/M/c (Erlang C) theory.

The scenario makes review an M/M/c queue: one call with a long window (a Poisson number of
proposals, uniform in the window given the count = a homogeneous Poisson process),
one review per proposal, exponential review durations, ``c`` reviewers with load 1, no
conflict of interest, no screening delay, no rules and no panel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import samplesim
from samplesim.scenario import Scenario, build_scenario

WINDOW = 4000.0
REPS = 20


def mmc_scenario(c: int, lam: float, duration: dict) -> Scenario:
    raw = {
        "name": f"mm{c}",
        "start_date": "2024-01-01",
        "horizon_days": WINDOW + 500,
        "inventory": [{"name": "rock", "grams": 1.0}],
        "calls": [{"name": "long", "open_day": 0, "close_day": WINDOW}],
        # Two institutions: the superposition of their Poisson streams is Poisson.
        "institutions": [
            {"name": "A", "country": "AA", "propensity": 0.4 * lam * WINDOW},
            {"name": "B", "country": "BB", "propensity": 0.3 * lam * WINDOW, "count": 2},
        ],
        "proposals": {"co_investigators": 0, "deadline_rush": 0.0},
        "screening": {"delay": 0, "incomplete_probability": 0.0},
        "review": {
            "reviewers": c,
            "load": 1,
            "reviews_per_proposal": 1,
            "duration": duration,
            "reviewer_countries": {},
            "conflict_of_interest": False,
        },
        "panel": {"enabled": False},
    }
    return build_scenario(raw)


def arrival_rate(sc: Scenario) -> float:
    """Expected proposals per day, from the scenario itself."""
    call = sc.calls[0]
    total = sum(i.propensity * i.count for i in sc.institutions) * call.demand
    return total / (call.close_day - call.open_day)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a``."""
    rho = a / c
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - rho)
    return tail / (head + tail)


def mmc_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue Wq = C(c, a) / (c mu - lam)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def replicate_waits(
    sc: Scenario, seed: int = 2024, reps: int = REPS
) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: mean review wait and share of proposals that waited (after warm-up)."""
    means, waited = [], []
    for r in range(reps):
        p = samplesim.simulate(sc, seed=seed, replication=r).proposals
        steady = p[p["submitted_day"] >= 0.1 * WINDOW]
        w = steady["review_wait_days"].to_numpy()
        assert not np.isnan(w).any()  # every review finished before the horizon
        means.append(w.mean())
        waited.append((w > 1e-12).mean())
    return np.array(means), np.array(waited)


def t_interval(x: np.ndarray, level: float = 0.99) -> tuple[float, float]:
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return x.mean() - half, x.mean() + half


def test_erlang_c_formula():
    # Known values: M/M/1 waits with probability rho; C(2, 1) = 1/3.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_wait(1, 0.7, 1.0) == pytest.approx(0.7 / (1.0 - 0.7))


def test_mm2_review_wait_matches_erlang_c():
    mu = 1.0
    sc = mmc_scenario(2, 1.5, {"dist": "exponential", "mean": 1 / mu})
    lam = arrival_rate(sc)
    assert lam == pytest.approx(1.5)
    rho = lam / (2 * mu)
    assert 0.7 <= rho <= 0.8
    wq = mmc_wait(2, lam, mu)
    means, waited = replicate_waits(sc)
    lo, hi = t_interval(means)
    assert lo <= wq <= hi, (wq, lo, hi)
    assert hi - lo < 0.2 * wq  # the interval is tight enough for the test to have power
    lo, hi = t_interval(waited)
    assert lo <= erlang_c(2, lam / mu) <= hi


def test_mm1_review_wait_matches_theory():
    mu = 0.5  # mean review 2 days
    sc = mmc_scenario(1, 0.35, {"dist": "exponential", "mean": 1 / mu})
    lam = arrival_rate(sc)
    wq = lam / (mu * (mu - lam))  # M/M/1: Wq = rho / (mu - lam)
    means, waited = replicate_waits(sc, seed=7)
    lo, hi = t_interval(means)
    assert lo <= wq <= hi, (wq, lo, hi)
    lo, hi = t_interval(waited)
    assert lo <= lam / mu <= hi  # P(wait) = rho


def test_fixed_durations_are_not_mm2():
    """M/D/2 waits about half as long as M/M/2: the comparison above can fail."""
    mu = 1.0
    sc = mmc_scenario(2, 1.5, {"dist": "fixed", "value": 1 / mu})
    wq = mmc_wait(2, arrival_rate(sc), mu)
    # The gap is wide: 8 replications put the whole interval below 0.6 Wq (20 give 0.55).
    means, _ = replicate_waits(sc, reps=8)
    lo, hi = t_interval(means)
    assert not lo <= wq <= hi
    assert hi < 0.75 * wq
