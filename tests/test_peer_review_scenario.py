"""The peer-review scenario (reviewers who differ, the lottery family): invariants hold for
every variant, runs are deterministic, and each lottery records its reasons."""

from __future__ import annotations

import pandas as pd
import pytest

import samplesim
from helpers import SCENARIOS
from samplesim.scenario import load_raw
from test_invariants import check_all

PEER = SCENARIOS / "change5-peer-review.toml"
VARIANTS = ["baseline", *sorted(load_raw(PEER)["variants"])]


@pytest.mark.parametrize("variant", VARIANTS)
def test_invariants_on_the_peer_review_scenario(variant):
    sc = samplesim.load_scenario(PEER, variant=variant)
    for seed in range(3):
        check_all(sc, samplesim.simulate(sc, seed=seed))


@pytest.mark.parametrize("variant", ["baseline", "expected-rank"])
def test_peer_review_scenario_is_deterministic(variant):
    sc = samplesim.load_scenario(PEER, variant=variant)
    a, b = samplesim.simulate(sc, seed=5), samplesim.simulate(sc, seed=5)
    pd.testing.assert_frame_equal(a.proposals, b.proposals)
    pd.testing.assert_frame_equal(a.reviews, b.reviews)


@pytest.mark.parametrize(
    ("variant", "word"),
    [("lottery-all", "lottery among all eligible"), ("grey-zone", "grey_zone"),
     ("score-weighted", "score_weighted"), ("expected-rank", "expected_rank")],
)  # fmt: skip
def test_every_decided_candidate_says_why_it_was_drawn(variant, word):
    res = samplesim.simulate(samplesim.load_scenario(PEER, variant=variant), seed=2)
    ev = res.events
    approved = ev[(ev["kind"] == "decision") & (ev["name"] == "approved")]
    assert len(approved) and approved["detail"].str.startswith(word).all()
    p = res.proposals
    declined = p[p["state"] == "declined"]
    assert len(declined) and declined["reason"].str.startswith(word).all()


def test_same_arrivals_and_merit_across_lottery_variants():
    lotteries = [v for v in VARIANTS if v != "distributed"]  # same reviews, other policies
    runs = [samplesim.simulate(samplesim.load_scenario(PEER, variant=v), seed=4) for v in lotteries]
    cols = ["proposal_id", "country", "merit", "submitted_day", "review_score"]
    for r in runs[1:]:
        pd.testing.assert_frame_equal(r.proposals[cols], runs[0].proposals[cols])
