"""Requests as whole items (``item_grams``), rounded to quanta (``quantum_g``), and the number
of sample types per proposal as a distribution."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import assert_problem, minimal_raw, write_scenario
from samplesim.model.world import World
from samplesim.scenario import build_scenario


def _requested(raw: dict[str, Any], seed: int) -> np.ndarray:
    return World(build_scenario(copy.deepcopy(raw)), seed, 0).props.requested


def _raw(**proposals: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["calls"][0]["demand"] = 5.0  # about 25 proposals per run
    raw["proposals"].update(proposals)
    return raw


def test_quantum_rounds_each_request_up_to_a_multiple():
    plain = _raw(types_per_proposal=2)
    rounded = copy.deepcopy(plain)
    rounded["inventory"][0]["quantum_g"] = 0.25
    for seed in range(3):
        before, after = _requested(plain, seed), _requested(rounded, seed)
        assert len(before) > 5
        # the same draws (common random numbers), only the rock column rounded up
        np.testing.assert_array_equal(before[:, 1], after[:, 1])
        want = np.where(before[:, 0] > 0, np.ceil(before[:, 0] / 0.25 - 1e-9) * 0.25, 0.0)
        np.testing.assert_allclose(after[:, 0], want, rtol=0, atol=1e-12)
        assert (after[:, 0][after[:, 0] > 0] >= 0.25).all()


def test_item_types_are_requested_as_whole_items():
    raw = _raw(types_per_proposal=2, items_requested={"dist": "empirical", "values": [1, 3]})
    raw["inventory"][1]["item_grams"] = 0.05
    plain = _raw(types_per_proposal=2)
    for seed in range(3):
        got, before = _requested(raw, seed), _requested(plain, seed)
        dust = got[:, 1]
        asked = before[:, 1] > 0
        np.testing.assert_array_equal(dust > 0, asked)  # the same types are chosen
        items = dust[asked] / 0.05
        np.testing.assert_allclose(items, np.rint(items), atol=1e-9)
        assert set(np.rint(items).astype(int)) <= {1, 3}
        np.testing.assert_array_equal(got[:, 0], before[:, 0])  # rock is not an item type


def test_one_item_when_items_requested_is_unset():
    raw = _raw()
    raw["inventory"][1]["item_grams"] = 0.2
    got = _requested(raw, 1)
    dust = got[:, 1]
    assert set(np.round(dust[dust > 0], 12)) == {0.2}


def test_types_per_proposal_as_a_distribution():
    fixed = _requested(_raw(types_per_proposal=2), 4)
    as_dist = _requested(_raw(types_per_proposal={"dist": "fixed", "value": 2}), 4)
    np.testing.assert_array_equal(fixed, as_dist)
    spread = _raw(types_per_proposal={"dist": "uniform", "low": 0.0, "high": 5.0})
    counts = np.concatenate([(_requested(spread, s) > 0).sum(axis=1) for s in range(4)])
    # rounded, at least 1, at most the 2 types on offer: both counts occur
    assert set(counts.tolist()) == {1, 2}
    totals = [_requested(spread, s).sum(axis=1) for s in range(2)]
    plain = [_requested(_raw(), s).sum(axis=1) for s in range(2)]
    for t, p in zip(totals, plain, strict=True):
        np.testing.assert_allclose(t, p)  # the grams are split, not changed


def test_scenario_with_items_and_quanta_keeps_the_invariants_and_is_deterministic():
    from test_invariants import check_all

    raw = _raw(types_per_proposal={"dist": "uniform", "low": 1, "high": 2},
               items_requested={"dist": "uniform", "low": 1, "high": 4})  # fmt: skip
    raw["inventory"][1]["item_grams"] = 0.05
    raw["inventory"][0]["quantum_g"] = 0.1
    raw["allocation"]["partial"] = True
    sc = build_scenario(raw)
    a, b = samplesim.simulate(sc, seed=7), samplesim.simulate(sc, seed=7)
    assert a.proposals.equals(b.proposals)
    for seed in range(4):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        req = res.proposals["requested_g:dust"].to_numpy()
        items = req[req > 0] / 0.05
        np.testing.assert_allclose(items, np.rint(items), atol=1e-9)


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda r: r["inventory"][0].update(item_grams=0), "inventory[0].item_grams", "greater"),
        (lambda r: r["inventory"][0].update(item_grams=9.0), "inventory[0].item_grams",
         "exceeds the stock"),
        (lambda r: r["inventory"][0].update(quantum_g=-1), "inventory[0].quantum_g", "greater"),
        (lambda r: r["inventory"][0].update(quantum_g="x"), "inventory[0].quantum_g", "number"),
        (lambda r: r["inventory"][0].update(quantum_g=0.1, item_grams=0.1),
         "inventory[0].quantum_g", "takes no quantum_g"),
        (lambda r: r["proposals"].update(items_requested=2), "proposals.items_requested",
         "no sample type sets item_grams"),
        (lambda r: (r["inventory"][0].update(item_grams=0.1),
                    r["proposals"].update(items_requested={"dist": "uniform", "low": -2,
                                                           "high": 1})),
         "proposals.items_requested", "negative"),
        (lambda r: r["proposals"].update(types_per_proposal="two"),
         "proposals.types_per_proposal", "distribution"),
        (lambda r: r["proposals"].update(types_per_proposal=5),
         "proposals.types_per_proposal", "between 1"),
        (lambda r: r["proposals"].update(types_per_proposal={"dist": "uniform", "low": -3,
                                                             "high": 1}),
         "proposals.types_per_proposal", "negative"),
    ],
)  # fmt: skip
def test_bad_request_keys_name_the_key_path(mutate, path, words):
    raw = minimal_raw()
    mutate(raw)
    assert_problem(raw, path, words)


def test_validate_exits_2_with_the_key_path_and_leaves_nothing(tmp_path):
    raw = minimal_raw()
    raw["calls"][0]["proposal_counts"] = {"by_country": {"US": [3, -2]}}
    raw["inventory"][1]["quantum_g"] = 0
    f = write_scenario(tmp_path / "bad.toml", raw)
    before = sorted(tmp_path.iterdir())
    out = subprocess.run(
        [sys.executable, "-m", "samplesim", "validate", str(f)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    assert "calls[0].proposal_counts.by_country.US" in out.stderr + out.stdout
    assert "inventory[1].quantum_g" in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
    assert sorted(tmp_path.iterdir()) == before
