"""Invitations, declines and the review deadline change timing as theory says."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import minimal_raw
from samplesim.model import run_world
from samplesim.scenario import ScenarioError, build_scenario


def many_raw(**review: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 5000.0
    raw["institutions"] = [{"name": "Uni", "country": "FR", "propensity": 300.0}]
    # Reviewers to spare: nobody waits for a free reviewer, only for invitations.
    raw["review"] = {"reviewers": 200, "load": 20, "reviews_per_proposal": 3, "duration": 10,
                     **review}  # fmt: skip
    return raw


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_expected_invitations_per_review_is_one_over_one_minus_p(p):
    rec = run_world(build_scenario(many_raw(decline_probability=p, invitation_days=4)), 1)
    reviews = len(rec.reviews.row)
    assert reviews > 500
    per_review = rec.invitations.sum() / reviews
    # Geometric number of invitations: mean 1/(1-p), variance p/(1-p)^2 per review.
    se = np.sqrt(p / (1 - p) ** 2 / reviews)
    assert per_review == pytest.approx(1 / (1 - p), abs=5 * se)
    assert rec.declines.sum() == rec.invitations.sum() - reviews
    # Each decline costs invitation_days before the review starts: mean 4 p/(1-p) days.
    cleared = rec.days["cleared"][rec.reviews.row]
    delay = rec.reviews.start - cleared
    assert delay.mean() == pytest.approx(4 * p / (1 - p), abs=5 * 4 * se)
    k = delay / 4  # whole numbers of invitation delays
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)


def test_without_declines_every_invitation_is_accepted():
    rec = run_world(build_scenario(many_raw()), 1)
    assert rec.declines.sum() == 0 and rec.invitations.sum() == len(rec.reviews.row)


def test_the_panel_goes_ahead_at_the_deadline_with_the_reviews_in_hand():
    raw = many_raw(duration={"dist": "exponential", "mean": 40}, deadline_days=30)
    rec = run_world(build_scenario(raw), 2)
    rv = rec.reviews
    cleared = rec.days["cleared"]
    reviewed = rec.days["reviewed"]
    took = reviewed - cleared
    ok = ~np.isnan(took)
    # All three in before the deadline, or exactly the deadline (with at least one in hand),
    # or later only when none was in by then (the first one decides).
    end = rv.end - cleared[rv.row]
    for i in np.flatnonzero(ok):
        mine = end[rv.row == i]
        if np.all(mine <= 30):
            assert took[i] == pytest.approx(mine.max())
        elif np.any(mine <= 30):
            assert took[i] == pytest.approx(30)
            counted = rv.score[(rv.row == i)][mine <= 30]
            assert rec.review_score[i] == pytest.approx(counted.mean())
        else:
            assert took[i] == pytest.approx(np.nanmin(mine))
    late = rec.late_reviews.sum()
    assert late > 50  # reviews finished after the panel went ahead
    assert late == sum(int(np.sum(end[rv.row == i] > took[i] + 1e-9)) for i in np.flatnonzero(ok))


def test_review_metrics_in_the_summary():
    res = samplesim.simulate(build_scenario(many_raw(decline_probability=0.3)), seed=3)
    s = res.summary.set_index("country")
    assert s.loc["ALL", "review_invitations"] >= s.loc["ALL", "review_declines"] > 0
    rate = s.loc["ALL", "review_declines"] / s.loc["ALL", "review_invitations"]
    assert s.loc["ALL", "decline_rate"] == pytest.approx(rate)
    assert s.loc["ALL", "max_reviewer_load"] >= 1


@pytest.mark.parametrize(
    ("key", "value"),
    [("decline_probability", 0.95), ("invitation_days", -1), ("deadline_days", 0)],
)
def test_bad_invitation_keys_are_refused(key, value):
    with pytest.raises(ScenarioError, match=rf"review\.{key}"):
        build_scenario(many_raw(**{key: value}), source="x.toml")
