"""The built-in policies on arrays (samplesim.policy_arrays) grant exactly what the Candidate
path grants: same grants, same order, same reasons, on generated decisions and on every
scenario file (tables compared exactly)."""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samplesim
from samplesim.model import allocate
from samplesim.model.allocate import ranked
from samplesim.policies import POLICIES, Candidate, check_grants
from samplesim.policy_arrays import ARRAY_POLICIES, Pool
from samplesim.scenario.schema import Allocation, Lottery

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))
NAMES = ("rock", "dust", "core")
ARRAY_NAMES = sorted(n for n, fn in POLICIES.items() if fn in ARRAY_POLICIES)
TABLES = ("proposals", "events", "reviews", "summary", "calls", "inventory", "rules")

# Few distinct values, so that ties, exact fits and exhausted budgets are common.
grams = st.sampled_from([0.0, 0.0, 0.01, 0.05, 0.1, 0.25, 0.3, 1.0, 1.5]) | st.floats(0.001, 3.0)
scores = st.sampled_from([-1.0, 0.0, 0.5, 0.5, 1.25, 2.0]) | st.floats(-3.0, 3.0)


@st.composite
def decisions(draw):
    """(candidates, budget, settings, pool) of one generated decision."""
    n_types = draw(st.integers(1, 3))
    names = NAMES[:n_types]
    portions = [draw(st.sampled_from([0.0, 0.01, 0.05, 0.2])) for _ in names]
    min_portion = dict(zip(names, portions, strict=True))
    in_budget = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    budget = {n: draw(grams | st.floats(0.0, 10.0)) for n in in_budget}
    rows = draw(st.lists(st.integers(0, 400), max_size=14, unique=True))
    cands = []
    for i in rows:
        asked = {n: g for n in names if (g := draw(grams))}
        cands.append(
            Candidate(
                index=i,
                country=draw(st.sampled_from(["A", "B", "C", "D"])),
                score=draw(scores),
                requested=asked,
                min_portion=min_portion,
                tiebreak=float(draw(st.sampled_from([0, 1, 2, i]))),
            )
        )
    countries = st.sampled_from(["A", "B", "C"])
    al = Allocation(
        partial=draw(st.booleans()),
        max_awards=draw(st.none() | st.integers(0, 6)),
        max_share=draw(st.sampled_from([1.0, 0.5, 0.3])),
        quota=draw(st.dictionaries(countries, st.integers(0, 3), max_size=2)),
        priority_countries=draw(st.dictionaries(countries, st.sampled_from([0.5, 1.0]))),
        lottery=Lottery(
            top_k=draw(st.integers(0, 4)),
            grey_zone=draw(st.none() | st.integers(0, 5)),
            weight=draw(st.sampled_from([0.0, 1.0, 2.5])),
        ),
    )
    return cands, budget, al, pool_of(cands, budget, names, portions)


def pool_of(cands: list[Candidate], budget: dict, names: tuple, portions: list) -> Pool:
    """The pool the engine builds for ``cands``."""
    col = {n: t for t, n in enumerate(names)}
    return Pool(
        index=[c.index for c in cands],
        country=[c.country for c in cands],
        score=np.array([c.score for c in cands], dtype=float),
        tiebreak=np.array([c.tiebreak for c in cands], dtype=float),
        asks=[tuple((col[n], g) for n, g in c.requested.items()) for c in cands],
        portions=portions,
        budget=budget,
        names=names,
    )


@pytest.mark.parametrize("name", ARRAY_NAMES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=decisions(), seed=st.integers(0, 2**32 - 1))
def test_array_policy_grants_what_the_candidate_path_grants(name, case, seed):
    assert_same_grants(name, *case, seed)


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("name", ARRAY_NAMES)
def test_array_policies_fit_within_rounding(name, partial):
    """0.3 - 0.1 - 0.1 < 0.1 in floats: the third request fits only within the tolerance."""
    names = ("rock",)
    cands = [
        Candidate(index=i, country="ABC"[i], score=1.0 - i, requested={"rock": 0.1},
                  min_portion={"rock": 0.05}, tiebreak=float(i))
        for i in range(3)
    ]  # fmt: skip
    budget = {"rock": 0.3}
    al = Allocation(partial=partial)
    assert_same_grants(name, cands, budget, al, pool_of(cands, budget, names, [0.05]), 5)
    assert len(POLICIES[name](cands, dict(budget), al, np.random.default_rng(5))) == 3


