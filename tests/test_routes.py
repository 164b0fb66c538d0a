"""Review routes (issue 10): the feasibility / curation review and the absolute review
deadline. Known answers, the queue against M/M/c theory, invariants, determinism, bad input."""

from __future__ import annotations

import copy
import datetime as dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import samplesim
from helpers import minimal_raw, to_toml
from samplesim.model.reviewers import review_deadline
from samplesim.model.world import World
from samplesim.scenario import ScenarioError, build_scenario
from test_invariants import check_all

ROUTES = Path(__file__).parent / "data" / "routes.toml"


def feasible_raw(**feasibility: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["rules"] = []
    raw["institutions"] = [{"name": "Uni", "country": "FR", "propensity": 60.0}]
    raw["review"] = {"reviewers": 50, "load": 5, "reviews_per_proposal": 2, "duration": 10,
                     "conflict_of_interest": False}  # fmt: skip
    raw["feasibility"] = {"enabled": True, **feasibility}
    return raw


# --- feasibility: known answers ----------------------------------------------------------


def test_off_by_default_adds_no_column_and_no_stage():
    res = samplesim.simulate(build_scenario(minimal_raw()), seed=3)
    assert "grams_feasible" not in res.proposals
    assert res.proposals["feasible_day"].isna().all()
    assert not (res.proposals["state"] == "infeasible").any()


def test_switching_it_on_moves_no_other_draw():
    off = samplesim.simulate(build_scenario(feasible_raw(enabled=False)), seed=5).proposals
    on = samplesim.simulate(build_scenario(feasible_raw(duration=0)), seed=5).proposals
    for col in ("merit", "grams_requested", "submitted_day", "cleared_day", "country"):
        pd.testing.assert_series_equal(off[col], on[col])
    # Zero duration, nothing declined or shrunk: the same run, stamped once more.
    pd.testing.assert_series_equal(on["feasible_day"], on["cleared_day"], check_names=False)
    for col in ("state", "review_score", "grams_granted", "decision_day"):
        pd.testing.assert_series_equal(off[col], on[col])


def test_every_assessed_proposal_is_infeasible_when_decline_probability_is_one():
    p = samplesim.simulate(build_scenario(feasible_raw(decline_probability=1.0)), seed=1)
    props = p.proposals
    cleared = props["cleared_day"].notna()
    assert cleared.sum() > 20
    assessed = props.loc[cleared & (props["state"] != "pending")]
    assert (assessed["state"] == "infeasible").all()
    assert (assessed["grams_feasible"] == 0).all() and (assessed["grams_granted"] == 0).all()
    assert p.reviews.empty
    assert assessed["reason"].str.startswith("feasibility").all()


def test_shrunk_requests_are_what_allocation_sees():
    raw = feasible_raw(shrink_probability=1.0, shrink_to=0.25)
    raw["inventory"][0]["grams"] = raw["inventory"][1]["grams"] = 1000.0  # all can be granted
    props = samplesim.simulate(build_scenario(raw), seed=2).proposals
    ok = props["feasible_day"].notna()
    assert ok.sum() > 20
    np.testing.assert_allclose(props.loc[ok, "grams_feasible"],
                               0.25 * props.loc[ok, "grams_requested"])  # fmt: skip
    won = props["grams_awarded"] > 0
    assert won.sum() > 5
    np.testing.assert_allclose(props.loc[won, "grams_awarded"],
                               0.25 * props.loc[won, "grams_requested"])  # fmt: skip


def test_decline_and_shrink_shares_match_their_probabilities():
    raw = feasible_raw(decline_probability=0.3, shrink_probability=0.5, duration=1)
    raw["horizon_days"] = 5000.0
    raw["institutions"][0]["propensity"] = 400.0
    props = samplesim.simulate(build_scenario(raw), seed=4).proposals
    done = props[props["feasible_day"].notna() | (props["state"] == "infeasible")]
    n = len(done)
    assert n > 300
    declined = (done["state"] == "infeasible").mean()
    assert declined == pytest.approx(0.3, abs=4 * math.sqrt(0.21 / n))
    passed = done[done["state"] != "infeasible"]
    shrunk = (passed["grams_feasible"] < passed["grams_requested"] - 1e-12).mean()
    assert shrunk == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / len(passed)))
    kept = passed["grams_feasible"] / passed["grams_requested"]
    assert np.allclose(kept[kept < 1], 0.5)  # the default shrink_to is 0.5


