"""Allocation policies and rule effects, as units."""

from __future__ import annotations

import numpy as np
import pytest

from samplesim.policies import (
    POLICIES,
    Candidate,
    PolicyError,
    _water_fill,
    check_grants,
    grant_in_order,
)
from samplesim.rules import EFFECTS, RuleDraw
from samplesim.scenario.schema import Allocation, Rule

MIN = {"rock": 0.01, "dust": 0.01}


def cand(i: int, country: str, score: float, **req: float) -> Candidate:
    return Candidate(index=i, country=country, score=score, requested=req, min_portion=MIN)


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def run(policy: str, cands, budget, **settings):
    grants = POLICIES[policy](cands, dict(budget), Allocation(policy=policy, **settings), rng())
    check_grants(grants, cands, budget)
    return grants


# --- merit_rank ----------------------------------------------------------------------------


def test_merit_rank_serves_best_scores_first():
    cands = [cand(0, "A", 0.1, rock=1.0), cand(1, "B", 0.9, rock=1.0), cand(2, "C", 0.5, rock=1.0)]
    grants = run("merit_rank", cands, {"rock": 2.0})
    assert grants == {1: {"rock": 1.0}, 2: {"rock": 1.0}}


def test_merit_rank_skips_what_does_not_fit_and_continues():
    cands = [cand(0, "A", 3, rock=1.5), cand(1, "B", 2, rock=1.0), cand(2, "C", 1, rock=0.5)]
    assert run("merit_rank", cands, {"rock": 2.0}) == {0: {"rock": 1.5}, 2: {"rock": 0.5}}


def test_merit_rank_ties_broken_by_index():
    cands = [cand(5, "A", 1.0, rock=1.0), cand(2, "B", 1.0, rock=1.0)]
    assert list(run("merit_rank", cands, {"rock": 1.0})) == [2]


def test_partial_grants():
    cands = [cand(0, "A", 2, rock=1.5), cand(1, "B", 1, rock=1.0)]
    assert run("merit_rank", cands, {"rock": 2.0}, partial=True) == {
        0: {"rock": 1.5},
        1: {"rock": 0.5},
    }
    # Without partial grants the second gets nothing.
    assert run("merit_rank", cands, {"rock": 2.0}) == {0: {"rock": 1.5}}
    # A remainder below the minimum portion is not handed out.
    tiny = [cand(0, "A", 2, rock=1.995), cand(1, "B", 1, rock=1.0)]
    assert run("merit_rank", tiny, {"rock": 2.0}, partial=True) == {0: {"rock": 1.995}}


def test_partial_grant_of_a_multi_type_request():
    c = [cand(0, "A", 1, rock=1.0, dust=1.0)]
    assert run("merit_rank", c, {"rock": 0.4, "dust": 5.0}, partial=True) == {
        0: {"rock": 0.4, "dust": 1.0}
    }
    assert run("merit_rank", c, {"rock": 0.4, "dust": 5.0}) == {}


def test_max_awards():
    cands = [cand(i, "A", float(i), rock=0.1) for i in range(6)]
    grants = run("merit_rank", cands, {"rock": 10.0}, max_awards=2)
    assert set(grants) == {5, 4}
    assert len(run("lottery", cands, {"rock": 10.0}, max_awards=3)) == 3
    assert len(run("fair_share", cands, {"rock": 10.0}, max_awards=1)) == 1
    assert len(run("country_quota", cands, {"rock": 10.0}, max_awards=4)) == 4


# --- lottery -------------------------------------------------------------------------------


def test_lottery_ignores_merit_and_is_reproducible():
    cands = [cand(i, "A", float(i), rock=1.0) for i in range(10)]
    budget = {"rock": 3.0}
    settings = Allocation(policy="lottery")
    a = POLICIES["lottery"](cands, budget, settings, np.random.default_rng(1))
    b = POLICIES["lottery"](cands, budget, settings, np.random.default_rng(1))
    assert a == b and len(a) == 3
    wins = np.zeros(10)
    for s in range(400):
        wins[list(POLICIES["lottery"](cands, budget, settings, np.random.default_rng(s)))] += 1
    # Every candidate wins about 3/10 of the draws, whatever its score (binomial, 5 SE).
    se = np.sqrt(400 * 0.3 * 0.7)
    assert np.all(np.abs(wins - 120) < 5 * se), wins
    assert wins[:5].sum() == pytest.approx(wins[5:].sum(), abs=5 * se * np.sqrt(5))


