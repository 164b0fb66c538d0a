"""Two-panel experiments: redrawing a stage leaves everything upstream identical and changes
the redrawn stage; agreement metrics on known cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import FLAGSHIP, minimal_raw, write_scenario
from samplesim import cli
from samplesim.agreement import panel_agreement, two_panels
from samplesim.errors import UserError
from samplesim.scenario import build_scenario

UPSTREAM = [
    "proposal_id", "call", "institution", "country", "kind", "funders", "team_countries",
    "submitted_day", "screened_day", "cleared_day", "destructive", "merit", "grams_requested",
]  # fmt: skip


def _upstream(res: samplesim.SimulationResult) -> pd.DataFrame:
    p = res.proposals
    return p[UPSTREAM + [c for c in p.columns if c.startswith("requested_g:")]]


@pytest.mark.parametrize("seed", [0, 3])
def test_redrawn_review_keeps_everything_upstream_and_changes_the_reviews(seed):
    sc = samplesim.load_scenario(FLAGSHIP)
    a = samplesim.simulate(sc, seed=seed)
    b = samplesim.simulate(sc, seed=seed, redraw="review")
    pd.testing.assert_frame_equal(_upstream(a), _upstream(b))
    # The reviews differ: other scores (and other durations, so other days).
    ok = a.proposals["review_score"].notna() & b.proposals["review_score"].notna()
    assert ok.sum() > 10
    assert (a.proposals.loc[ok, "review_score"] != b.proposals.loc[ok, "review_score"]).all()
    # The same replication redrawn twice is the same second panel.
    c = samplesim.simulate(sc, seed=seed, redraw="review")
    pd.testing.assert_frame_equal(b.proposals, c.proposals)


def test_redrawn_panel_keeps_the_reviews_and_changes_the_final_scores():
    sc = samplesim.load_scenario(FLAGSHIP)
    a = samplesim.simulate(sc, seed=1)
    b = samplesim.simulate(sc, seed=1, redraw="panel")
    cols = [*UPSTREAM, "review_score", "reviewed_day", "shortlisted_day"]
    pd.testing.assert_frame_equal(a.proposals[cols], b.proposals[cols])
    pd.testing.assert_frame_equal(a.reviews, b.reviews)
    ok = a.proposals["panel_day"].notna()
    assert ok.any()
    assert (a.proposals.loc[ok, "final_score"] != b.proposals.loc[ok, "final_score"]).all()


def test_redraw_refuses_unknown_stages():
    with pytest.raises(UserError, match="not one of review, panel"):
        samplesim.simulate(samplesim.load_scenario(FLAGSHIP), seed=1, redraw="arrivals")


def test_agreement_of_a_panel_with_itself_is_perfect():
    res = samplesim.simulate(samplesim.load_scenario(FLAGSHIP), seed=2)
    got = panel_agreement(res, res)
    assert got["top_quartile_overlap"] == 1.0 and got["accepts_rejected_by_other"] == 0.0
    assert got["score_correlation"] == pytest.approx(1.0)


def test_single_referee_top_quartile_agreement_is_about_a_third():
    """Patat (2018): two single referees agree on ~1/3 of the top quartile at rho ~ 0.2."""
    raw = minimal_raw()
    raw["rules"] = []
    raw["horizon_days"] = 3000.0
    raw["institutions"] = [{"name": "Uni", "country": "FR", "propensity": 400.0}]
    raw["review"] = {"reviewers": 50, "load": 20, "reviews_per_proposal": 1, "reliability": 0.2}
    df = two_panels(build_scenario(raw), "review", replications=6, seed=1)
    assert (df["scored"] > 300).all()
    # Bivariate normal with correlation 0.2: P(both in the top quartile) / 0.25 = 0.34.
    assert df["top_quartile_overlap"].mean() == pytest.approx(0.34, abs=0.05)
    assert df["score_correlation"].mean() == pytest.approx(0.2, abs=0.05)


def test_two_panels_command(tmp_path, capsys):
    path = write_scenario(tmp_path / "s.toml", minimal_raw())
    out = tmp_path / "agree"
    code = cli.main(["panels", str(path), "--replications", "3", "--out", str(out)])
    assert code == 0
    df = pd.read_csv(out / "agreement.csv")
    assert list(df["replication"]) == [0, 1, 2] and "top_quartile_overlap" in df
    assert "top_quartile_overlap" in capsys.readouterr().out
    assert cli.main(["panels", str(path), "--redraw", "arrivals"]) == 2
    assert not np.isnan(df["scored"]).any()