# --- feasibility: the staff queue against M/M/c ------------------------------------------

WINDOW = 3000.0


def queue_waits(staff: int, lam: float, mean: float, reps: int) -> np.ndarray:
    """Mean wait for an assessor per replication (after a warm-up): Poisson arrivals,
    exponential assessments, ``staff`` assessors, no screening delay."""
    raw = {
        "name": f"feasibility-m/m/{staff}",
        "start_date": "2024-01-01",
        "horizon_days": WINDOW + 1000,
        "inventory": [{"name": "rock", "grams": 1.0}],
        "calls": [{"name": "long", "open_day": 0, "close_day": WINDOW}],
        "institutions": [{"name": "A", "country": "AA", "propensity": lam * WINDOW}],
        "proposals": {"co_investigators": 0, "deadline_rush": 0.0},
        "screening": {"delay": 0, "incomplete_probability": 0.0},
        "review": {"reviewers": 5, "load": 1000, "reviews_per_proposal": 1, "duration": 0,
                   "reviewer_countries": {}, "conflict_of_interest": False},
        "feasibility": {"enabled": True, "staff": staff,
                        "duration": {"dist": "exponential", "mean": mean}},
    }  # fmt: skip
    sc = build_scenario(raw)
    out = []
    for r in range(reps):
        w = World(sc, 11, r)
        w.run()
        sub = w.props.submit
        steady = (sub >= 0.1 * WINDOW) & ~np.isnan(w.feasibility.wait)
        out.append(w.feasibility.wait[steady].mean())
    return np.array(out)


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    a = lam / mu
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - a / c)
    return tail / (head + tail) / (c * mu - lam)


@pytest.mark.parametrize(("staff", "lam", "mean"), [(1, 0.3, 2.5), (3, 0.3, 7.5)])
def test_assessor_waits_match_erlang_c(staff, lam, mean):
    waits = queue_waits(staff, lam, mean, reps=30)
    want = erlang_c_wait(staff, lam, 1 / mean)
    half = stats.t.ppf(0.995, len(waits) - 1) * waits.std(ddof=1) / math.sqrt(len(waits))
    assert abs(waits.mean() - want) <= half, (waits.mean(), want, half)
    assert half < 0.3 * want  # tight enough to have power


def test_more_staff_waits_less_at_the_same_load_per_assessor():
    one = queue_waits(1, 0.3, 2.5, reps=4).mean()
    three = queue_waits(3, 0.3, 2.5, reps=4).mean()
    assert three < 0.2 * one


# --- the absolute review deadline ----------------------------------------------------------


def test_review_deadline_helper():
    assert review_deadline(None, None, 5.0) is None
    assert review_deadline(30.0, None, 5.0) == 30.0
    assert review_deadline(None, 100.0, 40.0) == 60.0
    assert review_deadline(30.0, 100.0, 90.0) == 10.0  # whichever comes first
    assert review_deadline(None, 100.0, 130.0) == 0.0  # already passed


def test_the_panel_goes_ahead_on_the_deadline_day_with_the_reviews_in_hand():
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 3000.0
    raw["institutions"] = [{"name": "Uni", "country": "FR", "propensity": 150.0}]
    raw["review"] = {"reviewers": 400, "load": 5, "reviews_per_proposal": 3,
                     "duration": {"dist": "exponential", "mean": 40},
                     "deadline_day": dt.date(2024, 3, 1)}  # fmt: skip
    sc = build_scenario(raw)
    day = sc.review.deadline_day
    assert day == 60.0
    res = samplesim.simulate(sc, seed=2)
    props, rv = res.proposals.set_index("proposal_id"), res.reviews
    checked = {"all in": 0, "in hand": 0, "first": 0}
    for pid, mine in rv.groupby("proposal_id"):
        row = props.loc[pid]
        ends = mine["end_day"].to_numpy()
        if (ends <= day).all():
            assert row["reviewed_day"] == pytest.approx(ends.max())
            checked["all in"] += 1
        elif (ends <= day).any():
            assert row["reviewed_day"] == pytest.approx(day)
            assert row["review_score"] == pytest.approx(mine["score"][ends <= day].mean())
            checked["in hand"] += 1
        else:  # none in by the deadline: the first one decides
            assert row["reviewed_day"] == pytest.approx(np.nanmin(ends))
            assert row["review_score"] == pytest.approx(mine["score"][ends == ends.min()].mean())
            checked["first"] += 1
    assert min(checked.values()) >= 5, checked
    assert res.summary.set_index("country").loc["ALL", "late_reviews"] > 0


