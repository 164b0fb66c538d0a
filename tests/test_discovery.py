"""Scenario discovery with PRIM (``samplesim.discovery``, ``samplesim discover``).

A planted box on synthetic data is found; through the command, on a real sweep of
``small-known``, the runs where Beta University submits nothing (probability exp(-propensity))
are found at low propensity, not in the irrelevant reviewers parameter.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import SMALL
from samplesim.cli import main
from samplesim.discovery import discover, find_box

pytest.importorskip("prim")

PLANTED = [
    {"a": (0.6, 1.0), "b": (0.0, 0.3)},
    {"a": (0.2, 0.6), "c": (0.5, 1.0)},
    {"b": (0.0, 0.45)},
]


@pytest.mark.parametrize("planted", PLANTED, ids=["corner", "inner", "one-sided"])
def test_prim_finds_a_planted_box(planted):
    rng = np.random.default_rng(11)
    x = pd.DataFrame(rng.uniform(0, 1, (1500, 3)), columns=["a", "b", "c"])
    y = np.ones(len(x), dtype=bool)
    for col, (lo, hi) in planted.items():
        y &= ((x[col] >= lo) & (x[col] <= hi)).to_numpy()
    box, traj = find_box(x, y)
    b = box.set_index("parameter")
    for col in "abc":
        lo, hi = planted.get(col, (0.0, 1.0))
        assert b.loc[col, "low"] == pytest.approx(lo, abs=0.06), col
        assert b.loc[col, "high"] == pytest.approx(hi, abs=0.06), col
        assert bool(b.loc[col, "restricted"]) == (col in planted), col
    best = traj[traj["chosen"]].iloc[0]
    assert best["coverage"] >= 0.85 and best["density"] >= 0.85
    assert traj["chosen"].sum() == 1
    # Coverage and density are what they say, recomputed from the data.
    inside = np.ones(len(x), dtype=bool)
    for col in "abc":
        inside &= ((x[col] >= b.loc[col, "low"]) & (x[col] <= b.loc[col, "high"])).to_numpy()
    assert best["coverage"] == pytest.approx((inside & y).sum() / y.sum())
    assert best["density"] == pytest.approx((inside & y).sum() / inside.sum())


def test_min_density_trades_coverage_for_density():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.uniform(0, 1, (1500, 2)), columns=["a", "b"])
    # Noisy outcome: probability 0.9 inside a < 0.3, 0.1 elsewhere.
    y = rng.uniform(size=len(x)) < np.where(x["a"] < 0.3, 0.9, 0.1)
    loose = find_box(x, y, min_density=0.5)[1].query("chosen").iloc[0]
    strict = find_box(x, y, min_density=0.85)[1].query("chosen").iloc[0]
    assert loose["density"] >= 0.5 and strict["density"] >= 0.85
    assert loose["coverage"] >= strict["coverage"]


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "sw"
    samplesim.sweep(
        SMALL, {"institutions.Beta University.propensity": (0.05, 6.0),
                "review.reviewers": (3, 12)},
        samples=60, design="lhs", replications=5, executor="serial", out=out,
    )  # fmt: skip
    return out


def test_command_finds_where_beta_submits_nothing(sweep_dir, tmp_path, capsys):
    out = tmp_path / "disc"
    code = main(["discover", str(sweep_dir), "--outcome", "submitted@BB", "--below", "0.5",
                 "--min-density", "0.6", "--out", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        "box.csv", "trajectory.csv", "cases.csv", "discovery.png", "manifest.json",
    }  # fmt: skip
    box = pd.read_csv(out / "box.csv").set_index("parameter")
    prop = box.loc["institutions.Beta University.propensity"]
    # P(no submission) = exp(-propensity): the box is the low-propensity end, where the
    # true probability of the outcome (exp(-propensity) averaged over the box's runs) is
    # well above its average over the whole sweep. (Replications share random streams
    # across points, so the sample density may stray from it by more than binomial noise.)
    assert bool(prop["restricted"]) and prop["low"] == prop["range_low"]
    assert prop["high"] < 0.5 * prop["range_high"]
    cases = pd.read_csv(out / "cases.csv")
    col = "institutions.Beta University.propensity"
    inside = cases[cases[col].between(prop["low"], prop["high"])]
    assert np.exp(-inside[col]).mean() > 2 * np.exp(-cases[col]).mean()
    chosen = pd.read_csv(out / "trajectory.csv").query("chosen").iloc[0]
    assert chosen["density"] == pytest.approx(inside["interest"].mean())
    assert chosen["coverage"] == pytest.approx(inside["interest"].sum() / cases["interest"].sum())
    rev = box.loc["review.reviewers"]
    assert rev["high"] - rev["low"] >= 0.5 * (rev["range_high"] - rev["range_low"])
    assert len(cases) == 300 and cases["interest"].sum() == (cases["value"] < 0.5).sum()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "discovery" and manifest["samplesim_manifest"] == 1
    d = discover(sweep_dir, "submitted@BB", below=0.5, min_density=0.6)
    assert manifest["coverage"] == pytest.approx(d.coverage)
    assert "coverage" in capsys.readouterr().out


BAD = [
    ("unknown-metric", ["--outcome", "nonsense", "--below", "1"], "--outcome"),
    ("unknown-country", ["--outcome", "submitted@XX", "--below", "1"], "--outcome"),
    ("both", ["--outcome", "submitted", "--below", "1", "--above", "2"], "--above"),
    ("neither", ["--outcome", "submitted"], "--below"),
    ("no-outcome", ["--below", "1"], "--outcome"),
    (
        "density",
        ["--outcome", "submitted", "--below", "1", "--min-density", "0"],
        "--min-density",
    ),
    ("peel", ["--outcome", "submitted", "--below", "1", "--peel-alpha", "0.9"], "--peel-alpha"),
    ("mass", ["--outcome", "submitted", "--below", "1", "--mass-min", "2"], "--mass-min"),
    ("threshold", ["--outcome", "submitted", "--below", "nan"], "--below"),
    ("none-of-interest", ["--outcome", "submitted", "--below", "-1"], "no case"),
    ("out-is-sweep", ["--outcome", "submitted@BB", "--below", "0.5", "--out", "SWEEP"], "--out"),
    ("below-text", ["--outcome", "submitted", "--below", "few"], "--below"),
]


@pytest.mark.parametrize(("case", "args", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_and_leaves_nothing(
    sweep_dir, tmp_path, monkeypatch, capsys, case, args, words
):
    monkeypatch.chdir(tmp_path)
    args = [str(sweep_dir) if a == "SWEEP" else a for a in args]
    before = sorted(sweep_dir.rglob("*"))
    try:
        code = main(["discover", str(sweep_dir), *args])
    except SystemExit as exc:  # argparse's own checks (required, exclusive, types)
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    assert sorted(sweep_dir.rglob("*")) == before


def test_refuses_a_foreign_out(sweep_dir, tmp_path, capsys):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    args = ["discover", str(sweep_dir), "--outcome", "submitted@BB", "--below", "0.5"]
    assert main([*args, "--out", str(foreign)]) == 2
    assert "not touching it" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign"]


def test_not_a_sweep_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["discover", "empty", "--outcome", "submitted", "--below", "1"]) == 2
    assert main(["discover", "missing", "--outcome", "submitted", "--below", "1"]) == 2
    err = capsys.readouterr().err
    assert "empty" in err and "missing" in err and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]
