"""Peer review: a proposal's reviews go to distinct, non-conflicted reviewers; the reviews
table records each of them; validation refuses pools too small for that."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import FLAGSHIP, minimal_raw, write_scenario
from samplesim import cli
from samplesim.model import run_world
from samplesim.model.reviewers import ReviewerPool
from samplesim.scenario import Scenario, ScenarioError, build_scenario


def tight_raw(horizon: float = 3000.0) -> dict[str, Any]:
    """Few reviewers with several slots each and a conflicted country: AA's proposals have
    exactly 3 eligible reviewers (the unlisted ones) for their 3 reviews."""
    raw = minimal_raw()
    raw["horizon_days"] = horizon
    raw["institutions"] = [
        {"name": "Alpha", "country": "AA", "propensity": 6.0},
        {"name": "Beta", "country": "BB", "propensity": 4.0},
    ]
    raw["rules"] = []
    raw["review"] = {
        "reviewers": 4,
        "load": 3,
        "reviews_per_proposal": 3,
        "duration": {"dist": "exponential", "mean": 20},
        "reviewer_countries": {"AA": 1},
        "conflict_of_interest": True,
    }
    return raw


def assignments(sc: Scenario, seed: int) -> tuple[dict[int, list[int]], list[str]]:
    """Run ``sc`` and return the reviewers each proposal index was granted (in the order the
    run record logged the grants) and the proposals' lead countries."""
    got: dict[int, list[int]] = defaultdict(list)
    rec = run_world(sc, seed)
    for i, rid in zip(rec.reviews.row.tolist(), rec.reviews.reviewer.tolist(), strict=True):
        got[i].append(rid)
    return got, rec.country.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_flagship_reviews_go_to_distinct_reviewers(seed):
    got, _ = assignments(samplesim.load_scenario(FLAGSHIP), seed)
    assert got  # proposals were reviewed
    for i, rids in got.items():
        assert len(rids) == len(set(rids)), (i, rids)


@pytest.mark.parametrize("seed", range(3))
def test_tight_pool_with_conflicts_uses_distinct_eligible_reviewers(seed):
    sc = build_scenario(tight_raw())
    got, country = assignments(sc, seed)
    aa = [i for i in got if country[i] == "AA"]
    assert aa  # the conflicted country's proposals were reviewed
    for i, rids in got.items():
        assert len(rids) == len(set(rids)), (i, rids)
        if country[i] == "AA":
            assert 0 not in rids  # reviewer 0 is from AA
    # No deadlock: with a long horizon every proposal that reached review finished it.
    p = samplesim.simulate(sc, seed=seed).proposals
    assert p.loc[p["cleared_day"].notna(), "reviewed_day"].notna().all()


def test_pool_release_skips_waiters_the_reviewer_cannot_serve():
    pool = ReviewerPool(["AA", "", "", ""], load=1, coi=True)
    got: list[tuple[str, int]] = []
    q_used: list[int] = []
    for _ in range(2):  # proposal Q (from BB) takes reviewers 0 and 1
        pool.request("BB", q_used, lambda rid: got.append(("Q", rid)))
    p_used: list[int] = []
    for _ in range(3):  # proposal P (from AA) takes 2 and 3; its third review waits
        pool.request("AA", p_used, lambda rid: got.append(("P", rid)))
    pool.request("BB", [], lambda rid: got.append(("R", rid)))  # R waits behind P
    assert (q_used, p_used, len(pool.waiting)) == ([0, 1], [2, 3], 2)
    pool.release(0)  # from AA: conflicted with P, so it serves R
    assert got[-1] == ("R", 0) and len(pool.waiting) == 1
    pool.release(2)  # has reviewed P: nobody it may serve waits, the slot goes back
    assert len(pool.waiting) == 1 and list(pool.groups[""]) == [2]
    pool.release(1)  # eligible for P and new to it
    assert got[-1] == ("P", 1) and p_used == [2, 3, 1] and not pool.waiting


