"""Replications, comparisons (common random numbers) and sweeps, through the API and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import samplesim
from samplesim.cli import main
from samplesim.errors import UserError
from samplesim.experiment import METRICS, run_summary
from samplesim.model import run_world
from samplesim.outcomes import build_result
from samplesim.sensitivity import SENSITIVITY_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "change5-2023.toml"
SMALL = ROOT / "scenarios" / "small-known.toml"


@pytest.mark.parametrize(
    ("path", "variant"),
    [
        (FLAGSHIP, "baseline"),
        (FLAGSHIP, "country-quota"),
        (FLAGSHIP, "wolf-lifted"),
        (SMALL, "lottery"),
    ],
)
def test_lean_summary_equals_outcome_summary(path, variant):
    sc = samplesim.load_scenario(path, variant=variant)
    for r in range(6):
        rec = run_world(sc, 2, r)
        labels, vals = run_summary(rec)
        ref = build_result(rec).summary
        assert labels == ref["country"].tolist()
        for m in METRICS:
            np.testing.assert_allclose(vals[m], ref[m].to_numpy(float), rtol=1e-12, equal_nan=True)


def test_replicate_tables_follow_the_contract():
    res = samplesim.replicate(SMALL, replications=8, seed=3)
    runs = res.runs
    assert list(runs.columns) == [
        "point",
        "variant",
        "replication",
        "seed",
        "country",
        "metric",
        "value",
    ]
    assert set(runs["replication"]) == set(range(8))
    assert set(runs["metric"]) == set(METRICS)
    assert runs.equals(
        runs.sort_values(["point", "variant", "replication", "country", "metric"]).reset_index(
            drop=True
        )
    )
    s = res.summary
    assert list(s.columns) == [
        "variant",
        "country",
        "metric",
        "n",
        "mean",
        "std",
        "ci_low",
        "ci_high",
        "half_width",
        "interval",
    ]
    # replication r of the experiment is simulate(seed, r)
    one = samplesim.simulate(samplesim.load_scenario(SMALL), seed=3, replication=5).summary
    r5 = runs[runs.replication == 5].set_index(["country", "metric"])["value"]
    assert r5[("ALL", "approved")] == one.set_index("country").loc["ALL", "approved"]


def test_precision_stops_when_the_half_width_is_reached():
    res = samplesim.replicate(
        SMALL, replications=10, precision="submitted=0.6", max_replications=400
    )
    p = res.precision
    assert p["reached"] and p["half_width"] < 0.6 and 10 < p["n"] <= 400
    assert res.runs["replication"].nunique() == p["n"]
    capped = samplesim.replicate(
        SMALL, replications=10, precision="submitted=0.01", max_replications=30
    )
    assert not capped.precision["reached"] and capped.precision["n"] == 30


@pytest.mark.parametrize("variant", ["lottery", "country-quota"])
def test_common_random_numbers_hold_for_allocation_variants(variant):
    base = samplesim.load_scenario(FLAGSHIP)
    var = samplesim.load_scenario(FLAGSHIP, variant=variant)
    cols = ["proposal_id", "country", "submitted_day", "merit", "review_score"]
    for r in range(5):
        a = samplesim.simulate(base, seed=1, replication=r).proposals[cols]
        b = samplesim.simulate(var, seed=1, replication=r).proposals[cols]
        pd.testing.assert_frame_equal(a, b)


def test_paired_interval_is_narrower_than_unpaired():
    res = samplesim.compare(FLAGSHIP, variants=["country-quota", "lottery"], replications=30)
    c = res.comparison.set_index(["variant", "country", "metric"])
    for v in ("country-quota", "lottery"):
        row = c.loc[(v, "ALL", "grams_granted")]
        assert row["n"] == 30
        assert row["ci_high"] - row["ci_low"] < row["unpaired_ci_high"] - row["unpaired_ci_low"]
        # submissions do not depend on allocation: identical in every pair
        sub = c.loc[(v, "ALL", "submitted")]
        assert sub["diff_mean"] == 0 and sub["ci_low"] == 0 == sub["ci_high"]
    assert set(res.comparison.columns) >= {
        "baseline",
        "baseline_mean",
        "variant_mean",
        "unpaired_ci_low",
    }


def test_compare_writes_tables_and_plot(tmp_path):
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                str(SMALL),
                "--variants",
                "lottery",
                "--replications",
                "6",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    for f in ("comparison.csv", "replications.csv", "runs.parquet", "manifest.json"):
        assert (out / f).exists()
    from samplesim import plots

    assert (out / "plots" / "comparison.png").exists() == hasattr(plots, "comparison_forest")
    df = samplesim.load_results(out)
    assert set(df["variant"]) == {"baseline", "lottery"}


def test_sweep_grid_rounds_integer_parameters():
    res = samplesim.sweep(
        SMALL,
        params={"review.reviewers": (2, 7), "rules.beta-licence.success_probability": (0.1, 0.9)},
        design="grid",
        levels=4,
        replications=2,
    )
    pts = res.points
    assert pts["review.reviewers"].dtype == np.int64
    assert sorted(set(pts["review.reviewers"])) == [2, 4, 5, 7]
    assert len(pts) == 16 and res.runs["point"].nunique() == 16
    assert res.sensitivity is None
    # common random numbers across points: submissions identical at every point
    sub = res.runs[(res.runs.metric == "submitted") & (res.runs.country == "ALL")]
    assert sub.groupby("replication")["value"].nunique().max() == 1


def test_sweep_sobol_gives_indices(tmp_path):
    res = samplesim.sweep(
        SMALL,
        params=["rules.beta-licence.success_probability=0:1", "review.reviewers=2:8"],
        samples=16,
        design="sobol",
        replications=10,
        outcomes="delivered@BB,grams_granted",
        out=tmp_path / "s",
    )
    assert len(res.points) == 16 * 4
    s = res.sensitivity
    assert list(s.columns) == SENSITIVITY_COLUMNS
    assert set(s["outcome"]) == {"delivered@BB", "grams_granted"}
    assert set(s["parameter"]) >= {"(dummy)"}
    st = s.set_index(["outcome", "parameter"])
    # Only BB proposals meet the licence rule (agreement gate): it drives BB deliveries.
    assert st.loc[("delivered@BB", "rules.beta-licence.success_probability"), "ST"] > 0.5
    assert st.loc[("delivered@BB", "rules.beta-licence.success_probability"), "distinguishable"]
    assert not st.loc[("delivered@BB", "review.reviewers"), "distinguishable"]
    assert (tmp_path / "s" / "sensitivity.csv").exists() and (
        tmp_path / "s" / "points.csv"
    ).exists()
    with pytest.raises(UserError, match="power of two"):
        samplesim.sweep(SMALL, params={"review.reviewers": (2, 8)}, samples=10, design="sobol")


def test_failed_runs_are_recorded_and_the_rest_carry_on(tmp_path, monkeypatch):
    import samplesim.worker as worker

    real = worker.run_world

    def flaky(sc, seed, replication):
        if replication == 3:
            raise RuntimeError("boom")
        return real(sc, seed, replication)

    monkeypatch.setattr(worker, "run_world", flaky)
    res = samplesim.replicate(SMALL, replications=6, out=tmp_path / "r", batch_size=2)
    assert sorted(res.runs["replication"].unique()) == [0, 1, 2, 4, 5]
    err = pd.read_csv(tmp_path / "r" / "errors.csv")
    assert err["replication"].tolist() == [3] and "boom" in err["error"][0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", str(SMALL), "--replications", "0"], "--replications"),
        (["compare", str(SMALL), "--variants", "nope"], "nope"),
        (["run", str(SMALL), "--replications", "3", "--variant", "nope"], "nope"),
        (["sweep", str(SMALL), "--param", "review.nope=1:3", "--samples", "4"], "review.nope"),
        (
            ["sweep", str(SMALL), "--param", "review.reviewers=0:3", "--samples", "4"],
            "review.reviewers",
        ),
        (["sweep", str(SMALL), "--param", "review.reviewers", "--samples", "4"], "PATH=LOW:HIGH"),
        (["sweep", str(SMALL), "--param", "rules.nope.delay=1:2", "--samples", "4"], "nope"),
        (["run", str(SMALL), "--precision", "approved=x"], "--precision"),
        (["run", str(SMALL), "--precision", "nope=1"], "nope"),
    ],
)
def test_bad_input_exits_2(argv, needle, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_run_with_replications_cli(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["run", str(SMALL), "--replications", "5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "runs/s" in text and "approved" in text
    rep = pd.read_csv(out / "replications.csv", keep_default_na=False, na_values=[""])
    assert (rep["n"] <= 5).all() and {"ALL", "AA", "BB"} <= set(rep["country"])
    # a single run with an explicit seed is exactly replication 0 of that seed
    one_argv = ["run", str(SMALL), "--seed", "1", "--out", str(tmp_path / "one")]
    assert main([*one_argv, "--no-plots", "--quiet"]) == 0
    assert (tmp_path / "one" / "summary.csv").exists()
    one = samplesim.load_results(tmp_path / "one")
    assert set(one["metric"]) == set(METRICS) and one["replication"].eq(0).all()
