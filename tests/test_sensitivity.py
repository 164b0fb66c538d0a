"""Noise-aware Sobol' indices: a known-answer case (expected submissions = the sum of two
propensities: S1 = 0.94 and 0.06), the dummy's noise floor, and the warnings."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from SALib.sample import sobol

import samplesim
from helpers import minimal_raw
from samplesim.experiment.api import SensitivityWarning
from samplesim.sensitivity import DUMMY, noisy_sobol, sensitivity_table

# Var(U[1, 5]) : Var(U[1, 1 + w]) = 0.94 : 0.06 for an additive model.
W2 = 4 * math.sqrt(0.06 / 0.94)
PROBLEM = {"num_vars": 2, "names": ["p1", "p2"], "bounds": [[1, 5], [1, 1 + W2]]}
TRUE_S1 = (0.94, 0.06)


def _poisson_sum(n: int, reps: int, seed: int) -> np.ndarray:
    """Counts Poisson(p1) + Poisson(p2), replication r using the same streams at every
    point (common random numbers, one stream per 'institution')."""
    x = sobol.sample(PROBLEM, n, calc_second_order=False, seed=seed)
    y = np.empty((len(x), reps))
    for r in range(reps):
        y[:, r] = [
            np.random.default_rng([seed, r, 1]).poisson(p1)
            + np.random.default_rng([seed, r, 2]).poisson(p2)
            for p1, p2 in x
        ]
    return y


def _covers(idx: dict[str, np.ndarray], key: str, j: int, value: float) -> bool:
    return idx[f"{key}_low"][j] <= value <= idx[f"{key}_high"][j]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_known_answer_recovered_within_the_intervals(seed):
    idx = noisy_sobol(_poisson_sum(64, 20, seed), 2, n_boot=300, seed=seed)
    for j, s in enumerate(TRUE_S1):
        assert _covers(idx, "S1", j, s), (j, idx)
        assert _covers(idx, "ST", j, s), (j, idx)  # additive: ST = S1
    # The dummy's true index is 0, and its interval includes it.
    assert _covers(idx, "S1", 2, 0.0) and _covers(idx, "ST", 2, 0.0)
    assert idx["ST_high"][2] < idx["ST_low"][0]  # the big effect stands above the floor


def test_the_corrected_estimates_are_unbiased_on_average():
    # Over independent designs the noise-corrected indices centre on the true values.
    est = np.array(
        [noisy_sobol(_poisson_sum(64, 10, s), 2, n_boot=2, seed=s)["S1"] for s in range(10)]
    )
    mean = est.mean(axis=0)
    assert abs(mean[0] - 0.94) < 0.05 and abs(mean[1] - 0.06) < 0.04
    # The dummy (true index 0): within 3 standard errors of 0.
    assert abs(mean[2]) < 3 * est[:, 2].std(ddof=1) / math.sqrt(len(est))


def test_one_replication_and_wide_intervals_warn():
    table, notes = sensitivity_table("submitted", ["p1", "p2"], _poisson_sum(16, 1, 4))
    assert any("one replication per point" in n for n in notes)
    assert table.set_index("parameter").loc[DUMMY, ["S1", "ST"]].notna().all()
    table, notes = sensitivity_table("submitted", ["p1", "p2"], _poisson_sum(16, 4, 4))
    p2 = table.set_index("parameter").loc["p2"]
    wide = (p2["ST_high"] - p2["ST_low"]) / 2 > abs(p2["ST"])
    assert wide == ("ST interval wider than the index" in p2["warning"])
    assert any("p2" in n for n in notes) == bool(p2["warning"])


def test_sweep_recovers_the_known_answer_through_the_simulator():
    raw = copy.deepcopy(minimal_raw())
    raw["rules"] = []
    raw["institutions"][1]["propensity"] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SensitivityWarning)  # a wide p2 interval may warn
        res = samplesim.sweep(
            raw,
            params={
                "institutions.Uni A.propensity": (1, 5),
                "institutions.Uni B.propensity": (1, 1 + W2),
            },
            samples=32,
            design="sobol",
            replications=10,
            outcomes="submitted",
            executor="serial",
        )
    s = res.sensitivity.set_index("parameter")
    names = ["institutions.Uni A.propensity", "institutions.Uni B.propensity", DUMMY]
    assert list(s.index) == names
    for name, true in zip(s.index[:2], TRUE_S1, strict=True):
        assert s.loc[name, "S1_low"] <= true <= s.loc[name, "S1_high"], s
    assert bool(s.loc["institutions.Uni A.propensity", "distinguishable"])
