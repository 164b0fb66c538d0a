"""Decisions happen only at decision meetings; a call with none left stays explicitly pending."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import minimal_raw, write_scenario
from samplesim import cli
from samplesim.scenario import ScenarioError, build_scenario

NO_MEETING = "no decision meeting left before the horizon"


def _late_reviews(decision: dict[str, Any], **call: Any) -> dict[str, Any]:
    """Call closes on day 60; every review takes 500 days, so reviews finish after day 560."""
    raw = minimal_raw()
    raw["rules"] = []
    raw["review"] = {"reviewers": 10, "load": 3, "reviews_per_proposal": 2, "duration": 500}
    raw["calls"][0].update(call, decision=decision)
    return raw


def _run(raw: dict[str, Any], seed: int = 1) -> samplesim.SimulationResult:
    res = samplesim.simulate(build_scenario(raw), seed=seed)
    assert res.proposals["reviewed_day"].notna().sum() > 0  # the case is not vacuous
    return res


def _events(res: samplesim.SimulationResult) -> pd.DataFrame:
    return res.events.astype({"proposal_id": str, "kind": str, "name": str, "detail": str})


@pytest.mark.parametrize("mode", ["batch", "rolling"])
def test_no_decision_after_the_last_meeting(mode):
    """The issue's example: meeting_days = [200], reviews finish later: nothing is decided."""
    res = _run(_late_reviews({"mode": mode, "meeting_days": [200]}))
    props = res.proposals
    reviewed = props[props["reviewed_day"].notna()]
    assert (reviewed["reviewed_day"] > 200).all()
    assert reviewed["decision_day"].isna().all()
    assert (reviewed["state"].astype(str) == "pending").all()
    assert (reviewed["reason"] == NO_MEETING).all()
    ev = _events(res)
    held = ev[(ev["kind"] == "decision") & (ev["name"] == "no_meeting")]
    assert set(held["proposal_id"]) == set(reviewed["proposal_id"])


def test_batch_decided_exactly_on_the_next_meeting_day():
    raw = _late_reviews({"mode": "batch", "meeting_days": [200, 700, 800]})
    raw["allocation"]["approval_delay"] = 20
    props = _run(raw).proposals
    decided = props.loc[props["reviewed_day"].notna(), "decision_day"]
    assert len(decided) and (decided == 700).all()


def test_rolling_decisions_wait_for_a_meeting_after_panel_and_approval():
    raw = _late_reviews({"mode": "rolling", "meeting_every_days": 50.0})
    raw["review"]["duration"] = {"dist": "uniform", "low": 10, "high": 200}
    raw["panel"] = {"enabled": True, "delay": 12}
    raw["allocation"]["approval_delay"] = 3
    props = _run(raw).proposals
    decided = props["decision_day"].dropna()
    assert len(decided) > 0
    # Meetings on days 60, 110, 160, ...: decisions only there, after panel and approval.
    np.testing.assert_allclose((decided - 60) % 50, 0)
    assert ((decided - props.loc[decided.index, "panel_day"]) >= 3).all()


def test_batch_without_meetings_keeps_the_approval_delay():
    raw = _late_reviews({"mode": "batch"})
    raw["allocation"]["approval_delay"] = 20
    props = _run(raw).proposals
    reviewed = props[props["reviewed_day"].notna()]
    assert (reviewed["decision_day"] == reviewed["reviewed_day"].max() + 20).all()


def test_postponed_panel_is_an_event():
    raw = _late_reviews({"mode": "batch", "meeting_days": [900]}, panel_day=100)
    raw["panel"] = {"enabled": True}
    res = _run(raw)
    props = res.proposals
    last_review = props["reviewed_day"].max()
    ev = _events(res)
    post = ev[(ev["kind"] == "panel") & (ev["name"] == "postponed")]
    assert len(post) == 1
    assert post["day"].iloc[0] == last_review
    assert "planned for day 100" in post["detail"].iloc[0]
    assert (props["panel_day"].dropna() == last_review).all()
    assert (props["decision_day"].dropna() == 900).all()


def test_panel_on_its_planned_day_is_not_postponed():
    raw = _late_reviews({"mode": "batch", "meeting_days": [900]}, panel_day=800)
    raw["panel"] = {"enabled": True}
    res = _run(raw)
    ev = _events(res)
    assert not ((ev["kind"] == "panel") & (ev["name"] == "postponed")).any()
    assert (res.proposals["panel_day"].dropna() == 800).all()


@pytest.mark.parametrize(
    ("decision", "path", "words"),
    [
        (
            {"mode": "batch", "meeting_days": [30, 200]},
            "calls[0].decision.meeting_days[0]",
            "must be on or after close_day (60)",
        ),
        (
            {"mode": "batch", "meeting_every_days": 30.0, "first_meeting_day": 40},
            "calls[0].decision.first_meeting_day",
            "must be on or after close_day (60)",
        ),
        (
            {"mode": "rolling", "meeting_days": [200], "first_meeting_day": 100},
            "calls[0].decision.first_meeting_day",
            "meeting_every_days",
        ),
        (
            {"mode": "batch", "first_meeting_day": 100},
            "calls[0].decision.first_meeting_day",
            "meeting_every_days",
        ),
    ],
)
def test_bad_meetings_name_the_key_path(tmp_path, capsys, decision, path, words):
    raw = minimal_raw()
    raw["calls"][0]["decision"] = decision
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert [p.message for p in info.value.problems if p.path == path], info.value.render()
    assert any(words in p.message for p in info.value.problems if p.path == path)
    f = write_scenario(tmp_path / "bad.toml", raw)
    assert cli.main(["validate", str(f)]) == 2
    assert path in capsys.readouterr().err


def test_rolling_meetings_may_precede_close_day():
    raw = minimal_raw()
    raw["calls"][0]["decision"] = {"mode": "rolling", "meeting_days": [30, 90]}
    build_scenario(raw)
