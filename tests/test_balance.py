"""The ``balanced`` policy (``[allocation.balance]``): known answers on small cases, the
ledger's accounting window, and properties (minima met, cumulative shares converge)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import samplesim
from helpers import minimal_raw
from samplesim.balance import account_of, targets
from samplesim.model.ledger import BalanceLedger
from samplesim.policies import POLICIES, Candidate, check_grants
from samplesim.scenario import build_scenario
from samplesim.scenario.schema import Allocation, Balance
from test_invariants import check_all

MIN = {"rock": 0.01}


def cands(spec: list[tuple[str, int]], size: float = 1.0) -> list[Candidate]:
    """Candidates by country, ``n`` each, every one a better score than the next."""
    out: list[Candidate] = []
    for country, n in spec:
        for _ in range(n):
            i = len(out)
            out.append(Candidate(i, country, 100.0 - i, {"rock": size}, MIN))
    return out


def granted(cs, budget: float, history=None, **balance) -> dict[str, float]:
    """Amount granted per country by ``balanced`` with the given settings."""
    al = Allocation(policy="balanced", balance=Balance(**balance))
    grants = POLICIES["balanced"](cs, {"rock": budget}, al, np.random.default_rng(0), history)
    check_grants(grants, cs, {"rock": budget})
    out: dict[str, float] = {}
    by = {c.index: c for c in cs}
    for i, g in grants.items():
        out[by[i].country] = out.get(by[i].country, 0.0) + sum(g.values())
    return out


def test_merit_rank_would_give_everything_to_the_best_country():
    cs = cands([("DE", 6), ("FR", 6), ("IT", 6)])
    al = Allocation(policy="merit_rank")
    grants = POLICIES["merit_rank"](cs, {"rock": 6.0}, al, np.random.default_rng(0))
    assert {cs[i].country for i in grants} == {"DE"}


def test_shares_proportional_to_contribution():
    cs = cands([("DE", 6), ("FR", 6), ("IT", 6)])
    got = granted(cs, 6.0, contribution={"DE": 30, "FR": 20, "IT": 10})
    assert got == {"DE": 3.0, "FR": 2.0, "IT": 1.0}


def test_within_a_country_merit_order():
    cs = cands([("DE", 3), ("FR", 3)])
    al = Allocation(policy="balanced", balance=Balance(contribution={"DE": 1, "FR": 1}))
    grants = POLICIES["balanced"](cs, {"rock": 2.0}, al, np.random.default_rng(0))
    assert set(grants) == {0, 3}  # the best of each country


def test_no_contribution_gets_only_what_others_cannot_use():
    cs = cands([("US", 4), ("DE", 2)])  # the US proposals are the best
    assert granted(cs, 4.0, contribution={"DE": 1}) == {"DE": 2.0, "US": 2.0}
    assert granted(cs, 2.0, contribution={"DE": 1}) == {"DE": 2.0}


def test_minimum_share_met_first_in_merit_order():
    cs = cands([("DE", 4), ("JP", 3)])  # JP's proposals are the worst
    got = granted(cs, 4.0, contribution={"DE": 1}, minimum_share={"JP": 0.25})
    assert got == {"DE": 3.0, "JP": 1.0}
    al = Allocation(policy="balanced", balance=Balance(contribution={"DE": 1},
                                                       minimum_share={"JP": 0.25}))  # fmt: skip
    grants = POLICIES["balanced"](cs, {"rock": 4.0}, al, np.random.default_rng(0))
    assert 4 in grants and 5 not in grants  # JP's best
    assert "minimum share of JP" in grants.reasons[4]


def test_minimum_share_counts_the_window():
    cs = cands([("DE", 4), ("JP", 3)])
    # JP already had 3 of the window's 8: its minimum of 25 % (2) is met, it gets nothing more.
    assert granted(cs, 4.0, {"JP": 3.0, "DE": 1.0}, contribution={"DE": 1},
                   minimum_share={"JP": 0.25}) == {"DE": 4.0}  # fmt: skip


def test_a_group_is_accounted_as_one():
    cs = cands([("DE", 3), ("FR", 3), ("US", 4)])
    got = granted(cs, 4.0, contribution={"ESA": 1, "US": 1}, groups={"ESA": ["DE", "FR"]})
    assert got == {"DE": 2.0, "US": 2.0}  # ESA's best two are German


def test_history_shifts_the_shares():
    cs = cands([("DE", 4), ("FR", 4)])
    # DE already had 4 of the window's 8 (its target half): FR gets all 4 now.
    assert granted(cs, 4.0, {"DE": 4.0}, contribution={"DE": 1, "FR": 1}) == {"FR": 4.0}


def test_tolerance_lets_an_account_go_above_its_target():
    cs = cands([("DE", 4), ("FR", 4)])
    got = granted(cs, 4.0, contribution={"DE": 1, "FR": 1}, tolerance=0.25)
    assert got == {"DE": 3.0, "FR": 1.0}


def test_max_awards_and_partial():
    cs = cands([("DE", 3), ("FR", 3)], size=1.0)
    al = Allocation(policy="balanced", max_awards=3, partial=True,
                    balance=Balance(contribution={"DE": 1, "FR": 1}))  # fmt: skip
    grants = POLICIES["balanced"](cs, {"rock": 2.5}, al, np.random.default_rng(0))
    check_grants(grants, cs, {"rock": 2.5})
    assert len(grants) == 3 and sum(sum(g.values()) for g in grants.values()) == 2.5


def test_helpers():
    acct = account_of({"ESA": ["DE", "FR"]})
    assert (acct("DE"), acct("US")) == ("ESA", "US")
    assert targets({"A": 3, "B": 1}) == {"A": 0.75, "B": 0.25}


def test_ledger_window_all_and_last_n():
    led = BalanceLedger()
    for call, (country, g) in enumerate([("DE", 1.0), ("FR", 2.0), ("IT", 4.0)]):
        led.window(call, "all")
        led.record(call, country, g)
    assert led.window(3, "all") == {"DE": 1.0, "FR": 2.0, "IT": 4.0}
    assert led.window(3, 2) == {"IT": 4.0}  # call 3 itself and call 2
    assert led.window(2, 2) == {"FR": 2.0, "IT": 4.0}
    assert led.window(0, 1) == {"DE": 1.0}


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=60)
@given(
    st.lists(st.sampled_from(["DE", "FR", "JP", "US"]), min_size=1, max_size=30),
    st.integers(1, 20),
    st.floats(0.05, 0.6),
    st.dictionaries(st.sampled_from(["DE", "FR", "JP"]), st.floats(0.0, 20.0), max_size=3),
)
def test_minimum_met_whenever_enough_eligible_proposals(countries, budget, minimum, hist):
    cs = [Candidate(i, c, float(-i), {"rock": 1.0}, MIN) for i, c in enumerate(countries)]
    got = granted(cs, float(budget), hist, contribution={"DE": 2, "FR": 1},
                  minimum_share={"JP": minimum})  # fmt: skip
    window = sum(hist.values()) + min(budget, len(cs))
    need = minimum * window - hist.get("JP", 0.0)
    n_jp = countries.count("JP")
    # JP gets its minimum, or all it asked for, or all there was.
    assert got.get("JP", 0.0) >= min(math.ceil(need - 1e-9), n_jp, budget) - 1e-9
    assert sum(got.values()) == min(budget, len(cs))  # nothing wasted


@settings(max_examples=30)
@given(
    st.dictionaries(st.sampled_from(["DE", "FR", "IT", "US"]), st.integers(1, 50),
                    min_size=2, max_size=4),
    st.integers(2, 12),
    st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_cumulative_shares_converge_to_targets(contribution, budget, seed):
    rng = np.random.default_rng(seed)
    accounts = sorted(contribution)
    target = targets(contribution)
    history: dict[str, float] = {}
    errors = []
    for _ in range(25):
        # Every account has enough proposals each round, in a random merit order.
        countries = [a for a in accounts for _ in range(budget)]
        scores = rng.normal(size=len(countries))
        cs = [Candidate(i, c, float(s), {"rock": 1.0}, MIN)
              for i, (c, s) in enumerate(zip(countries, scores, strict=True))]  # fmt: skip
        for c, g in granted(cs, float(budget), dict(history), contribution=contribution).items():
            history[c] = history.get(c, 0.0) + g
        total = sum(history.values())
        err = max(abs(history.get(a, 0.0) / total - target[a]) for a in accounts)
        # Off by less than one award per account, so the error shrinks as 1/total.
        assert err <= len(accounts) / total + 1e-9
        errors.append(err)
    assert errors[-1] <= 1 / (2 * budget) + 1e-9  # a few per cent after 25 rounds


# --- in a run -------------------------------------------------------------------------------


def _run_scenario(rounds, seed):
    raw = minimal_raw()
    raw["rules"] = []
    raw["inventory"] = [{"name": "rock", "grams": 12.0, "min_portion_g": 0.1}]
    raw["calls"] = [
        {"name": f"c{k}", "open_day": 200 * k, "close_day": 200 * k + 30} for k in range(4)
    ]
    raw["horizon_days"] = 1200.0
    raw["proposals"] = {"grams_requested": 0.5, "destructive_probability": 1.0}
    raw["institutions"] = [
        {"name": "A", "country": "US", "propensity": 6.0},
        {"name": "B", "country": "FR", "propensity": 6.0},
    ]
    raw["allocation"] = {
        "policy": "balanced",
        "max_awards": 4,
        "balance": {"contribution": {"US": 1, "FR": 3}, "rounds": rounds},
    }
    sc = build_scenario(raw)
    return sc, samplesim.simulate(sc, seed=seed)


@pytest.mark.parametrize("rounds", ["all", 1])
def test_balanced_run_invariants_determinism_and_shares(rounds):
    sc, res = _run_scenario(rounds, seed=4)
    check_all(sc, res)
    _, again = _run_scenario(rounds, seed=4)
    assert res.proposals.equals(again.proposals) and res.events.equals(again.events)
    p = res.proposals.assign(country=lambda d: d["country"].astype(str))
    p = p.assign(call=lambda d: d["call"].astype(str))
    n = p.groupby(["call", "country"])["decision_day"].count().unstack(fill_value=0)
    g = p.groupby(["call", "country"])["grams_granted"].sum().unstack(fill_value=0.0)
    assert ((n["FR"] >= 3) & (n["US"] >= 1)).all()  # enough proposals from both, every call
    # Four awards of 0.5 g a call, three of them French (target 3/4) whatever the merit.
    assert (g["FR"] == 1.5).all() and (g["US"] == 0.5).all()
    merit_first = p.sort_values("final_score", ascending=False).groupby("call").head(4)
    by_merit = merit_first.groupby("call")["country"].apply(lambda c: (c == "FR").sum())
    assert (by_merit != 3).any()  # merit order alone would have given other shares


def test_minima_of_non_contributors_come_off_the_top():
    cs = cands([("US", 10), ("DE", 10), ("JP", 10)])  # US best, JP worst
    got = granted(cs, 10.0, contribution={"DE": 1, "US": 1}, minimum_share={"JP": 0.2})
    assert got == {"JP": 2.0, "US": 4.0, "DE": 4.0}
