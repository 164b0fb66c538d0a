"""The lottery family: each policy's selection probabilities on a small known case, and the
reasons it records for every candidate."""

from __future__ import annotations

import numpy as np
import pytest

from samplesim.policies import POLICIES, Candidate, Drawn, check_grants
from samplesim.scenario.schema import Allocation, Lottery

MIN = {"rock": 0.01}
DRAWS = 2000


def cand(i: int, score: float, se: float = 0.0) -> Candidate:
    return Candidate(i, "A", score, {"rock": 1.0}, MIN, score_se=se)


def win_rates(policy: str, cands, slots: int, **lottery) -> np.ndarray:
    """Share of ``DRAWS`` seeds in which each candidate is granted (``slots`` grams)."""
    settings = Allocation(policy=policy, lottery=Lottery(**lottery))
    wins = np.zeros(len(cands))
    for s in range(DRAWS):
        g = POLICIES[policy](cands, {"rock": float(slots)}, settings, np.random.default_rng(s))
        check_grants(g, cands, {"rock": float(slots)})
        assert isinstance(g, Drawn) and set(g.reasons) == {c.index for c in cands}
        assert len(g) == min(slots, len(cands))
        wins[list(g)] += 1
    return wins / DRAWS


def close(p: np.ndarray, q) -> bool:
    """Within 5 binomial standard errors of ``q`` (0 and 1 exactly)."""
    q = np.asarray(q, dtype=float)
    return bool(np.all(np.abs(p - q) <= 5 * np.sqrt(q * (1 - q) / DRAWS)))


def test_lottery_all_gives_everyone_the_same_chance():
    cands = [cand(i, s) for i, s in enumerate([3.0, 1.0, 0.0, -2.0, -5.0])]
    assert close(win_rates("lottery_all", cands, 2), [0.4] * 5)


def test_lottery_above_bar_keeps_its_draws_and_gains_reasons():
    cands = [cand(i, float(i)) for i in range(6)]
    assert close(win_rates("lottery", cands, 3), [0.5] * 6)
    g = POLICIES["lottery"](cands, {"rock": 3.0}, Allocation(), np.random.default_rng(4))
    assert all(r.startswith("lottery above the bar: drawn") for r in g.reasons.values())


def test_grey_zone_funds_the_top_draws_the_zone_and_leaves_the_rest():
    cands = [cand(i, 10.0 - i) for i in range(7)]  # merit order 0, 1, .., 6
    p = win_rates("grey_zone", cands, 3, top_k=1, grey_zone=4)
    # 0 funded; 2 of the 4 in the zone (1-4) drawn: 1/2 each; 5 and 6 never.
    assert close(p, [1, 0.5, 0.5, 0.5, 0.5, 0, 0])
    g = POLICIES["grey_zone"](
        cands, {"rock": 3.0}, Allocation(lottery=Lottery(top_k=1, grey_zone=4)),
        np.random.default_rng(0),
    )  # fmt: skip
    assert "funded outright" in g.reasons[0]
    assert g.reasons[6] == "grey_zone: below the grey zone, not drawn"
    losers = [i for i in range(1, 5) if i not in g]
    assert all("grey-zone lottery" in g.reasons[i] and "not granted" in g.reasons[i]
               for i in losers)  # fmt: skip


def test_score_weighted_draws_in_proportion_to_the_weights():
    scores = [np.log(3.0), np.log(1.0), np.log(1.0)]  # weights 3 : 1 : 1 at weight = 1
    cands = [cand(i, s) for i, s in enumerate(scores)]
    assert close(win_rates("score_weighted", cands, 1, weight=1.0), [0.6, 0.2, 0.2])
    # Two slots: P(1 in) = 1/5 + 3/5 * 1/2 + 1/5 * 1/4 = 0.55, P(0 in) = 0.9.
    assert close(win_rates("score_weighted", cands, 2, weight=1.0), [0.9, 0.55, 0.55])
    assert close(win_rates("score_weighted", cands, 1, weight=0.0), [1 / 3] * 3)


def test_expected_rank_funds_above_draws_across_and_rejects_below_the_line():
    # A is surely first, B and C are indistinguishable around the line (2 slots), D is last.
    cands = [cand(0, 2.0, 0.1), cand(1, 0.0, 1.0), cand(2, 0.05, 1.0), cand(3, -5.0, 0.1)]
    p = win_rates("expected_rank", cands, 2, interval=0.5)
    assert close(p, [1, 0.5, 0.5, 0])
    g = POLICIES["expected_rank"](cands, {"rock": 2.0}, Allocation(), np.random.default_rng(1))
    assert "above the line" in g.reasons[0] and "below the line" in g.reasons[3]
    assert "random selection" in g.reasons[1] and "random selection" in g.reasons[2]
    assert "funding line 2" in g.reasons[1]


def test_expected_rank_without_uncertainty_is_merit_rank():
    cands = [cand(i, s) for i, s in enumerate([0.3, 2.0, -1.0, 1.0])]
    settings = Allocation()
    for s in range(5):
        g = POLICIES["expected_rank"](cands, {"rock": 2.0}, settings, np.random.default_rng(s))
        assert set(g) == {1, 3}


@pytest.mark.parametrize("interval", [0.5, 0.95])
def test_wider_intervals_put_more_proposals_in_the_draw(interval):
    cands = [cand(i, s, 0.3) for i, s in enumerate([1.5, 1.0, 0.9, 0.0, -1.5])]
    g = POLICIES["expected_rank"](
        cands, {"rock": 2.0}, Allocation(lottery=Lottery(interval=interval)),
        np.random.default_rng(0),
    )  # fmt: skip
    drawn = sum("random selection" in r for r in g.reasons.values())
    assert drawn == {0.5: 2, 0.95: 3}[interval]
