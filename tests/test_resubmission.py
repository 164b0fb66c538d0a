"""Resubmission (``[resubmission]``, issue 10 item 6): declined proposals come back to a
later call as new rows (proposal x attempt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import samplesim
from attempt_checks import check_attempts
from helpers import assert_problem, assert_refused, clone, minimal_raw
from samplesim.model import run_world
from samplesim.scenario import build_scenario, load_raw
from test_invariants import check_all

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "resubmission.toml"
#: Every shipped scenario: each is run again with resubmission switched on.
SHIPPED = sorted((ROOT / "scenarios").rglob("*.toml"))
#: Columns that describe a proposal, not what happened to it.
ATTRIBUTES = ["proposal_id", "call", "institution", "merit", "grams_requested", "submitted_day"]


def _example(**resubmission) -> samplesim.Scenario:
    raw = load_raw(EXAMPLE)
    raw["resubmission"].update(resubmission)
    return build_scenario(raw)


def _two_calls(**resubmission) -> dict:
    """Two batch calls a year apart; call 1's decision comes before call 2 closes."""
    raw = minimal_raw()
    raw["horizon_days"] = 1500.0
    raw["calls"] = [
        {"name": "first", "open_day": 0, "close_day": 60},
        {"name": "second", "open_day": 300, "close_day": 420},
    ]
    raw["allocation"] = {"policy": "merit_rank", "max_awards": 1}
    raw["resubmission"] = {"probability": 1.0, **resubmission}
    return raw


@pytest.fixture(scope="module")
def example_runs():
    sc = _example()
    return sc, [samplesim.simulate(sc, seed=s) for s in range(6)]


def test_example_resubmits_and_keeps_every_invariant(example_runs):
    sc, runs = example_runs
    for res in runs:
        check_all(sc, res)
    attempts = pd.concat([r.proposals["attempt"] for r in runs])
    assert (attempts == 2).sum() > 20 and (attempts == 3).sum() > 3  # it is exercised
    assert sum(int(r.calls["resubmitted"].sum()) for r in runs) == int((attempts > 1).sum())


def test_first_attempts_draw_what_they_drew_without_resubmission():
    """Common random numbers: switching resubmission on adds rows; the first attempts keep
    every attribute, and with nothing to resubmit the whole run is unchanged."""
    on, off = _example(), _example(probability=0.0)
    for seed in range(3):
        a, b = samplesim.simulate(on, seed=seed), samplesim.simulate(off, seed=seed)
        first = a.proposals[a.proposals["attempt"] == 1].reset_index(drop=True)
        pd.testing.assert_frame_equal(first[ATTRIBUTES], b.proposals[ATTRIBUTES])
    # Only incomplete applications would come back, and there are none: identical runs.
    never = _example(states=["incomplete"])
    for seed in range(3):
        a, b = samplesim.simulate(never, seed=seed), samplesim.simulate(off, seed=seed)
        for name in ("proposals", "reviews", "events", "summary"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_same_seed_same_bytes():
    sc = _example()
    a, b = run_world(sc, 7), run_world(sc, 7)
    assert a.n > len(set(a.proposal.tolist()))  # some proposals have two rows
    for name in ("proposal", "attempt", "call", "merit", "awarded", "state"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    x, y = samplesim.simulate(sc, seed=7), samplesim.simulate(sc, seed=7)
    assert x.proposals.to_csv().encode() == y.proposals.to_csv().encode()


def test_merit_gain_raises_the_resubmissions_chances():
    def approval_of_resubmissions(gain: float) -> float:
        sc = _example(merit_gain=gain)
        ok = n = 0
        for seed in range(12):
            p = samplesim.simulate(sc, seed=seed).proposals
            again = p[p["attempt"] > 1]
            ok += int((again["grams_awarded"] > 0).sum())
            n += len(again)
        return ok / n

    assert approval_of_resubmissions(2.0) > approval_of_resubmissions(0.0) + 0.1


def test_a_batch_call_waits_for_a_resubmission_and_decides_once():
    sc = build_scenario(_two_calls())
    seen = 0
    for seed in range(6):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        p = res.proposals
        second = p[(p["call"] == "second") & p["decision_day"].notna()]
        if (second["attempt"] > 1).any():
            seen += 1
            assert second["decision_day"].nunique() == 1  # one decision for the whole call
            assert second["decision_day"].iloc[0] >= second["reviewed_day"].max()
    assert seen >= 3


def test_a_rolling_call_with_no_proposals_of_its_own_decides_resubmissions():
    raw = _two_calls(max_attempts=2)
    rolling = {"mode": "rolling", "meeting_every_days": 60.0, "first_meeting_day": 360.0}
    raw["calls"][1].update(demand=0.0, decision=rolling, close_day=900)
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=3)
    check_all(sc, res)
    second = res.proposals[res.proposals["call"] == "second"]
    assert len(second) > 0 and (second["attempt"] == 2).all()
    assert not (second["state"].astype(str) == "pending").any()
    assert second["decision_day"].notna().all()


def test_same_call_sends_a_rolling_calls_declines_to_its_later_meetings():
    raw = minimal_raw()
    raw["horizon_days"] = 1500.0
    raw["calls"] = [
        {"name": "rolling", "open_day": 0, "close_day": 1000,
         "decision": {"mode": "rolling", "meeting_every_days": 90.0, "first_meeting_day": 90.0}},
    ]  # fmt: skip
    raw["allocation"] = {"policy": "merit_rank", "max_awards": 1}
    raw["resubmission"] = {"probability": 1.0, "max_attempts": 3}
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=2)
    check_all(sc, res)
    assert (res.proposals["attempt"] > 1).any()
    raw["resubmission"]["same_call"] = False  # no other call: nowhere to go
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=2)
    check_all(sc, res)
    assert (res.proposals["attempt"] == 1).all()
    ev = res.events.astype({"kind": str, "name": str})
    assert ((ev["kind"] == "resubmission") & (ev["name"] == "no_call")).any()


