"""Data-only requests (``proposals.data_only_probability``): approved without material."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import samplesim
from helpers import minimal_raw, write_scenario
from samplesim import cli
from samplesim.policies import POLICIES, Candidate
from samplesim.scenario import ScenarioError, build_scenario
from samplesim.scenario.schema import Allocation, Balance
from test_invariants import check_all

DATA = Path(__file__).parent / "data" / "data-only.toml"


@pytest.fixture(scope="module")
def scenario():
    return samplesim.load_scenario(DATA)


# -- policies: a zero request fits any budget ----------------------------------------------
def _cands() -> list[Candidate]:
    """A data-only candidate (best score) and one asking more than the budget."""
    return [
        Candidate(0, "AA", 1.0, {}, {"rock": 0.01}),
        Candidate(1, "BB", 0.5, {"rock": 5.0}, {"rock": 0.01}),
    ]


def _settings(policy: str) -> Allocation:
    if policy == "balanced":
        return Allocation(policy=policy, balance=Balance(contribution={"AA": 1.0, "BB": 1.0}))
    if policy == "country_quota":
        return Allocation(policy=policy, quota={"AA": 1})
    return Allocation(policy=policy)


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_policy_approves_a_zero_request_on_an_empty_budget(policy):
    grants = POLICIES[policy](_cands(), {"rock": 0.0}, _settings(policy), np.random.default_rng(1))
    assert grants == {0: {}}  # the zero request is granted (nothing); the other does not fit


@pytest.mark.parametrize("policy", ["merit_rank", "lottery", "balanced", "fair_share"])
def test_a_zero_request_takes_nothing_from_the_budget(policy):
    cands = [Candidate(0, "AA", 1.0, {}, {}), Candidate(1, "BB", 0.5, {"rock": 1.0}, {})]
    grants = POLICIES[policy](cands, {"rock": 1.0}, _settings(policy), np.random.default_rng(2))
    assert grants[0] == {} and grants[1] == {"rock": pytest.approx(1.0)}


# -- the scenario ------------------------------------------------------------------------
def test_data_only_proposals_are_approved_and_counted(scenario):
    res = samplesim.simulate(scenario, seed=1)
    check_all(scenario, res)
    props = res.proposals
    state = props["state"].astype(str)
    data_only = props[state == "approved_no_material"]
    assert len(data_only) >= 2  # not vacuous
    granted = int((props["grams_awarded"] > 0).sum())
    all_row = res.summary.set_index("country").loc["ALL"]
    assert all_row["approved"] == granted + len(data_only)
    assert res.calls["approved"].sum() == all_row["approved"]
    # grams metrics count only material
    assert all_row["grams_granted"] == pytest.approx(props["grams_granted"].sum())
    assert (data_only["reason"] == "approved: data-only request, no material").all()


def test_share_of_data_only_requests_follows_the_probability(scenario):
    zero, n = {0: 0, 1: 0}, {0: 0, 1: 0}
    for seed in range(1, 31):
        p = samplesim.simulate(scenario, seed=seed).proposals
        p = p[p["state"].astype(str) != "deterred"]
        for k, name in enumerate(("first", "second")):
            mine = p[p["call"].astype(str) == name]
            zero[k] += int((mine["grams_requested"] == 0).sum())
            n[k] += len(mine)
    # 0.3 and 0.5 (binomial, several hundred proposals each: 5 standard errors)
    for k, want in ((0, 0.3), (1, 0.5)):
        se = (want * (1 - want) / n[k]) ** 0.5
        assert abs(zero[k] / n[k] - want) < 5 * se, (k, zero[k], n[k])


def test_same_seed_same_tables(scenario):
    a, b = samplesim.simulate(scenario, seed=3), samplesim.simulate(scenario, seed=3)
    for name in ("proposals", "summary", "calls", "events"):
        assert getattr(a, name).equals(getattr(b, name)), name


def test_the_flag_moves_no_other_draw():
    """Merit, arrivals and the material requests are those of the run without the key."""
    raw = minimal_raw()
    off = samplesim.simulate(build_scenario(raw), seed=4).proposals
    raw["proposals"]["data_only_probability"] = 0.5
    on = samplesim.simulate(build_scenario(raw), seed=4).proposals
    assert list(on["merit"]) == list(off["merit"])
    assert list(on["submitted_day"]) == list(off["submitted_day"])
    material = on["grams_requested"] > 0
    assert 0 < int(material.sum()) < len(on)
    assert list(on.loc[material, "grams_requested"]) == list(off.loc[material, "grams_requested"])


def test_probability_zero_is_the_default():
    raw = minimal_raw()
    off = samplesim.simulate(build_scenario(raw), seed=5).proposals
    raw["proposals"]["data_only_probability"] = 0.0
    assert samplesim.simulate(build_scenario(raw), seed=5).proposals.equals(off)


def test_all_data_only_lends_nothing():
    raw = minimal_raw()
    raw["proposals"]["data_only_probability"] = 1.0
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=1)
    check_all(sc, res)
    row = res.summary.set_index("country").loc["ALL"]
    assert row["grams_granted"] == 0 and row["approved"] > 0
    assert row["approved"] == row["shortlisted"]  # merit_rank approves every zero request


# -- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan")])
def test_bad_probability_names_the_key(value):
    raw = minimal_raw()
    raw["proposals"]["data_only_probability"] = value
    with pytest.raises(ScenarioError, match=r"proposals\.data_only_probability"):
        build_scenario(raw)


def test_bad_per_call_probability_names_the_call(tmp_path, capsys):
    raw = minimal_raw()
    raw["calls"][0]["proposals"] = {"data_only_probability": 2}
    path = write_scenario(tmp_path / "bad.toml", raw)
    before = sorted(tmp_path.rglob("*"))
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "calls[0].proposals.data_only_probability" in err and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before


def test_a_data_only_request_approved_from_the_waiting_list_ends_without_material():
    """Regression: it went through agreement and shipping and ended 'delivered' with 0 g."""
    raw = minimal_raw()
    raw["rules"] = [{"name": "no-export", "gate": "shipping", "effect": "licence",
                     "selector": {"countries": ["US"]}, "success_probability": 0.0}]  # fmt: skip
    raw["proposals"]["data_only_probability"] = 0.6
    raw["allocation"] = {"policy": "merit_rank", "max_awards": 1, "reallocation": "waiting_list"}
    sc = build_scenario(raw)
    seen = 0
    for seed in range(8):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        p = res.proposals
        wl = p[p["from_waiting_list"].astype(bool) & (p["grams_requested"] == 0)]
        assert (wl["state"].astype(str) == "approved_no_material").all()
        assert wl["agreement_day"].isna().all() and wl["samples_day"].isna().all()
        seen += len(wl)
    assert seen >= 3
