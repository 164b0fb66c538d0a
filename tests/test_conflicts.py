"""Conflicts of interest by institution and team, and the identity bias that dual-anonymous
review removes (issue 10, item 4)."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import minimal_raw
from samplesim.model.conflicts import institution_conflicts
from samplesim.model.world import World
from samplesim.scenario import ScenarioError, build_scenario
from samplesim.scenario.routes import conflict_kinds


def coi_raw(**review: Any) -> dict[str, Any]:
    """Two US institutions and a Japanese partner; reviewers at all three and unlisted ones."""
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 3000.0
    raw["institutions"] = [
        {"name": "JSC", "country": "US", "kind": "national_lab", "propensity": 40.0},
        {"name": "Open University", "country": "GB", "propensity": 40.0},
    ]
    raw["partners"] = [{"institution": "Tokyo", "country": "JP"}]
    raw["proposals"] = {"co_investigators": 2, "foreign_partner_probability": 0.5}
    raw["review"] = {
        "reviewers": 12, "load": 3, "reviews_per_proposal": 2, "duration": 5,
        "reviewer_institutions": {"JSC": 3, "Open University": 3, "Tokyo": 3}, **review,
    }  # fmt: skip
    return raw


def reviewed_by(sc, seed: int = 1) -> tuple[World, np.ndarray, list[str | None]]:
    """The run's world, each review's proposal row and its reviewer's institution."""
    w = World(sc, seed)
    rec = w.run()
    res = samplesim.simulate(sc, seed=seed)
    return w, rec.reviews.row, res.reviews["reviewer_institution"].tolist()


def test_conflict_kinds_keep_the_old_switch():
    assert conflict_kinds(build_scenario(minimal_raw()).review) == ("country",)
    raw = minimal_raw()
    raw["review"]["conflict_of_interest"] = False
    assert conflict_kinds(build_scenario(raw).review) == ()
    assert conflict_kinds(build_scenario(coi_raw(conflicts=["team"])).review) == ("team",)
    assert conflict_kinds(build_scenario(coi_raw(conflicts=[])).review) == ()


@pytest.mark.parametrize("kinds", [["institution"], ["team"], ["country", "team"]])
def test_no_reviewer_from_the_lead_institution(kinds):
    w, row, inst = reviewed_by(build_scenario(coi_raw(conflicts=kinds)))
    lead = [w.applicants[w.props.applicant[i]].name for i in row]
    assert len(row) > 100
    assert not any(a == b for a, b in zip(lead, inst, strict=True))


def test_without_the_conflict_reviewers_do_review_their_own_institution():
    w, row, inst = reviewed_by(build_scenario(coi_raw(conflicts=[])))
    lead = [w.applicants[w.props.applicant[i]].name for i in row]
    assert sum(a == b for a, b in zip(lead, inst, strict=True)) > 10  # the checks can fail


def test_team_conflicts_cover_co_investigators_institutions():
    sc = build_scenario(coi_raw(conflicts=["team"]))
    w, row, inst = reviewed_by(sc)
    teams = [w.props.team_institutions[i] for i in row]
    assert sum("Tokyo" in t for t in teams) > 20
    assert not any(r in t for r, t in zip(inst, teams, strict=True))
    # Institution conflicts alone let a co-investigator's colleagues review.
    w, row, inst = reviewed_by(build_scenario(coi_raw(conflicts=["institution"])))
    teams = [w.props.team_institutions[i] for i in row]
    assert sum(r == "Tokyo" and "Tokyo" in t for r, t in zip(inst, teams, strict=True)) > 3


def test_a_co_investigator_conflict_is_waived_rather_than_strand_a_proposal():
    # 3 reviewers, all at institutions; 2 reviews each: a JSC proposal with a Tokyo and an
    # Open University co-investigator would have none left.
    raw = coi_raw(conflicts=["team"])
    raw["review"].update(
        reviewers=3,
        reviews_per_proposal=2,
        reviewer_institutions={"JSC": 1, "Open University": 1, "Tokyo": 1},
    )
    sc = build_scenario(raw)
    w = World(sc, 1)
    got = institution_conflicts(sc, w.props, w.applicants, w.pool.country_of)
    assert got is not None
    for i, bad in enumerate(got):
        assert 3 - len(bad) >= 2  # always enough reviewers left
        lead = w.applicants[w.props.applicant[i]].name
        assert (lead == "JSC") == (0 in bad)  # the lead's own institution: never waived
    rec = w.run()
    assert (rec.state != "pending").mean() > 0.9  # nobody waits forever for a reviewer


# --- identity bias and dual-anonymous review -------------------------------------------------