def assert_same_grants(name, cands, budget, al, pool, seed) -> None:
    """The array implementation of policy ``name`` grants what its Candidate path grants."""
    fn = POLICIES[name]
    expected = fn(cands, dict(budget), al, np.random.default_rng(seed))
    check_grants(expected, cands, budget)
    rows, reasons = ARRAY_POLICIES[fn](pool, al, np.random.default_rng(seed))
    got = {pool.index[k]: {pool.names[t]: g for t, g in grant} for k, grant in rows}
    assert list(got.items()) == list(expected.items())  # same grants, same grant order
    assert reasons == getattr(expected, "reasons", {})


def test_plugin_and_history_policies_keep_the_candidate_path():
    assert POLICIES["balanced"] not in ARRAY_POLICIES
    assert POLICIES["expected_rank"] not in ARRAY_POLICIES
    assert "merit_rank" in ARRAY_NAMES and "lottery" in ARRAY_NAMES


def test_a_plugin_under_a_built_in_name_gets_candidates(monkeypatch):
    """A user policy registered in place of a built-in one is called with Candidate objects."""
    seen: list = []

    def mine(candidates, budget, settings, rng):
        seen.extend(candidates)
        return POLICIES["merit_rank"](candidates, budget, settings, rng)

    monkeypatch.setattr("samplesim.model.world.POLICIES", {**POLICIES, "merit_rank": mine})
    path = next(p for p in SCENARIOS if p.stem == "lean-equivalent")
    samplesim.simulate(path, seed=1)
    assert seen and all(isinstance(c, Candidate) for c in seen)


def _tables(path: Path, seed: int, arrays: bool, monkeypatch, policy=None) -> dict:
    monkeypatch.setattr(allocate, "ENABLED", arrays)
    if policy is not None:  # every call allocates with this built-in policy
        fn = POLICIES[policy]
        monkeypatch.setattr("samplesim.model.world.POLICIES", {n: fn for n in POLICIES})
    res = samplesim.simulate(path, seed=seed)
    return {t: getattr(res, t) for t in TABLES}


def _same(a: dict, b: dict) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(a[t], b[t], check_exact=True)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_same_tables_on_arrays(path, monkeypatch):
    for seed in (1, 7):
        _same(_tables(path, seed, True, monkeypatch), _tables(path, seed, False, monkeypatch))


@pytest.mark.parametrize("policy", ARRAY_NAMES)
@pytest.mark.parametrize(
    "stem", ["member-states", "change5-2023", "two-agencies-reciprocity", "intake-57-from-12"]
)
def test_every_array_policy_on_scenarios(stem, policy, monkeypatch):
    """Scenarios with several sample types, partial grants, trims and caps, quotas, several
    calls: each array policy in every call, against its Candidate path."""
    path = next(p for p in SCENARIOS if p.stem == stem)
    on = _tables(path, 3, True, monkeypatch, policy)
    _same(on, _tables(path, 3, False, monkeypatch, policy))
    assert (on["proposals"]["grams_granted"] > 0).any()


@settings(max_examples=300, deadline=None)
@given(
    scores=st.lists(st.sampled_from([np.nan, np.nan, -1.0, 0.0, -0.0, 2.0]) | scores, max_size=30),
    ties=st.sampled_from(["range", "array", "list"]),
    data=st.data(),
)
def test_ranked_batch_is_the_sorted_order(scores, ties, data):
    """The desk's shortlist order on arrays equals the sort by (unscored, -score, tie, row)."""
    n = len(scores)
    score = np.array(scores, dtype=float)
    draws = data.draw(st.lists(st.sampled_from([0.0, 0.25, 1.0]), min_size=n, max_size=n))
    tie = {"range": range(n), "array": array("d", draws), "list": list(draws)}[ties]
    batch = data.draw(st.permutations(range(n)))[: data.draw(st.integers(0, n))]
    unscored = {i for i in batch if np.isnan(score[i])}
    expected = sorted(batch, key=lambda i: (i in unscored, -score[i], tie[i], i))
    assert ranked(list(batch), score, tie) == (expected, unscored)
