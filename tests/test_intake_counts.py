"""Fixed and empirical proposal counts per call (``calls[i].proposal_counts``)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import SCENARIOS, assert_problem, minimal_raw
from samplesim.model.world import World
from samplesim.scenario import ScenarioError, build_scenario, load_raw

EXAMPLE = SCENARIOS / "examples" / "intake-57-from-12.toml"


def _props(raw: dict[str, Any], seed: int = 1, replication: int = 0):
    sc = build_scenario(copy.deepcopy(raw))
    w = World(sc, seed, replication)
    return sc, w.props, w.applicants


def _countries(raw: dict[str, Any], seed: int) -> dict[str, int]:
    _, p, apps = _props(raw, seed)
    out: dict[str, int] = {}
    for a in p.applicant.tolist():
        out[apps[a].country] = out.get(apps[a].country, 0) + 1
    return out


def test_57_proposals_from_12_countries_is_reproduced_exactly():
    raw = load_raw(EXAMPLE)
    wanted = raw["calls"][0]["proposal_counts"]["by_country"]
    assert sum(wanted.values()) == 57 and len(wanted) == 12
    for seed in range(5):
        res = samplesim.simulate(build_scenario(copy.deepcopy(raw)), seed=seed)
        pr = res.proposals
        assert len(pr) == 57
        assert pr["country"].nunique() == 12
        assert pr["country"].value_counts().to_dict() == wanted
        assert "KR" not in set(pr["country"])  # not listed, only_listed = true


def test_a_country_count_is_split_by_propensity_over_its_institutions():
    raw = minimal_raw()
    raw["institutions"] = [
        {"name": "A1", "country": "US", "propensity": 3.0},
        {"name": "A2", "country": "US", "propensity": 1.0, "count": 2},
        {"name": "Z", "country": "US", "propensity": 0.0},
        {"name": "B", "country": "FR", "propensity": 2.0},
    ]
    raw["calls"][0]["proposal_counts"] = {"by_country": {"US": 40}}
    per_inst = np.zeros(4)
    for seed in range(30):
        _, p, apps = _props(raw, seed)
        names = [apps[a].name for a in p.applicant.tolist()]
        us = [n for n in names if not n.startswith("B")]
        assert len(us) == 40
        assert "Z" not in names  # propensity 0 gets no share
        per_inst += [us.count(n) for n in ("A1", "A2 #1", "A2 #2", "Z")]
    # shares 3 : 1 : 1 of 40 over 30 replications (1200 proposals): 720, 240, 240
    assert per_inst[3] == 0
    np.testing.assert_allclose(per_inst[:3] / per_inst.sum(), [0.6, 0.2, 0.2], atol=0.04)


def test_unlisted_institutions_keep_their_poisson_proposals_unchanged():
    raw = minimal_raw()
    listed = copy.deepcopy(raw)
    listed["calls"][0]["proposal_counts"] = {"by_institution": {"Uni A": 7}}
    for seed in range(3):
        _, p0, apps0 = _props(raw, seed)
        _, p1, apps1 = _props(listed, seed)
        fr0 = p0.submit[[apps0[a].name == "Uni B" for a in p0.applicant]]
        fr1 = p1.submit[[apps1[a].name == "Uni B" for a in p1.applicant]]
        np.testing.assert_array_equal(fr0, fr1)  # common random numbers per entity
        assert sum(apps1[a].name == "Uni A" for a in p1.applicant) == 7


def test_only_listed_drops_everyone_else():
    raw = minimal_raw()
    raw["calls"][0]["proposal_counts"] = {"by_institution": {"Uni B": 4}, "only_listed": True}
    for seed in range(3):
        assert _countries(raw, seed) == {"FR": 4}


def test_institution_listed_and_its_country_listed_are_not_counted_twice():
    raw = minimal_raw()
    raw["institutions"].append({"name": "Uni C", "country": "US", "propensity": 1.0})
    raw["calls"][0]["proposal_counts"] = {
        "by_country": {"US": 10},
        "by_institution": {"Uni A": 3},
        "only_listed": True,
    }
    _, p, apps = _props(raw, 1)
    names = [apps[a].name for a in p.applicant.tolist()]
    assert names.count("Uni A") == 3 and names.count("Uni C") == 10 and len(names) == 13


def test_an_empirical_count_draws_one_listed_value_per_replication():
    raw = minimal_raw()
    raw["calls"][0]["proposal_counts"] = {"by_country": {"FR": [2, 9]}, "only_listed": True}
    seen = []
    for rep in range(40):
        _, p, _ = _props(raw, 5, rep)
        seen.append(len(p))
    assert set(seen) == {2, 9}
    assert 8 <= seen.count(9) <= 32  # about half of 40 (binomial, p = 1/2; P(outside) < 1e-4)
    # same seed and replication: same draw
    assert [len(_props(raw, 5, r)[1]) for r in range(5)] == seen[:5]


def test_fixed_counts_are_deterministic_and_keep_the_invariants():
    from test_invariants import check_all

    sc = samplesim.load_scenario(EXAMPLE)
    a = samplesim.simulate(sc, seed=3)
    b = samplesim.simulate(sc, seed=3)
    assert a.proposals.equals(b.proposals)
    for seed in range(4):
        check_all(sc, samplesim.simulate(sc, seed=seed))


@pytest.mark.parametrize(
    ("counts", "path", "words"),
    [
        ({"by_country": {"XX": 3}}, "calls[0].proposal_counts.by_country.XX", "not a country"),
        ({"by_institution": {"Nope": 3}}, "calls[0].proposal_counts.by_institution.Nope",
         "not a known institution"),
        ({"by_country": {"US": -1}}, "calls[0].proposal_counts.by_country.US", "between 0"),
        ({"by_country": {"US": 10**9}}, "calls[0].proposal_counts.by_country.US", "between 0"),
        ({"by_country": {"US": 2.5}}, "calls[0].proposal_counts.by_country.US", "whole number"),
        ({"by_country": {"US": []}}, "calls[0].proposal_counts.by_country.US", "non-empty"),
        ({"by_country": {"US": [1, "x"]}}, "calls[0].proposal_counts.by_country.US", "whole"),
        ({"by_country": {"US": "3"}}, "calls[0].proposal_counts.by_country.US", "whole number"),
        ({}, "calls[0].proposal_counts", "needs by_country or by_institution"),
        ({"by_country": {"US": 1}, "only": True}, "calls[0].proposal_counts.only", "unknown"),
        ({"by_country": {"US": 1}, "only_listed": 1}, "calls[0].proposal_counts.only_listed",
         "true or false"),
    ],
)  # fmt: skip
def test_bad_proposal_counts_name_the_key_path(counts, path, words):
    raw = minimal_raw()
    raw["calls"][0]["proposal_counts"] = counts
    assert_problem(raw, path, words)


def test_a_country_without_institutions_of_positive_propensity_is_refused():
    raw = minimal_raw()
    raw["institutions"][1]["propensity"] = 0.0
    raw["calls"][0]["proposal_counts"] = {"by_country": {"FR": 3}}
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert "calls[0].proposal_counts.by_country.FR: no institution" in str(info.value)
