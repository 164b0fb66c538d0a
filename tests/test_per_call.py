"""Per-call settings (issue 10, item 7): ``[calls.review]``, ``[calls.panel]``,
``[calls.allocation]``, ``[calls.proposals]``, ``[calls.logistics]``, ``[calls.screening]``
merged over the top-level tables, checked at the call's key path, and used by the model for
that call's proposals only."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import ROOT, minimal_raw, write_scenario
from samplesim import cli
from samplesim.experiment.resolve import resolve
from samplesim.loading import build_scenario
from samplesim.model.world import World
from samplesim.scenario import ScenarioError, load_raw
from test_invariants import check_all

PER_CALL = ROOT / "tests" / "data" / "per-call.toml"


def _two_calls(**second: Any) -> dict[str, Any]:
    """``minimal_raw`` with a second call (its sections given as ``second``)."""
    raw = minimal_raw()
    raw["calls"].append({"name": "round-2", "open_day": 200, "close_day": 260, **second})
    return raw


# --- loading: merge, defaults, variants ----------------------------------------------------


def test_a_call_section_is_the_top_level_table_with_the_calls_keys():
    raw = _two_calls(allocation={"score_bar": 0.5, "lottery": {"weight": 0.25}})
    raw["allocation"]["lottery"] = {"top_k": 3}
    sc = build_scenario(raw)
    own = sc.calls[1].allocation
    assert own is not None
    assert own.score_bar == 0.5 and own.policy == sc.allocation.policy == "merit_rank"
    # nested tables merge key by key
    assert (own.lottery.top_k, own.lottery.weight) == (3, 0.25)
    assert sc.allocation.score_bar is None and sc.allocation.lottery.weight == 1.0
    assert sc.calls[0].allocation is None  # overrides nothing
    assert all(getattr(sc.calls[1], s) is None for s in ("review", "panel", "logistics"))


def test_a_call_panel_starts_from_the_scenarios_panel_which_is_off_by_default():
    sc = build_scenario(_two_calls(panel={"reliability": 0.7}))
    assert sc.calls[1].panel is not None
    assert sc.calls[1].panel.enabled is False and sc.calls[1].panel.reliability == 0.7
    sc = build_scenario(_two_calls(panel={"enabled": True}))
    assert sc.calls[1].panel.enabled is True and sc.panel.enabled is False


def test_a_variant_sets_a_calls_section():
    sc = samplesim.load_scenario(PER_CALL, variant="strict-second")
    assert sc.calls[1].allocation.score_bar == 5.0
    assert sc.calls[1].allocation.partial is True  # the file's other call keys stay
    base = samplesim.load_scenario(PER_CALL)
    assert base.calls[1].allocation.score_bar == 0.0


def test_a_variant_changing_the_top_level_table_reaches_the_calls_merged_one():
    raw = _two_calls(allocation={"score_bar": 0.5})
    raw["variants"] = {"partial": {"allocation": {"partial": True}}}
    sc = build_scenario(raw, variant="partial")
    assert sc.calls[1].allocation.partial is True and sc.calls[1].allocation.score_bar == 0.5


def test_an_edited_scenario_object_round_trips_through_its_raw_data():
    sc = samplesim.load_scenario(PER_CALL)
    edited = attrs.evolve(sc, description="edited")
    res = resolve(edited)
    assert res.exact, "the unstructured calls must rebuild the same scenario"


# --- bad input -------------------------------------------------------------------------------

#: (id, the second call's sections, expected path, words in the message)
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("type", {"allocation": {"score_bar": "high"}}, "calls[1].allocation.score_bar", "number"),
    ("unknown", {"allocation": {"colour": 1}}, "calls[1].allocation.colour", "unknown key"),
    ("range", {"review": {"reliability": 1.5}}, "calls[1].review.reliability", "(0, 1]"),
    ("prob", {"screening": {"incomplete_probability": 2}},
     "calls[1].screening.incomplete_probability", "probability"),
    ("dist", {"logistics": {"loan_days": {"dist": "uniform", "low": -5, "high": 1}}},
     "calls[1].logistics.loan_days", "negative"),
    ("types", {"proposals": {"sample_type_weights": {"cheese": 1}}},
     "calls[1].proposals.sample_type_weights", "cheese"),
    ("policy", {"allocation": {"policy": "nope"}}, "calls[1].allocation.policy", "unknown"),
    ("table", {"panel": 3}, "calls[1].panel", "table"),
    ("pool", {"review": {"reviewers": 9}}, "calls[1].review.reviewers", "review.panels"),
    ("pool-countries", {"review": {"reviewer_countries": {"US": 1}}},
     "calls[1].review.reviewer_countries", "route.calls"),
    ("load", {"review": {"load": 2}}, "calls[1].review.load", "shared"),
    ("per-proposal", {"review": {"reviews_per_proposal": 1}},
     "calls[1].review.reviews_per_proposal", "[review]"),
    ("lottery", {"allocation": {"lottery": {"interval": 1.0}}},
     "calls[1].allocation.lottery.interval", "(0, 1)"),
    ("shortlist", {"review": {"shortlist": {"top_fraction": 0}}},
     "calls[1].review.shortlist.top_fraction", "(0, 1]"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "second", "path", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_call_settings_name_the_calls_key_path(tmp_path, capsys, case, second, path, words):
    f = write_scenario(tmp_path / f"{case}.toml", _two_calls(**second))
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(f)
    hits = [p for p in info.value.problems if p.path == path]
    assert hits and any(words in p.message for p in hits), info.value.problems
    before = sorted(tmp_path.iterdir())
    assert cli.main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"  {path}: " in err and str(f) in err
    assert sorted(tmp_path.iterdir()) == before  # nothing left behind


def test_a_top_level_problem_is_reported_once_not_again_for_each_call(tmp_path):
    raw = _two_calls(allocation={"score_bar": 0.5})
    raw["allocation"]["max_share"] = 2.0
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert [p.path for p in info.value.problems] == ["allocation.max_share"]


def test_a_variant_error_in_a_calls_section_is_prefixed():
    raw = _two_calls()
    raw["variants"] = {"v": {"calls": {"round-2": {"review": {"load": 3}}}}}
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert [p.path for p in info.value.problems] == ["variants.v.calls[1].review.load"]


def test_a_calls_reliability_is_refused_with_reviewers_who_differ():
    raw = _two_calls(review={"reliability": 0.6})
    raw["review"]["leniency_sd"] = 0.3
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert [p.path for p in info.value.problems] == ["calls[1].review.reliability"]


# --- the model uses the call's settings ----------------------------------------------------


@pytest.fixture(scope="module")
def runs() -> list[tuple[samplesim.Scenario, Any]]:
    sc = samplesim.load_scenario(PER_CALL)
    return [(sc, samplesim.simulate(sc, seed=s)) for s in range(6)]


def test_each_call_follows_its_own_settings(runs):
    for _sc, res in runs:
        p = res.proposals
        first, second = p[p.call == "first"], p[p.call == "second"]
        assert len(first) and len(second)
        # [calls.proposals]: fixed 0.05 g of basalt only; the first call's lognormal varies
        assert np.allclose(second.grams_requested, 0.05)
        assert (second["requested_g:regolith"] == 0).all()
        assert first.grams_requested.nunique() == len(first)
        # [calls.screening]: a one-day screening; the first call's is uniform in [2, 10]
        assert np.allclose(second.screened_day - second.submitted_day, 1.0)
        assert ((first.screened_day - first.submitted_day) >= 2).all()
        # [calls.logistics]: three days' shipping; the first call's default 21
        shipped = second[second.samples_day.notna()]
        assert np.allclose(shipped.samples_day - shipped.shipped_day, 3.0)
        done = first[first.samples_day.notna()]
        assert np.allclose(done.samples_day - done.shipped_day, 21.0)
        # [calls.panel]: only the second call has a panel
        assert first.panel_day.isna().all()
        # [calls.review] shortlist top_fraction = 0.5: half of the reviewed go on
        reviewed = second.reviewed_day.notna().sum()
        shortlisted = second.shortlisted_day.notna().sum()
        assert shortlisted == min(reviewed, max(1, int(np.ceil(0.5 * reviewed))))
        assert first.shortlisted_day.notna().sum() == first.reviewed_day.notna().sum()
        # [calls.allocation] score_bar 0 (the first call has none): shortlisted proposals
        # are approved exactly when their final score reaches the bar
        short = second[second.shortlisted_day.notna()]
        assert ((short.grams_granted > 0) == (short.final_score >= 0)).all()
        assert (first.state == "delivered").sum() == first.reviewed_day.notna().sum()


def test_a_call_score_bar_out_of_reach_approves_nothing_in_that_call_only():
    sc = samplesim.load_scenario(PER_CALL, variant="strict-second")
    for seed in range(4):
        p = samplesim.simulate(sc, seed=seed).proposals
        second = p[p.call == "second"]
        assert (second.grams_granted == 0).all()
        assert not second.state.isin(["delivered"]).any()
        assert (p[p.call == "first"].state == "delivered").any()


def test_review_reliability_per_call_shapes_that_calls_scores():
    """A reliability of 0.9 makes review scores track merit far more closely than 0.3."""
    sc = samplesim.load_scenario(PER_CALL)
    corr = {"first": [], "second": []}
    for seed in range(10):
        p = samplesim.simulate(sc, seed=seed).proposals
        for call, g in p.groupby("call"):
            corr[call].append(g[["merit", "review_score"]].dropna())
    first, second = (pd.concat(corr[c]) for c in ("first", "second"))
    r1 = np.corrcoef(first.merit, first.review_score)[0, 1]
    r2 = np.corrcoef(second.merit, second.review_score)[0, 1]
    # expected about 0.97 (reliability 0.9, two reviews) and 0.68 (0.3)
    assert r2 > 0.9 and r1 < 0.85 and r2 > r1


def test_invariants_hold_with_per_call_settings(runs):
    for sc, res in runs:
        check_all(sc, res)


def test_same_seed_same_tables_with_per_call_settings():
    sc = samplesim.load_scenario(PER_CALL)
    a, b = samplesim.simulate(sc, seed=7), samplesim.simulate(sc, seed=7)
    pd.testing.assert_frame_equal(a.proposals, b.proposals)
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_a_call_override_equal_to_the_top_level_changes_nothing():
    """Grouping calls by setting never moves a draw: restating the top-level values in a
    call (an override that changes nothing) gives the same tables."""
    raw = load_raw(PER_CALL)
    for c in raw["calls"]:
        for s in ("review", "panel", "allocation", "proposals", "logistics", "screening"):
            c.pop(s, None)
    plain = build_scenario(copy.deepcopy(raw))
    raw["calls"][1]["allocation"] = {"policy": "merit_rank"}
    raw["calls"][1]["logistics"] = {"loan_days": 180}
    raw["calls"][0]["review"] = {"duration": raw["review"]["duration"]}
    same = build_scenario(raw)
    assert same.calls[1].allocation == plain.allocation
    for seed in (1, 2):
        a, b = samplesim.simulate(plain, seed=seed), samplesim.simulate(same, seed=seed)
        pd.testing.assert_frame_equal(a.proposals, b.proposals)


def _draws(sc: samplesim.Scenario, seed: int) -> dict[tuple[str, str, int], tuple]:
    w = World(sc, seed, 0)
    p, out = w.props, {}
    for call, inst, idx in p.groups:
        for k, i in enumerate(idx.tolist()):
            out[(call, inst, k)] = (
                p.submit[i], p.merit[i], tuple(p.requested[i]), w.screen_delay[i],
                tuple(w.review_scores[i]), tuple(w.review_durations[i]), w.panel_score[i],
                w.agreement_delay[i], w.ship_delay[i], w.loan_days[i],
            )  # fmt: skip
    return out


def test_a_call_override_moves_no_other_calls_draws():
    """Common random numbers per entity: the second call's settings change its own
    proposals' values, never the first call's (nor the second call's arrivals and merit)."""
    raw = load_raw(PER_CALL)
    changed = copy.deepcopy(raw)
    changed["calls"][1]["proposals"]["grams_requested"] = 0.2
    changed["calls"][1]["logistics"]["shipping_delay"] = {"dist": "uniform", "low": 1, "high": 9}
    changed["calls"][1]["review"]["reliability"] = 0.5
    for seed in (1, 2, 3):
        a, b = _draws(build_scenario(raw), seed), _draws(build_scenario(changed), seed)
        assert a.keys() == b.keys()
        for key in a:
            if key[0] == "first":
                assert a[key] == b[key], key
            else:
                assert a[key][:2] == b[key][:2]  # submission day, merit
                assert a[key][2] != b[key][2] and a[key][8] != b[key][8]


def test_the_example_file_is_valid_on_the_command_line(capsys):
    assert cli.main(["validate", str(PER_CALL)]) == 0
    assert Path(PER_CALL).name in capsys.readouterr().out


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        (("screening", "bogus_key"), 1, "screening.bogus_key"),
        (("review", "reliability"), "nine", "review.reliability"),
        (("allocation", "lottery"), 3, "allocation.lottery"),
    ],
)
def test_a_top_level_structural_problem_is_not_repeated_for_a_call(where, value, path):
    """The call's section inherits the bad top-level key: one problem, at the top level."""
    raw = _two_calls(screening={"delay": 2}, review={"duration": 3}, allocation={"partial": True})
    raw.setdefault(where[0], {})[where[1]] = value
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert [p.path for p in info.value.problems] == [path]


