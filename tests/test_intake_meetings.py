"""Per-meeting request deadlines and the deadline rush before every meeting
(``calls[i].decision.request_deadline_days``, ``calls[i].decision.rush``)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import assert_problem, minimal_raw
from samplesim.model.meetings import considered, request_deadlines, rush_times
from samplesim.model.world import World
from samplesim.scenario import build_scenario
from test_invariants import check_all, check_request_deadlines


def _rolling(gap: float | None = None, rush: str | None = None) -> dict[str, Any]:
    raw = minimal_raw()
    raw["horizon_days"] = 800.0
    call = raw["calls"][0]
    call.update(close_day=300, demand=8.0)
    call["decision"] = {"mode": "rolling", "meeting_days": [60.0, 120.0, 180.0, 240.0, 300.0]}
    if gap is not None:
        call["decision"]["request_deadline_days"] = gap
    if rush is not None:
        call["decision"]["rush"] = rush
    raw["review"]["duration"] = 3
    raw["screening"] = {"delay": 1}
    return raw


def test_request_deadlines_are_meetings_minus_the_gap_inside_the_window():
    call = build_scenario(_rolling(gap=20)).calls[0]
    assert request_deadlines(call) == [40.0, 100.0, 160.0, 220.0, 280.0]
    assert considered(40.0, 60.0, call) and not considered(40.5, 60.0, call)


def test_rush_times_known_answers():
    call = build_scenario(_rolling()).calls[0]  # pieces cut at the meetings 60..240
    u = np.array([0.0, 0.1, 0.5, 1.0])
    np.testing.assert_allclose(rush_times(u, call, 0.0), 300 * u)
    # rush 1: within a piece, f -> sqrt(f); 0.5 * 300 = 150 lies in (120, 180), f = 0.5
    got = rush_times(u, call, 1.0)
    np.testing.assert_allclose(got[2], 120 + 60 * np.sqrt(0.5))
    np.testing.assert_allclose(got[1], 60 * np.sqrt(0.5))  # day 30 in (0, 60)
    assert got[0] == 0.0 and got[3] == 300.0


def test_no_proposal_is_decided_before_its_request_deadline():
    plain, gapped = _rolling(), _rolling(gap=25)
    sc0, sc1 = build_scenario(plain), build_scenario(gapped)
    moved = 0
    for seed in range(3):
        r0, r1 = samplesim.simulate(sc0, seed=seed), samplesim.simulate(sc1, seed=seed)
        check_all(sc1, r1)
        # the same proposals; without the deadline some are decided too soon after submission
        with pytest.raises(AssertionError):
            check_request_deadlines(sc1, r0)
        d0, d1 = r0.proposals["decision_day"], r1.proposals["decision_day"]
        assert (d1.fillna(np.inf) >= d0.fillna(np.inf)).all()
        moved += int((d1 > d0).sum())
    assert moved > 0


def test_a_batch_call_waits_for_the_meeting_after_the_last_request_deadline():
    raw = minimal_raw()
    raw["calls"][0]["decision"] = {"meeting_days": [70.0, 100.0], "request_deadline_days": 20}
    raw["review"]["duration"] = 1
    raw["screening"] = {"delay": 1}
    sc = build_scenario(raw)
    for seed in range(3):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        pr = res.proposals
        late = pr["submitted_day"].max() > 50
        assert set(pr["decision_day"].dropna()) == ({100.0} if late else {70.0})


def test_rush_meetings_clusters_submissions_before_every_request_deadline():
    def share_late(rush: str) -> float:
        raw = _rolling(gap=10, rush=rush)
        raw["proposals"]["deadline_rush"] = 4.0
        call = build_scenario(raw).calls[0]
        sc = build_scenario(copy.deepcopy(raw))
        sub = np.concatenate([World(sc, s, 0).props.submit for s in range(30)])  # ~1200
        cuts = np.array([0.0, *request_deadlines(call), 300.0])
        k = np.clip(np.searchsorted(cuts, sub, side="right") - 1, 0, len(cuts) - 2)
        return float(np.mean(sub >= cuts[k + 1] - 0.2 * (cuts[k + 1] - cuts[k])))

    # Beta(5, 1): P(last fifth of a piece) = 1 - 0.8**5 = 0.67 (uniform: 0.2); the standard
    # error of a share of ~1200 is about 0.014
    assert 0.61 < share_late("meetings") < 0.73
    assert share_late("call") < 0.4  # one rush at close_day only


def test_same_seed_same_outputs_with_deadlines_and_rush():
    raw = _rolling(gap=15, rush="meetings")
    raw["proposals"]["deadline_rush"] = 2.0
    sc = build_scenario(raw)
    a, b = samplesim.simulate(sc, seed=11), samplesim.simulate(sc, seed=11)
    assert a.proposals.equals(b.proposals) and a.events.equals(b.events)


@pytest.mark.parametrize(
    ("decision", "path", "words"),
    [
        ({"meeting_days": [70.0], "request_deadline_days": -1},
         "calls[0].decision.request_deadline_days", "between 0 and 3650"),
        ({"request_deadline_days": 5}, "calls[0].decision.request_deadline_days",
         "only used with decision meetings"),
        ({"rush": "meetings"}, "calls[0].decision.rush", "needs decision meetings"),
        ({"meeting_days": [70.0], "rush": "meeting"}, "calls[0].decision.rush", "not one of"),
        ({"meeting_days": [70.0], "request_deadline_days": "ten"},
         "calls[0].decision.request_deadline_days", "number"),
    ],
)  # fmt: skip
def test_bad_meeting_deadline_keys_name_the_key_path(decision, path, words):
    raw = minimal_raw()
    raw["calls"][0]["decision"] = decision
    assert_problem(raw, path, words)
