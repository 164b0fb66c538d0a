"""Trimmed awards (``allocation.trim_fraction``, ``allocation.award_cap``): known answers,
every built-in policy, bad input, invariants and determinism on a scenario that uses them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import samplesim
from helpers import SCENARIOS, assert_refused, minimal_raw
from samplesim.model.trim import trim_request
from samplesim.policies import POLICIES
from samplesim.scenario import build_scenario
from test_invariants import check_all

EXAMPLE = SCENARIOS / "examples" / "member-states.toml"


# --- the trim itself ----------------------------------------------------------------------


def test_trim_is_the_identity_when_off():
    req = {"rock": 0.3, "dust": 0.17}
    assert trim_request(req, {"rock": 0.01, "dust": 0.01}, 1.0, None) is req


@pytest.mark.parametrize(
    ("req", "fraction", "cap", "want"),
    [
        ({"rock": 0.3}, 0.5, None, {"rock": 0.15}),
        ({"rock": 0.33}, 0.5, None, {"rock": 0.17}),  # 0.165 -> nearest whole portion
        ({"rock": 0.05}, 0.1, None, {"rock": 0.01}),  # never below one portion
        ({"rock": 0.01}, 0.5, None, {"rock": 0.01}),  # nor above the request
        ({"rock": 1.0, "dust": 1.0}, 1.0, 1.0, {"rock": 0.5, "dust": 0.5}),
        ({"rock": 0.7, "dust": 0.3}, 1.0, 0.5, {"rock": 0.35, "dust": 0.15}),
        ({"rock": 0.75, "dust": 0.25}, 1.0, 0.5, {"rock": 0.37, "dust": 0.12}),  # rounded down
        ({"rock": 2.0}, 0.5, 0.4, {"rock": 0.4}),  # trimmed to 1.0, then capped
        ({"rock": 0.3}, 1.0, 0.5, {"rock": 0.3}),  # under the cap: unchanged
        ({"rock": 0.99, "dust": 0.01}, 1.0, 0.5, {"rock": 0.49}),  # dust rounds to nothing
        ({"rock": 1.0, "dust": 0.8}, 1.0, 0.015, {"rock": 0.01}),  # both would: one portion
    ],
)
def test_trim_known_answers(req, fraction, cap, want):
    got = trim_request(req, {"rock": 0.01, "dust": 0.01}, fraction, cap)
    assert got == pytest.approx(want)
    if cap is not None:
        assert sum(got.values()) <= cap + 1e-9


# --- in a run: trimming frees stock for the next in line ------------------------------------


def _scenario(**allocation: Any):
    raw = minimal_raw()
    raw["inventory"] = [{"name": "rock", "grams": 5.0, "min_portion_g": 0.01}]
    raw["rules"] = []
    raw["institutions"] = [{"name": "Uni A", "country": "US", "propensity": 20.0}]
    raw["proposals"] = {"grams_requested": 1.0}
    raw["allocation"] = {"policy": "merit_rank", **allocation}
    return build_scenario(raw)


def _decided(res: samplesim.SimulationResult) -> pd.DataFrame:
    p = res.proposals
    return p[p["decision_day"].notna()]


def test_ten_equal_requests_stock_for_five_become_ten_halves():
    plain = samplesim.simulate(_scenario(), seed=3)
    trimmed = samplesim.simulate(_scenario(trim_fraction=0.5), seed=3)
    n = len(_decided(plain))
    assert n >= 10 and n == len(_decided(trimmed))  # the same proposals reach the decision
    g0, g1 = plain.proposals["granted_g:rock"], trimmed.proposals["granted_g:rock"]
    assert (g0 > 0).sum() == 5 and set(g0[g0 > 0].round(9)) == {1.0}
    assert (g1 > 0).sum() == 10 and set(g1[g1 > 0].round(9)) == {0.5}
    # The best five by final score are approved either way.
    best = _decided(plain).sort_values("final_score", ascending=False).index[:5]
    assert (g0.loc[best] == 1.0).all() and (g1.loc[best] == 0.5).all()


def test_award_cap_with_partial_grants():
    res = samplesim.simulate(_scenario(award_cap=0.4, partial=True), seed=3)
    g = res.proposals["granted_g:rock"]
    n = len(_decided(res))
    # 5 g of stock: 12 awards of 0.4 g, then a partial 0.2 g; the rest get nothing.
    assert n >= 14
    assert sorted(g[g > 0].round(9).tolist(), reverse=True) == [0.4] * 12 + [0.2]


@pytest.mark.parametrize("policy", sorted(set(POLICIES) - {"balanced"}))
def test_every_builtin_policy_grants_at_most_the_trimmed_request(policy):
    sc = build_scenario(
        {**minimal_raw(), "allocation": {"policy": policy, "trim_fraction": 0.4, "award_cap": 0.35}}
    )
    res = samplesim.simulate(sc, seed=5)
    p = res.proposals
    for s in sc.inventory:  # 40 % of the request to the nearest portion (at least one)
        got, asked = p[f"granted_g:{s.name}"], p[f"requested_g:{s.name}"]
        bound = (0.4 * asked + s.min_portion_g / 2).clip(lower=s.min_portion_g)
        assert (got <= bound + 1e-9).all() and (got <= asked + 1e-9).all()
    assert (p["grams_granted"] <= 0.35 + 1e-9).all()
    assert (p["grams_granted"] > 0).any()
    check_all(sc, res)


# --- bad input: key path, exit 2, nothing written -------------------------------------------

BAD = [
    ({"trim_fraction": 0.0}, "allocation.trim_fraction", "(0, 1]"),
    ({"trim_fraction": 1.5}, "allocation.trim_fraction", "(0, 1]"),
    ({"trim_fraction": "half"}, "allocation.trim_fraction", "number"),
    ({"award_cap": -1.0}, "allocation.award_cap", "greater than 0"),
    ({"award_cap": 0.001}, "allocation.award_cap", "min_portion_g"),
    ({"policy": "balanced"}, "allocation.balance.contribution", "needs at least one"),
    ({"balance": {"contribution": {"US": 0}}}, "allocation.balance.contribution.US",
     "greater than 0"),
    ({"balance": {"contribution": {"Narnia": 1}}}, "allocation.balance.contribution.Narnia",
     "country code"),
    ({"balance": {"minimum_share": {"FR": 1.5}}}, "allocation.balance.minimum_share.FR",
     "(0, 1]"),
    ({"balance": {"minimum_share": {"FR": 0.6, "US": 0.6}}}, "allocation.balance.minimum_share",
     "more than 1"),
    ({"balance": {"groups": {"EU": ["FR"]}, "contribution": {"FR": 1}}},
     "allocation.balance.contribution.FR", "use the group's name"),
    ({"balance": {"groups": {"EU": ["FR"], "XX": ["FR"]}}}, "allocation.balance.groups.XX",
     "already in group"),
    ({"balance": {"groups": {"EU": []}}}, "allocation.balance.groups.EU", "at least one"),
    ({"balance": {"groups": {"US": ["FR"]}}}, "allocation.balance.groups.US", "not be a country"),
    ({"balance": {"rounds": 0}}, "allocation.balance.rounds", '"all" or a whole number'),
    ({"balance": {"rounds": "some"}}, "allocation.balance.rounds", '"all" or a whole number'),
    ({"balance": {"rounds": 2.5}}, "allocation.balance.rounds", '"all" or a whole number'),
    ({"balance": {"tolerance": -0.1}}, "allocation.balance.tolerance", "between 0 and 1"),
    ({"balance": {"contributon": {}}}, "allocation.balance.contributon", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("alloc", "path", "words"), BAD, ids=[b[1] + str(k) for k, b in
                                                                enumerate(BAD)])  # fmt: skip
def test_bad_award_keys(tmp_path, capsys, alloc, path, words):
    raw = minimal_raw()
    raw["allocation"].update(alloc)
    assert_refused(tmp_path, capsys, raw, path, words)


# --- the example scenario -------------------------------------------------------------------


def test_example_invariants_and_determinism():
    sc = samplesim.load_scenario(EXAMPLE)
    assert sc.allocation.policy == "balanced" and sc.allocation.trim_fraction == 0.6
    for seed in range(3):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        assert (res.proposals["grams_granted"] <= sc.allocation.award_cap + 1e-9).all()
    a = samplesim.simulate(sc, seed=7)
    b = samplesim.simulate(samplesim.load_scenario(EXAMPLE), seed=7)
    for t in ("proposals", "events", "inventory", "summary"):
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))