# --- country_quota -------------------------------------------------------------------------


def test_country_quota_award_counts():
    cands = [cand(i, "US", 10 - i, rock=0.1) for i in range(4)] + [cand(9, "FR", 0, rock=0.1)]
    grants = run("country_quota", cands, {"rock": 10.0}, quota={"US": 2})
    assert set(grants) == {0, 1, 9}
    # A quota of 0 shuts a country out.
    assert set(run("country_quota", cands, {"rock": 10.0}, quota={"US": 0})) == {9}


def test_country_quota_max_share_of_grams():
    cands = [
        cand(0, "US", 9, rock=1.0),
        cand(1, "US", 8, rock=1.0),
        cand(2, "US", 7, rock=0.5),
        cand(3, "FR", 1, rock=1.0),
    ]
    grants = run("country_quota", cands, {"rock": 4.0}, max_share=0.5)  # cap 2 g per country
    assert set(grants) == {0, 1, 3}
    us = sum(sum(g.values()) for i, g in grants.items() if i < 3)
    assert us <= 0.5 * 4.0 + 1e-12
    # With no cap the best three are all US and the fourth does not fit.
    assert set(run("country_quota", cands, {"rock": 2.5})) == {0, 1, 2}


# --- fair_share ----------------------------------------------------------------------------


def test_water_fill_max_min():
    shares = _water_fill({"A": 1.0, "B": 2.0, "C": 5.0}, 6.0)
    assert shares == pytest.approx({"A": 1.0, "B": 2.0, "C": 3.0})
    assert _water_fill({"A": 1.0, "B": 2.0}, 10.0) == pytest.approx({"A": 1.0, "B": 2.0})
    assert _water_fill({"A": 4.0, "B": 4.0, "C": 4.0}, 6.0) == pytest.approx(
        {"A": 2.0, "B": 2.0, "C": 2.0}
    )
    assert _water_fill({"A": 0.0, "B": 3.0}, 1.0) == pytest.approx({"A": 0.0, "B": 1.0})


def test_fair_share_policy_divides_between_countries():
    # Demands by country: A 1, B 2, C 5 (C asks most and has the best scores); supply 6.
    cands = [
        cand(0, "A", 0.0, rock=1.0),
        cand(1, "B", 0.1, rock=2.0),
        cand(2, "C", 0.9, rock=2.5),
        cand(3, "C", 0.8, rock=2.5),
    ]
    grants = run("fair_share", cands, {"rock": 6.0}, partial=True)
    by_country: dict[str, float] = {}
    for c in cands:
        by_country[c.country] = by_country.get(c.country, 0.0) + grants.get(c.index, {}).get(
            "rock", 0.0
        )
    assert by_country == pytest.approx({"A": 1.0, "B": 2.0, "C": 3.0})
    assert grants[2] == {"rock": 2.5}  # within C, merit order
    assert grants[3]["rock"] == pytest.approx(0.5)
    # merit_rank would have given C everything it asked for first.
    mr = run("merit_rank", cands, {"rock": 6.0}, partial=True)
    assert mr[2] == {"rock": 2.5} and mr[3] == {"rock": 2.5} and 0 not in mr


# --- engine checks -------------------------------------------------------------------------


def test_check_grants_rejects_bad_grants():
    cands = [cand(0, "A", 1, rock=1.0), cand(1, "B", 1, rock=1.0)]
    check_grants({0: {"rock": 1.0}, 1: {"rock": 1.0}}, cands, {"rock": 2.0})
    with pytest.raises(PolicyError, match="exceed the budget"):
        check_grants({0: {"rock": 1.0}, 1: {"rock": 1.0}}, cands, {"rock": 1.5})
    with pytest.raises(PolicyError, match="exceeds its request"):
        check_grants({0: {"rock": 1.2}}, cands, {"rock": 5.0})
    with pytest.raises(PolicyError, match="exceeds its request"):
        check_grants({0: {"dust": 0.1}}, cands, {"rock": 5.0, "dust": 5.0})
    with pytest.raises(PolicyError, match="exceeds its request"):
        check_grants({0: {"rock": -0.1}}, cands, {"rock": 5.0})
    with pytest.raises(PolicyError, match="not a candidate"):
        check_grants({7: {"rock": 0.1}}, cands, {"rock": 5.0})


