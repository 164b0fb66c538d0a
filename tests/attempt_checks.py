"""Invariants of proposal x attempt rows (``[resubmission]``), used by test_invariants.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import samplesim
from samplesim.model.resubmission import full_proposals_from
from samplesim.scenario import Scenario

TOL = 1e-9
#: Columns a resubmission carries over from the attempt before it.
CARRIED = ["institution", "country", "kind", "destructive", "grams_requested"]


def check_attempts(sc: Scenario, res: samplesim.SimulationResult) -> None:
    """Attempts of one proposal: numbered 1..k in time order, each after the one before ended
    in a listed state, in a call open to it then, carrying the proposal over; at most one
    approved (the last); every resubmission announced by a ``resubmission`` event."""
    props = res.proposals.set_index("proposal_id")
    rs = sc.resubmission
    assert (props["attempt"] >= 1).all()
    firsts = props[props["attempt"] == 1]
    assert (firsts["first_proposal_id"] == firsts.index).all()
    ev = res.events.astype({"proposal_id": str, "kind": str, "name": str})
    resub = ev[(ev["kind"] == "resubmission") & (ev["name"] == "resubmitted")]
    if not rs.enabled:
        assert (props["attempt"] == 1).all()
        assert ev[ev["kind"] == "resubmission"].empty
        return
    assert (props["attempt"] <= rs.max_attempts).all()
    assert len(resub) == int((props["attempt"] > 1).sum())
    assert resub["proposal_id"].is_unique  # a row comes back at most once
    end = ev[ev["kind"] == "terminal"].groupby("proposal_id")["day"].last()
    calls = {c.name: c for c in sc.calls}
    approved = (props["grams_awarded"] > 0) | (props["state"].astype(str) == "approved_no_material")
    for _first, rows in props.groupby("first_proposal_id", sort=False):
        rows = rows.sort_values("attempt")
        assert list(rows["attempt"]) == list(range(1, len(rows) + 1))
        assert approved[rows.index].sum() <= 1
        if approved[rows.index].any():
            assert approved[rows.index[-1]]  # approved: it does not come back
        for prev_id, cur_id in zip(rows.index[:-1], rows.index[1:], strict=True):
            prev, cur = props.loc[prev_id], props.loc[cur_id]
            assert str(prev["state"]) in rs.states
            for col in CARRIED:
                assert (
                    prev[col] == pytest.approx(cur[col])
                    if col == "grams_requested"
                    else (prev[col] == cur[col])
                ), col
            assert sorted(prev["team_countries"]) == sorted(cur["team_countries"])
            assert cur["merit"] == pytest.approx(prev["merit"] + rs.merit_gain, abs=TOL)
            ended = end[prev_id]
            call = calls[cur["call"]]
            assert call.close_day > ended - TOL
            if cur["call"] == prev["call"]:
                assert rs.same_call and call.decision.mode == "rolling"
            if not pd.isna(cur["submitted_day"]):  # a deterred attempt has no submission day
                lo = max(ended, full_proposals_from(call))
                assert lo - TOL <= cur["submitted_day"] <= call.close_day + TOL
            # The announcement is the previous attempt's, on the day it ended.
            said = resub[resub["proposal_id"] == prev_id]
            assert len(said) == 1 and said["day"].iloc[0] == pytest.approx(ended, abs=TOL)
            assert f"to {cur['call']}," in said["detail"].iloc[0]
    # Only rows that ended in a listed state came back.
    came_back = props.loc[resub["proposal_id"]]
    assert came_back["state"].astype(str).isin(rs.states).all()
    # Every attempt's timestamps are its own: none of them precede the one before's end.
    assert np.all(np.isfinite(end.reindex(props.index).to_numpy(dtype=float)))