# --- invariants and determinism on a scenario that uses the keys ---------------------------


@pytest.mark.parametrize("seed", range(6))
def test_invariants_on_the_routes_scenario(seed):
    sc = samplesim.load_scenario(ROUTES)
    res = samplesim.simulate(sc, seed=seed)
    check_all(sc, res)
    props = res.proposals
    assessed = props["feasible_day"].notna()
    assert (props.loc[assessed, "feasible_day"] >= props.loc[assessed, "cleared_day"]).all()
    rs = props["review_start_day"].notna()
    assert assessed[rs].all()  # nobody is reviewed without passing the feasibility review
    assert (props["grams_awarded"] <= props["grams_feasible"].fillna(0) + 1e-9).all()
    # Team conflicts (enough reviewers here for none to be waived): a reviewer's institution
    # is never in the reviewed proposal's team.
    w = World(sc, seed)
    rec = w.run()
    inst = res.reviews["reviewer_institution"].tolist()
    teams = [w.props.team_institutions[i] for i in rec.reviews.row]
    assert not any(r in t for r, t in zip(inst, teams, strict=True))
    bad = props["state"] == "infeasible"
    assert props.loc[bad, "feasible_day"].isna().all()
    assert (props.loc[bad, "grams_feasible"] == 0).all()


def test_routes_scenario_is_deterministic():
    sc = samplesim.load_scenario(ROUTES)
    a, b = samplesim.simulate(sc, seed=9), samplesim.simulate(sc, seed=9)
    for name in ("proposals", "reviews", "events", "inventory"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert (a.proposals["state"] == "infeasible").any()
    assert (a.proposals["grams_feasible"] < a.proposals["grams_requested"] - 1e-12).any()


# --- bad input ----------------------------------------------------------------------------

BAD: list[tuple[list[Any], Any, str]] = [
    (["feasibility", "staff"], 0, "feasibility.staff"),
    (["feasibility", "staff"], 1.5, "feasibility.staff"),
    (["feasibility", "enabled"], "yes", "feasibility.enabled"),
    (
        ["feasibility", "duration"],
        {"dist": "uniform", "low": -5, "high": 5},
        "feasibility.duration",
    ),
    (["feasibility", "decline_probability"], 1.5, "feasibility.decline_probability"),
    (["feasibility", "shrink_probability"], -0.1, "feasibility.shrink_probability"),
    (["feasibility", "shrink_to"], 0, "feasibility.shrink_to"),
    (["feasibility", "colour"], 1, "feasibility.colour"),
    (["review", "deadline_day"], -1, "review.deadline_day"),
    (["review", "deadline_day"], 5000, "review.deadline_day"),
    (["review", "deadline_day"], "soon", "review.deadline_day"),
]


def _mutated(keys: list[Any], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(minimal_raw())
    node = raw
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return raw


@pytest.mark.parametrize(("keys", "value", "path"), BAD, ids=[b[2] + repr(b[1]) for b in BAD])
def test_bad_route_keys_name_the_key_path(keys, value, path):
    with pytest.raises(ScenarioError) as info:
        build_scenario(_mutated(keys, value), source="routes.toml")
    assert any(p.path == path for p in info.value.problems), info.value.problems
    assert str(info.value).startswith("routes.toml: ")


def test_validate_exits_2_naming_file_and_key_and_writes_nothing(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(to_toml(_mutated(["feasibility", "shrink_to"], 0)), encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    proc = subprocess.run(
        [sys.executable, "-m", "samplesim", "validate", str(f)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert str(f) in proc.stderr and "feasibility.shrink_to" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(tmp_path.iterdir()) == before