def test_grant_in_order_admit_veto():
    cands = [cand(0, "A", 1, rock=1.0), cand(1, "B", 1, rock=1.0)]
    grants = grant_in_order(cands, {"rock": 5.0}, Allocation(), lambda c, g: c.country == "B")
    assert grants == {1: {"rock": 1.0}}


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_policy_respects_the_budget(policy):
    r = np.random.default_rng(5)
    for _ in range(50):
        cands = [
            cand(i, r.choice(["A", "B", "C"]), float(r.normal()), rock=float(r.uniform(0.1, 2)))
            for i in range(int(r.integers(1, 12)))
        ]
        budget = {"rock": float(r.uniform(0.5, 6))}
        settings = Allocation(policy=policy, partial=bool(r.integers(2)), quota={"A": 1})
        grants = POLICIES[policy](cands, budget, settings, r)
        check_grants(grants, cands, budget)


# --- rule effects --------------------------------------------------------------------------


def rule(effect: str, **kw) -> Rule:
    return Rule(name="r", gate="agreement", effect=effect, **kw)


def test_ban_blocks_without_delay():
    d = EFFECTS["ban"].decide(rule("ban", reason="sanctions"), "US", RuleDraw(0.0, 5.0, 5.0))
    assert (d.outcome, d.delay, d.detail) == ("block", 0.0, "sanctions")


def test_certification_pass_fail_condition():
    r = rule("certification", success_probability=0.3, reason="no cert")
    ok = EFFECTS["certification"].decide(r, "US", RuleDraw(0.29, 10.0, 7.0))
    assert (ok.outcome, ok.delay) == ("pass", 10.0)
    bad = EFFECTS["certification"].decide(r, "US", RuleDraw(0.31, 10.0, 7.0))
    assert (bad.outcome, bad.delay) == ("block", 10.0)
    assert "no cert" in bad.detail
    rc = rule("certification", success_probability=0.3, on_failure="condition", condition="own $")
    cond = EFFECTS["certification"].decide(rc, "US", RuleDraw(0.5, 10.0, 7.0))
    assert (cond.outcome, cond.delay) == ("condition", 17.0)  # delay + fallback delay
    assert "own $" in cond.detail


def test_licence_by_country():
    r = rule("licence", success_probability=0.9, by_country={"CN": 0.1})
    lic = EFFECTS["licence"]
    assert lic.decide(r, "CN", RuleDraw(0.2, 3.0, 0.0)).outcome == "block"
    assert lic.decide(r, "CN", RuleDraw(0.05, 3.0, 0.0)).outcome == "pass"
    assert lic.decide(r, "FR", RuleDraw(0.2, 3.0, 0.0)).outcome == "pass"
    assert lic.decide(r, "FR", RuleDraw(0.95, 3.0, 0.0)).outcome == "block"
    assert lic.decide(r, "FR", RuleDraw(0.2, 3.0, 0.0)).delay == 3.0


def test_condition_effect():
    r = rule("condition", condition="no NASA funds")
    d = EFFECTS["condition"].decide(r, "US", RuleDraw(0.99, 4.0, 1.0))
    assert (d.outcome, d.delay, d.detail) == ("condition", 4.0, "no NASA funds")


def test_effect_outcome_frequencies_follow_success_probability():
    r = rule("certification", success_probability=0.25)
    u = np.random.default_rng(3).random(20_000)
    passed = sum(
        EFFECTS["certification"].decide(r, "US", RuleDraw(x, 0, 0)).outcome == "pass" for x in u
    )
    assert abs(passed / 20_000 - 0.25) < 5 * np.sqrt(0.25 * 0.75 / 20_000)
