"""Panel discussion: calibrated to NIH's >13 % of R01 outcomes changed, and it moves exactly
the discussed proposals' final scores by (1 - weight) x a N(0, sd^2) shift."""

from __future__ import annotations

import numpy as np
import pytest

import samplesim
from helpers import minimal_raw
from samplesim.discussion import NIH_DISCUSSION_CHANGED, calibrate_discussion, discussion_flip_share
from samplesim.scenario import ScenarioError, build_scenario


def test_calibrated_sd_changes_13_percent_of_outcomes():
    sd = calibrate_discussion()
    assert 0.1 < sd < 1.0
    # Checked on an independent sample (another seed, more draws).
    share = discussion_flip_share(sd, draws=400_000, seed=99)
    assert share == pytest.approx(NIH_DISCUSSION_CHANGED, abs=0.005)


def test_flip_share_grows_with_the_discussion_effect():
    shares = [discussion_flip_share(sd, draws=50_000) for sd in (0.0, 0.2, 0.5, 1.0)]
    assert shares[0] == 0.0 and all(np.diff(shares) > 0)


def raw_with_panel(sd: float) -> dict:
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 2000.0
    raw["institutions"] = [{"name": "Uni", "country": "FR", "propensity": 300.0}]
    raw["review"] = {"reviewers": 30, "load": 20, "reviews_per_proposal": 3}
    raw["panel"] = {"enabled": True, "weight": 0.4, "discussion_sd": sd}
    return raw


def test_discussion_moves_only_the_discussed_final_scores():
    off = samplesim.simulate(build_scenario(raw_with_panel(0.0)), seed=2).proposals
    on = samplesim.simulate(build_scenario(raw_with_panel(0.5)), seed=2).proposals
    np.testing.assert_array_equal(off["review_score"], on["review_score"])
    panel = off["panel_day"].notna()
    assert panel.sum() > 100
    shift = (on["final_score"] - off["final_score"])[panel] / (1 - 0.4)
    assert (shift != 0).all()
    assert shift.std() == pytest.approx(0.5, rel=0.15) and abs(shift.mean()) < 0.1
    assert off.loc[~panel, "final_score"].equals(on.loc[~panel, "final_score"])


def test_discussion_sd_is_validated():
    with pytest.raises(ScenarioError, match=r"panel\.discussion_sd"):
        build_scenario(raw_with_panel(-0.1), source="x.toml")
