"""Reviewers who differ: leniency, precision and expertise change exactly the reviews of the
reviewer who has them; the defaults reproduce the alike-reviewers model draw for draw."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from helpers import minimal_raw
from samplesim.model import run_world
from samplesim.model.reviewer_traits import ReviewerTraits, draw_traits
from samplesim.model.world import World
from samplesim.rng import Streams
from samplesim.scenario import build_scenario
from samplesim.scenario.schema import Review


def busy_raw() -> dict[str, Any]:
    raw = minimal_raw()
    raw["horizon_days"] = 2000.0
    raw["rules"] = []
    raw["institutions"] = [
        {"name": "Alpha", "country": "AA", "propensity": 12.0},
        {"name": "Beta", "country": "BB", "propensity": 8.0},
    ]
    raw["review"] = {"reviewers": 6, "load": 2, "reviews_per_proposal": 3, "reliability": 0.3}
    return raw


def alike(w: World, leniency: dict[int, float] | None = None) -> ReviewerTraits:
    """Traits under which reviewer ``r`` adds ``leniency[r]`` and is otherwise average."""
    n = len(w.pool.country_of)
    len_ = [0.0] * n
    for r, b in (leniency or {}).items():
        len_[r] = b
    rho = w.sc.review.reliability
    return ReviewerTraits(len_, [1.0] * n, np.ones((n, 2), dtype=bool), rho, rho)


def run_with(sc, seed: int, traits_of) -> Any:
    w = World(sc, seed)
    w.traits = traits_of(w)
    return w.run()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_lenient_reviewer_raises_exactly_the_proposals_they_reviewed(seed):
    sc = build_scenario(busy_raw())
    base = run_world(sc, seed)
    same = run_with(sc, seed, alike)
    # The per-review path with average reviewers reproduces the up-front draw exactly.
    np.testing.assert_array_equal(same.review_score, base.review_score)
    np.testing.assert_array_equal(same.reviews.score, base.reviews.score)
    lenient = run_with(sc, seed, lambda w: alike(w, {2: 0.9}))
    np.testing.assert_array_equal(lenient.reviews.reviewer, base.reviews.reviewer)
    k = sc.review.reviews_per_proposal
    by_2 = np.zeros(base.n)
    done = ~np.isnan(base.reviews.end)
    np.add.at(by_2, base.reviews.row[done], base.reviews.reviewer[done] == 2)
    reviewed = ~np.isnan(base.review_score)
    assert (by_2[reviewed] > 0).any() and (by_2[reviewed] == 0).any()
    diff = lenient.review_score[reviewed] - base.review_score[reviewed]
    np.testing.assert_allclose(diff, 0.9 * by_2[reviewed] / k, atol=1e-12)
    # Each of reviewer 2's reviews is 0.9 higher; everybody else's are unchanged.
    rdiff = lenient.reviews.score[done] - base.reviews.score[done]
    mine = base.reviews.reviewer[done] == 2
    np.testing.assert_allclose(rdiff[mine], 0.9, atol=1e-12)
    assert np.all(rdiff[~mine] == 0)


def test_score_uses_the_reliability_of_the_match():
    t = ReviewerTraits([0.5, -0.5], [1.0, 2.0], np.array([[True, False], [False, True]]), 0.4, 0.1)
    assert t.score(0, 0, 1.0, 0.3) == pytest.approx(0.5 + math.sqrt(0.4) + math.sqrt(0.6) * 0.3)
    assert t.score(0, 1, 1.0, 0.3) == pytest.approx(0.5 + math.sqrt(0.1) + math.sqrt(0.9) * 0.3)
    assert t.score(1, 1, 1.0, 0.3) == pytest.approx(-0.5 + math.sqrt(0.4) + math.sqrt(0.6) * 0.6)


def test_defaults_need_no_traits_and_traits_are_keyed_by_reviewer():
    assert draw_traits(Review(), 9, 3, Streams(1)) is None
    rv = Review(leniency_sd=0.5, precision_sd=0.3, expertise=0.5, reliability_outside_expertise=0.1)
    few = draw_traits(rv, 4, 3, Streams(1, 2))
    many = draw_traits(Review(reviewers=12, leniency_sd=0.5, precision_sd=0.3, expertise=0.5,
                              reliability_outside_expertise=0.1), 12, 3, Streams(1, 2))  # fmt: skip
    assert few is not None and many is not None
    assert few.leniency == many.leniency[:4] and few.scale == many.scale[:4]
    np.testing.assert_array_equal(few.expert, many.expert[:4])
    other = draw_traits(rv, 4, 3, Streams(1, 3))
    assert other is not None and other.leniency != few.leniency


def test_traits_follow_their_distributions():
    rv = Review(leniency_sd=0.5, precision_sd=0.3, expertise=0.25)
    t = draw_traits(rv, 4000, 2, Streams(7))
    assert t is not None
    assert np.std(t.leniency) == pytest.approx(0.5, rel=0.05)
    assert np.std(np.log(t.scale)) == pytest.approx(0.3, rel=0.05)
    assert t.expert.mean() == pytest.approx(0.25, abs=0.02)


def test_inexpert_reviewers_agree_less_with_merit():
    raw = busy_raw()
    raw["review"].update(reviewers=30, load=5, expertise=1.0)
    expert = run_world(build_scenario(raw), 3)
    raw["review"].update(expertise=0.0, reliability_outside_expertise=0.02)
    novice = run_world(build_scenario(raw), 3)

    def corr(rec) -> float:
        ok = ~np.isnan(rec.review_score)
        return float(np.corrcoef(rec.review_score[ok], rec.merit[ok])[0, 1])

    # rho = 0.3 with 3 reviews: corr ~0.75; rho = 0.02: ~0.24 (same merit, same noise draws).
    assert corr(expert) > corr(novice) + 0.3
