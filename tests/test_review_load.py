"""Reviewer load limits per round (``review.max_reviews_per_round``): no reviewer exceeds the
limit in a round, a review nobody may take is unassigned and counted, no proposal is stranded,
and the limit resets at the next round (decision meeting of a rolling call)."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import minimal_raw
from samplesim.model import run_world
from samplesim.model.decisions import NO_REVIEW
from samplesim.scenario import ScenarioError, build_scenario
from samplesim.stages import TERMINAL_STATES


def _raw(limit: int | None, propensity: float = 30.0, **review: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 3000.0
    raw["institutions"] = [{"name": "Uni", "country": "FR", "propensity": propensity}]
    raw["review"] = {"reviewers": 4, "reviews_per_proposal": 2, "duration": 10, **review}
    if limit is not None:
        raw["review"]["max_reviews_per_round"] = limit
    return raw


def _reviewed(rec: samplesim.model.RunRecord) -> np.ndarray:
    return ~np.isnan(rec.days["cleared"])


@pytest.mark.parametrize(("limit", "load"), [(1, 1), (2, 1), (3, 2)])
def test_short_capacity_every_proposal_ends_once_and_unassigned_is_the_shortfall(limit, load):
    rec = run_world(build_scenario(_raw(limit, load=load)), 1)
    n_reviewed = int(_reviewed(rec).sum())
    k, reviewers = 2, 4
    assert n_reviewed * k > reviewers * limit  # capacity is short: the case is not vacuous
    assert len(rec.reviews.row) == reviewers * limit  # every reviewer used up to the limit
    assert int(rec.unassigned_reviews.sum()) == n_reviewed * k - reviewers * limit
    per_reviewer = Counter(rec.reviews.reviewer.tolist())
    assert max(per_reviewer.values()) <= limit
    # Exactly one terminal state each; the reviewer-less ones end not shortlisted, saying why.
    assert all(s in TERMINAL_STATES for s in rec.state)
    assert len(rec.events.row) > 0
    terminal = Counter(r for r, kind in zip(rec.events.row, rec.events.kind, strict=True)
                       if kind == "terminal")  # fmt: skip
    assert sorted(terminal) == list(range(rec.n)) and set(terminal.values()) == {1}
    got = Counter(rec.reviews.row.tolist())
    for i in np.flatnonzero(_reviewed(rec)):
        assert got.get(i, 0) + rec.unassigned_reviews[i] == k
        if got.get(i, 0) == 0:
            assert rec.state[i] == "not_shortlisted" and rec.reason[i] == NO_REVIEW
            assert np.isnan(rec.review_score[i])
        else:
            assert not np.isnan(rec.review_score[i])


def test_enough_capacity_leaves_nothing_unassigned_and_respects_the_limit():
    rec = run_world(build_scenario(_raw(3, propensity=4.0, reviewers=12, load=2)), 2)
    per_reviewer = Counter(rec.reviews.reviewer.tolist())
    assert len(rec.reviews.row) > 6 and max(per_reviewer.values()) <= 3
    assert rec.unassigned_reviews.sum() == 0


def test_the_limit_resets_at_each_meeting_of_a_rolling_call():
    meetings = [100.0, 200.0, 300.0, 400.0, 500.0]
    raw = _raw(1, propensity=25.0)
    raw["calls"][0].update(close_day=480, decision={"mode": "rolling", "meeting_days": meetings})
    rec = run_world(build_scenario(raw), 3)
    rv = rec.reviews
    cleared = rec.days["cleared"][rv.row]
    rounds = [bisect_right(meetings, c) for c in cleared]
    per_round = Counter(zip(rounds, rv.reviewer.tolist(), strict=True))
    assert max(per_round.values()) == 1  # never two reviews by one reviewer in a round
    assert len(set(rounds)) >= 3  # the limit came back: reviews in several rounds
    assert max(Counter(rv.reviewer.tolist()).values()) > 1  # more than 1 review each in all
    assert rec.unassigned_reviews.sum() > 0  # and some rounds were short


def test_busy_reviewers_under_the_limit_are_waited_for_not_skipped():
    # load 1, 4 reviewers, limit 2: the 3rd and 4th proposals wait for busy reviewers.
    rec = run_world(build_scenario(_raw(2, propensity=2.0)), 1)
    n_reviewed = int(_reviewed(rec).sum())
    assert 2 < n_reviewed <= 4  # at most the capacity: no shortfall
    assert rec.unassigned_reviews.sum() == 0 and len(rec.reviews.row) == 2 * n_reviewed
    assert rec.reviews.start.max() > rec.reviews.start.min()  # someone waited


def test_declines_give_the_review_back_to_the_count():
    raw = _raw(2, propensity=30.0, decline_probability=0.5, invitation_days=3)
    rec = run_world(build_scenario(raw), 4)
    assert rec.declines.sum() > 0
    # Declined invitations do not use up the limit: the 8 review slots are all taken.
    assert len(rec.reviews.row) == 8
    assert max(Counter(rec.reviews.reviewer.tolist()).values()) <= 2


def test_unset_limit_matches_a_limit_nobody_reaches():
    a = samplesim.simulate(build_scenario(_raw(None, propensity=5.0)), seed=5)
    b = samplesim.simulate(build_scenario(_raw(10_000, propensity=5.0)), seed=5)
    assert a.proposals.equals(b.proposals)
    assert a.summary.drop(columns="unassigned_reviews", errors="ignore").equals(
        b.summary.drop(columns="unassigned_reviews", errors="ignore")
    )


@pytest.mark.parametrize("bad", [0, -2])
def test_a_non_positive_limit_names_the_key(bad):
    with pytest.raises(ScenarioError, match=r"review\.max_reviews_per_round"):
        build_scenario(_raw(bad))