def bias_raw(**review: Any) -> dict[str, Any]:
    raw = coi_raw(**review)
    raw["review"]["reviewer_institutions"] = {}
    raw["review"]["reliability"] = 0.5
    raw["inventory"][0]["grams"] = 3.0  # scarce: about a third of the proposals get samples
    return raw


def test_identity_bias_shifts_the_perceived_merit_exactly():
    plain = World(build_scenario(bias_raw()), 4)
    biased = World(build_scenario(bias_raw(identity_bias={"national_lab": 0.8})), 4)
    lab = np.array([plain.applicants[a].kind == "national_lab" for a in plain.props.applicant])
    assert lab.sum() > 20 and (~lab).sum() > 20
    diff = biased.review_scores - plain.review_scores
    np.testing.assert_allclose(diff[lab], math.sqrt(0.5) * 0.8)
    np.testing.assert_array_equal(diff[~lab], 0.0)


def approved_share(raw: dict[str, Any], seeds: range) -> float:
    """Share of the approved proposals led from a national lab, over ``seeds``."""
    sc = build_scenario(raw)
    won = pd.concat(
        [samplesim.simulate(sc, seed=s).proposals.query("grams_awarded > 0") for s in seeds]
    )
    return float((won["kind"] == "national_lab").mean())


def test_identity_bias_moves_approvals_towards_that_kind():
    seeds = range(6)
    plain = approved_share(bias_raw(), seeds)
    biased = approved_share(bias_raw(identity_bias={"national_lab": 1.0}), seeds)
    assert biased > plain + 0.15, (plain, biased)


def test_dual_anonymous_removes_the_shift_exactly():
    plain = samplesim.simulate(build_scenario(bias_raw()), seed=3)
    anon = samplesim.simulate(
        build_scenario(bias_raw(identity_bias={"national_lab": 1.0}, dual_anonymous=True)), seed=3
    )
    for name in ("proposals", "reviews", "events"):
        pd.testing.assert_frame_equal(getattr(plain, name), getattr(anon, name))


def test_reviewers_who_differ_see_the_bias_too():
    extra = {"leniency_sd": 0.5, "identity_bias": {"national_lab": 1.0}}
    anon = samplesim.simulate(build_scenario(bias_raw(**extra, dual_anonymous=True)), seed=2)
    seen = samplesim.simulate(build_scenario(bias_raw(**extra)), seed=2)
    a, s = anon.proposals, seen.proposals
    lab = a["kind"] == "national_lab"
    gap = (s["review_score"] - a["review_score"])[lab & a["review_score"].notna()]
    assert len(gap) > 10 and (gap > 0).mean() > 0.9


# --- bad input -------------------------------------------------------------------------------

BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"conflicts": ["colour"]}, "review.conflicts[0]", "unknown conflict"),
    ({"conflicts": ["team", "team"]}, "review.conflicts", "twice"),
    ({"conflicts": "team"}, "review.conflicts", ""),
    ({"conflicts": ["team"], "conflict_of_interest": False}, "review.conflicts", "drop one"),
    ({"reviewer_institutions": {"Nowhere": 1}}, "review.reviewer_institutions.Nowhere",
     "unknown institution"),
    ({"reviewer_institutions": {"JSC": -1}}, "review.reviewer_institutions.JSC", "between"),
    ({"reviewer_institutions": {"JSC": 10, "Tokyo": 10}}, "review.reviewer_institutions",
     "more than reviewers"),
    ({"reviewers": 4, "reviewer_institutions": {"JSC": 2, "Tokyo": 0, "Open University": 2},
      "reviews_per_proposal": 3, "conflicts": ["institution"]},
     "review.reviewer_institutions", "proposals led from JSC"),
    ({"identity_bias": {"museum": 0.3}}, "review.identity_bias.museum", "unknown institution kind"),
    ({"identity_bias": {"national_lab": 9}}, "review.identity_bias.national_lab", "between"),
    ({"dual_anonymous": "yes"}, "review.dual_anonymous", ""),
    ({"source": "distributed", "conflicts": ["team"], "reviewer_institutions": {}},
     "review.conflicts", "source"),
]  # fmt: skip


@pytest.mark.parametrize(("review", "path", "words"), BAD, ids=[b[1] for b in BAD])
def test_bad_conflict_keys_name_the_key_path(review, path, words):
    raw = copy.deepcopy(coi_raw())
    raw["review"].update(review)
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw, source="coi.toml")
    hits = [p for p in info.value.problems if p.path == path]
    assert hits, info.value.problems
    assert any(words in p.message for p in hits), hits