def test_an_ineligible_call_is_skipped():
    raw = _two_calls()
    raw["calls"].append({"name": "third", "open_day": 700, "close_day": 800})
    raw["calls"][1]["eligible_countries"] = ["FR"]
    sc = build_scenario(raw)
    for seed in range(4):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        again = res.proposals[res.proposals["attempt"] > 1]
        assert not ((again["call"] == "second") & (again["country"] == "US")).any()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_keeps_its_invariants_with_resubmission(path):
    """Rules, panels, conflicts, feasibility, intents, meetings, renewable resources and
    country balance, each with declined proposals coming back."""
    raw = load_raw(path)
    raw["resubmission"] = {
        "probability": 1.0,
        "max_attempts": 3,
        "merit_gain": 0.5,
        "states": ["declined", "not_shortlisted", "infeasible", "incomplete"],
    }
    raw.setdefault("feasibility", {"enabled": True, "decline_probability": 0.2,
                                   "shrink_probability": 0.3})  # fmt: skip
    raw.pop("variants", None)
    sc = build_scenario(raw)
    for seed in range(2):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        check_attempts(sc, res)


def test_distributed_review_with_resubmission():
    raw = _two_calls(max_attempts=3)
    raw["institutions"] = [
        {"name": f"Uni {k}", "country": c, "propensity": 3.0}
        for k, c in enumerate(["US", "FR", "DE", "JP"])
    ]
    raw["review"] = {"source": "distributed", "reviews_per_proposal": 2,
                     "reviews_per_applicant": 6, "conflict_of_interest": True}  # fmt: skip
    sc = build_scenario(raw)
    for seed in range(3):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        assert (res.proposals["attempt"] > 1).any()


@pytest.mark.parametrize(
    ("key", "value", "path", "words"),
    [
        ("probability", 1.5, "resubmission.probability", "between 0 and 1"),
        ("max_attempts", 1, "resubmission.max_attempts", "between 2 and"),
        ("max_attempts", 99, "resubmission.max_attempts", "between 2 and"),
        ("merit_gain", 40.0, "resubmission.merit_gain", "latent merit SDs"),
        ("states", [], "resubmission.states", "at least one"),
        ("states", ["delivered"], "resubmission.states[0]", "unknown resubmittable state"),
        ("states", ["declined", "declined"], "resubmission.states", "twice"),
    ],
)
def test_bad_keys_are_refused_with_their_path(key, value, path, words):
    raw = _two_calls()
    raw["resubmission"][key] = value
    assert_problem(raw, path, words)


def test_bad_input_exits_2_and_leaves_nothing(tmp_path, capsys):
    raw = clone(_two_calls())
    raw["resubmission"]["states"] = ["pending"]
    assert_refused(tmp_path, capsys, raw, "resubmission.states[0]", "unknown resubmittable state")


def test_per_call_funnel_says_how_many_were_resubmitted(example_runs):
    from samplesim.plots.call_funnel import call_funnel

    _sc, runs = example_runs
    res = runs[0]
    fig = call_funnel(res)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    calls = res.calls.set_index("call")
    for name, title in zip(calls.index, titles, strict=True):
        k = int(calls.loc[name, "resubmitted"])
        assert (f"{k} of the" in title) == (k > 0), title
