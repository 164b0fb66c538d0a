"""Several named review panels with routes (issue 10, items 3 and 5 per panel)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import minimal_raw
from samplesim.scenario import ScenarioError, build_scenario
from samplesim.scenario.panels import panel_reviews, route_rows
from test_invariants import check_all

PANELS = Path(__file__).parent / "data" / "panels.toml"


def panels_raw(panels: list[dict[str, Any]], **review: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 2000.0
    raw["institutions"] = [
        {"name": "Uni", "country": "FR", "propensity": 30.0},
        {"name": "Lab", "country": "US", "kind": "national_lab", "propensity": 30.0},
    ]
    raw["review"] = {"reviewers": 6, "reviews_per_proposal": 2, "duration": 10,
                     "panels": panels, **review}  # fmt: skip
    return raw


def test_the_first_matching_route_wins_and_the_last_panel_takes_the_rest():
    sc = build_scenario(panels_raw([
        {"name": "dust", "route": {"sample_types": ["dust"]}},
        {"name": "labs", "route": {"kinds": ["national_lab"], "max_request": 0.3}},
        {"name": "big", "route": {"min_request": 0.4, "countries": ["FR"]}},
        {"name": "rest"},
    ]))  # fmt: skip
    req = np.array([[0.1, 0.2], [0.2, 0.0], [0.5, 0.0], [0.5, 0.0], [0.35, 0.0], [0.2, 0.0]])
    kinds = ["university", "national_lab", "university", "national_lab", "national_lab", "x"]
    countries = ["FR", "US", "FR", "US", "US", "FR"]
    got = route_rows(sc, ["round-1"] * 6, kinds, countries, req)
    np.testing.assert_array_equal(got, [0, 1, 2, 3, 3, 3])
    assert route_rows(build_scenario(minimal_raw()), ["round-1"], ["x"], ["FR"], req[:1]) == [0]


def test_unset_panel_keys_inherit_from_review():
    rv = build_scenario(panels_raw([{"name": "a", "reviewers": 3, "deadline_day": 30},
                                    {"name": "b"}])).review  # fmt: skip
    a, b = panel_reviews(rv)
    assert (a.reviewers, a.reviews_per_proposal, a.deadline_day) == (3, 2, 30.0)
    assert (b.reviewers, b.reviews_per_proposal, b.deadline_day) == (6, 2, None)
    assert a.duration == rv.duration and not a.panels


def test_without_panels_the_panel_columns_are_missing():
    res = samplesim.simulate(build_scenario(minimal_raw()), seed=1)
    assert res.proposals["panel"].isna().all() and res.reviews["panel"].isna().all()


def test_each_panel_reviews_its_own_proposals_with_its_own_settings():
    sc = build_scenario(panels_raw([
        {"name": "labs", "reviewers": 2, "reviews_per_proposal": 1, "duration": 3,
         "route": {"kinds": ["national_lab"]}},
        {"name": "rest", "reviewers": 5, "reviews_per_proposal": 3, "duration": 20},
    ]))  # fmt: skip
    res = samplesim.simulate(sc, seed=2)
    props, rv = res.proposals, res.reviews
    assert set(props.loc[props["kind"] == "national_lab", "panel"]) == {"labs"}
    assert set(props.loc[props["kind"] != "national_lab", "panel"]) == {"rest"}
    per = rv.groupby("proposal_id").agg(panel=("panel", "first"), n=("review", "size"),
                                        took=("end_day", "max"))  # fmt: skip
    assert (per.loc[per["panel"] == "labs", "n"] == 1).all()
    assert (per.loc[per["panel"] == "rest", "n"] == 3).all()
    dur = rv["end_day"] - rv["start_day"]
    np.testing.assert_allclose(dur[rv["panel"] == "labs"], 3.0)
    np.testing.assert_allclose(dur[rv["panel"] == "rest"], 20.0)
    assert set(rv.loc[rv["panel"] == "labs", "reviewer_id"]) <= {0, 1}
    assert set(rv.loc[rv["panel"] == "rest", "reviewer_id"]) <= set(range(2, 7))
    check_all(sc, res)


def test_a_panel_deadline_day_cuts_only_that_panel():
    sc = build_scenario(panels_raw([
        {"name": "quick", "deadline_day": 80, "duration": {"dist": "exponential", "mean": 40},
         "reviewers": 40, "load": 5, "route": {"kinds": ["national_lab"]}},
        {"name": "rest", "duration": {"dist": "exponential", "mean": 40}, "reviewers": 40,
         "load": 5},
    ]))  # fmt: skip
    res = samplesim.simulate(sc, seed=3)
    p = res.proposals
    quick, rest = p[p["panel"] == "quick"], p[p["panel"] == "rest"]
    # Quick: every proposal whose reviews started by day 80 and had one in by then was decided
    # on day 80 at the latest; the other panel waits for all its reviews.
    rv = res.reviews
    late_rest = rv[(rv["panel"] == "rest") & (rv["end_day"] > 80)]
    assert len(late_rest) > 5
    in_hand = rv[(rv["panel"] == "quick") & (rv["end_day"] <= 80)]["proposal_id"].unique()
    assert len(in_hand) > 5
    assert (quick.set_index("proposal_id").loc[in_hand, "reviewed_day"] <= 80 + 1e-9).all()
    last = rv.groupby("proposal_id")["end_day"].max()
    r = rest.set_index("proposal_id")["reviewed_day"].dropna()
    np.testing.assert_allclose(r, last.loc[r.index])
    check_all(sc, res)


def test_normalised_panels_rank_on_z_scores_within_panel_and_call():
    raw = panels_raw([{"name": "labs", "reliability": 0.9, "route": {"kinds": ["national_lab"]}},
                      {"name": "rest"}], normalise_panels=True)  # fmt: skip
    sc = build_scenario(raw)
    assert not sc.panel.enabled  # final score = the score the desk ranked on
    p = samplesim.simulate(sc, seed=4).proposals
    scored = p[p["final_score"].notna()]
    assert scored["panel"].value_counts().min() > 10
    for (_call, _panel), g in scored.groupby(["call", "panel"]):
        z = (g["review_score"] - g["review_score"].mean()) / g["review_score"].std(ddof=0)
        np.testing.assert_allclose(g["final_score"], z, atol=1e-9)
    raw["review"]["normalise_panels"] = False
    plain = samplesim.simulate(build_scenario(raw), seed=4).proposals
    s = plain[plain["final_score"].notna()]
    np.testing.assert_allclose(s["final_score"], s["review_score"])


@pytest.mark.parametrize("seed", range(5))
def test_invariants_on_the_panels_scenario(seed):
    sc = samplesim.load_scenario(PANELS)
    check_all(sc, samplesim.simulate(sc, seed=seed))


def test_panels_scenario_is_deterministic():
    sc = samplesim.load_scenario(PANELS)
    a, b = samplesim.simulate(sc, seed=7), samplesim.simulate(sc, seed=7)
    for name in ("proposals", "reviews", "events", "inventory", "summary"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.proposals["panel"].nunique() == 3


BAD: list[tuple[Any, str, str]] = [
    ([{"name": "a", "route": {"kinds": ["university"]}}], "review.panels[0].route", "last panel"),
    ([{"name": "a"}, {"name": "a"}], "review.panels[1].name", "duplicate"),
    ([{"name": "a", "route": {"sample_types": ["ice"]}}, {"name": "b"}],
     "review.panels[0].route.sample_types", "unknown sample type"),
    ([{"name": "a", "route": {"calls": ["nope"]}}, {"name": "b"}],
     "review.panels[0].route.calls", "unknown call"),
    ([{"name": "a", "route": {"kinds": ["museum"]}}, {"name": "b"}],
     "review.panels[0].route.kinds", "unknown institution kind"),
    ([{"name": "a", "route": {"countries": ["france"]}}, {"name": "b"}],
     "review.panels[0].route.countries", "country code"),
    ([{"name": "a", "route": {"min_request": 1, "max_request": 0.5}}, {"name": "b"}],
     "review.panels[0].route.max_request", "at least"),
    ([{"name": "a", "reviewers": 1}], "review.panels[0].reviews_per_proposal", "between"),
    ([{"name": "a", "reliability": 0}], "review.panels[0].reliability", "(0, 1]"),
    ([{"name": "a", "deadline_day": 99999}], "review.panels[0].deadline_day", "horizon"),
    ([{"name": "a", "colour": 1}], "review.panels[0].colour", "unknown key"),
    ([{"name": "a", "conflicts": ["x"]}], "review.panels[0].conflicts[0]", "unknown conflict"),
]  # fmt: skip


@pytest.mark.parametrize(("panels", "path", "words"), BAD, ids=[b[1] for b in BAD])
def test_bad_panel_keys_name_the_key_path(panels, path, words):
    with pytest.raises(ScenarioError) as info:
        build_scenario(copy.deepcopy(panels_raw(panels)), source="panels.toml")
    hits = [p for p in info.value.problems if p.path == path]
    assert hits, info.value.problems
    assert any(words in p.message for p in hits), hits


@pytest.mark.parametrize(
    ("review", "path"),
    [({"normalise_panels": True}, "review.normalise_panels"),
     ({"leniency_sd": 0.3}, "review.panels"),
     ({"max_reviews_per_round": 2}, "review.panels")],
)  # fmt: skip
def test_what_panels_do_not_combine_with_is_refused(review, path):
    raw = panels_raw([] if "normalise_panels" in review else [{"name": "a"}], **review)
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw, source="panels.toml")
    assert any(p.path == path for p in info.value.problems), info.value.problems