def test_a_calls_own_sample_mix_is_checked_against_its_agency():
    raw = _two_calls(agency="B", proposals={"sample_type_weights": {"rock": 1.0}})
    raw["calls"][0]["agency"] = "A"
    raw["agencies"] = [{"name": "A", "country": "US"}, {"name": "B", "country": "FR"}]
    raw["inventory"][0]["agency"] = "A"
    raw["inventory"][1]["agency"] = "B"
    raw["rules"][0]["agency"] = "A"
    with pytest.raises(ScenarioError) as info:
        build_scenario(copy.deepcopy(raw))
    assert [p.path for p in info.value.problems] == ["calls[1].proposals.sample_type_weights"]
    raw["calls"][1]["proposals"]["sample_type_weights"] = {"dust": 1.0}
    sc = build_scenario(raw)
    p = samplesim.simulate(sc, seed=3).proposals
    second = p[p.call == "round-2"]
    assert len(second) and (second["requested_g:rock"] == 0).all()
    assert (second["requested_g:dust"] > 0).all()


@pytest.mark.parametrize("demand", [0.0, 1.0])
def test_a_call_setting_that_draws_for_a_call_without_proposals(demand):
    """Regression: a call whose own setting draws (incomplete applications, declined
    invitations, random ties, discussion) but has no proposal gave a draw of length 0, not
    one value per proposal (IndexError on ``incomplete[i]`` with one proposal, a broadcast
    error with more)."""
    own = {
        "screening": {"incomplete_probability": 0.5},
        "review": {"decline_probability": 0.3, "ties": "random"},
        "panel": {"enabled": True, "discussion_sd": 0.5},
    }
    raw = _two_calls(demand=0.0, **own)  # round-2: no proposal at all
    raw["calls"][0]["demand"] = demand  # round-1: proposals, or none either
    sc = build_scenario(raw)
    w = World(sc, seed=3)
    for name in ("incomplete", "declines", "tiebreak", "discussion"):
        assert len(getattr(w, name)) == w.n, name
    assert w.n == 0 or not w.incomplete.any()  # only round-2 screens anyone out
    res = samplesim.simulate(sc, seed=3)
    check_all(sc, res)
