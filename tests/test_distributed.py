"""Distributed peer review: applicants review each other's proposals, m each at most, never
their own institution's (nor their country's under conflict of interest)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import SCENARIOS, minimal_raw
from samplesim.model import run_world
from samplesim.scenario import ScenarioError, build_scenario


def dpr_raw(**review: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 3000.0
    raw["institutions"] = [
        {"name": "Alpha", "country": "FR", "propensity": 12.0},
        {"name": "Beta", "country": "FR", "propensity": 8.0},
        {"name": "Gamma", "country": "DE", "propensity": 10.0},
        {"name": "Delta", "country": "JP", "propensity": 10.0},
    ]
    raw["review"] = {"source": "distributed", "reviews_per_proposal": 2,
                     "reviews_per_applicant": 3, **review}  # fmt: skip
    return raw


@pytest.mark.parametrize("coi", [True, False])
def test_applicants_review_others_m_each_without_conflicts(coi):
    for seed in range(3):
        rec = run_world(build_scenario(dpr_raw(conflict_of_interest=coi)), seed)
        rv = rec.reviews
        assert len(rv.row) > 20
        assert len(rec.reviews.reviewer_country) == rec.n  # one reviewer per proposal's PI
        assert np.all(rv.reviewer != rv.row)  # never their own
        assert np.all(rec.applicant[rv.reviewer] != rec.applicant[rv.row])  # nor their institution
        if coi:
            assert np.all(rec.country[rv.reviewer] != rec.country[rv.row])
        assert np.bincount(rv.reviewer).max() <= 3  # m reviews each, in all
        reviewed = ~np.isnan(rec.days["reviewed"])
        assert reviewed[~np.isnan(rec.days["cleared"])].all()  # enough reviewers for everyone


def test_distributed_reliability_is_their_own():
    def corr(rho: float) -> float:
        rec = run_world(build_scenario(dpr_raw(distributed_reliability=rho)), 4)
        ok = ~np.isnan(rec.review_score)
        return float(np.corrcoef(rec.review_score[ok], rec.merit[ok])[0, 1])

    assert corr(0.9) > corr(0.02) + 0.4


def test_distributed_variant_of_the_peer_review_scenario():
    sc = samplesim.load_scenario(SCENARIOS / "change5-peer-review.toml", variant="distributed")
    res = samplesim.simulate(sc, seed=1)
    assert res.summary.set_index("country").loc["ALL", "reviewed"] > 0
    ids = set(res.proposals["proposal_id"])
    assert res.reviews["reviewer_id"].max() < len(ids)


def test_distributed_keys_are_validated():
    with pytest.raises(ScenarioError, match=r"review\.reviews_per_applicant"):
        build_scenario(dpr_raw(reviews_per_applicant=0), source="x.toml")
    with pytest.raises(ScenarioError, match=r"review\.source"):
        build_scenario(dpr_raw(source="crowd"), source="x.toml")