def test_reviews_table_matches_the_proposals():
    sc = samplesim.load_scenario(FLAGSHIP)
    k = sc.review.reviews_per_proposal
    for seed in range(4):
        res = samplesim.simulate(sc, seed=seed)
        rv, props = res.reviews, res.proposals.set_index("proposal_id")
        assert list(rv.columns) == list(samplesim.REVIEW_COLUMNS)
        assert not rv.duplicated(["proposal_id", "review"]).any()
        assert not rv.duplicated(["proposal_id", "reviewer_id"]).any()
        assert set(rv["reviewer_country"]) <= {"CN"}
        assert rv["review"].between(1, k).all()
        assert (rv["end_day"] >= rv["start_day"]).all()
        g = rv.groupby("proposal_id")
        reviewed = props[props["reviewed_day"].notna()]
        assert set(g.groups) == set(props.index[props["review_start_day"].notna()])
        assert (g.size().loc[reviewed.index] == k).all()
        np.testing.assert_allclose(g["start_day"].min().loc[reviewed.index],
                                   reviewed["review_start_day"])  # fmt: skip
        np.testing.assert_allclose(g["end_day"].max().loc[reviewed.index], reviewed["reviewed_day"])
        np.testing.assert_allclose(g["score"].mean().loc[reviewed.index], reviewed["review_score"])
        wait = g["start_day"].mean().loc[reviewed.index] - reviewed["cleared_day"]
        np.testing.assert_allclose(wait, reviewed["review_wait_days"], atol=1e-9)


def test_reviews_unfinished_at_the_horizon_have_no_end_or_score():
    sc = build_scenario(tight_raw(horizon=100.0))
    res = samplesim.simulate(sc, seed=1)
    rv, props = res.reviews, res.proposals.set_index("proposal_id")
    open_ = rv[rv["end_day"].isna()]
    assert len(open_)  # the short horizon cuts some reviews
    assert open_["score"].isna().all()
    assert props.loc[open_["proposal_id"], "reviewed_day"].isna().all()
    done = rv[rv["end_day"].notna()]
    assert done["score"].notna().all() and (done["end_day"] <= 100.0).all()


def test_too_few_non_conflicted_reviewers_is_refused(tmp_path, capsys):
    raw = minimal_raw()  # US and FR applicants, 4 reviewers, 2 reviews per proposal
    raw["review"]["conflict_of_interest"] = True
    raw["review"]["reviews_per_proposal"] = 3
    raw["review"]["reviewer_countries"] = {"US": 2}  # 2 unlisted: eligible for anyone
    with pytest.raises(ScenarioError) as exc:
        build_scenario(raw, "x.toml")
    problems = [p for p in exc.value.problems if p.path == "review.reviewer_countries"]
    assert len(problems) == 1 and "from US" in problems[0].message
    f = write_scenario(tmp_path / "few.toml", raw)
    assert cli.main(["validate", str(f)]) == 2
    assert "  review.reviewer_countries: " in capsys.readouterr().err
    # Enough distinct reviewers outside each country: accepted.
    raw["review"]["reviewer_countries"] = {"US": 1}
    build_scenario(raw, "x.toml")
    raw["review"]["reviewer_countries"] = {"US": 2}
    raw["review"]["conflict_of_interest"] = False
    build_scenario(raw, "x.toml")


def test_run_writes_reviews_parquet(tmp_path):
    f = write_scenario(tmp_path / "tight.toml", tight_raw())
    out = tmp_path / "o"
    assert cli.main(["run", str(f), "--seed", "2", "--out", str(out), "--no-plots", "--quiet"]) == 0
    got = pd.read_parquet(out / "reviews.parquet")
    want = samplesim.simulate(build_scenario(tight_raw()), seed=2).reviews
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    from samplesim.plots import load_run

    pd.testing.assert_frame_equal(load_run(out).reviews, got)
