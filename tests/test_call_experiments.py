"""Experiments' per-call table: per-call rows from the workers, aggregated with the interval of
each metric's kind, written as calls.csv, identical across executors and on resume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import ROOT
from samplesim.call_metrics import CALL_METRICS
from samplesim.experiment.call_tables import calls_replications
from samplesim.intervals import garwood, t_bounds, wilson

SHIFTS = ROOT / "tests" / "data" / "calls-shifts.toml"


def _rows(values: dict[str, list[float]], call: str = "c1") -> pd.DataFrame:
    parts = []
    for metric, vs in values.items():
        parts.append(
            pd.DataFrame(
                {"point": 0, "variant": "baseline", "replication": range(len(vs)), "seed": 1,
                 "call": call, "metric": metric, "value": vs}
            )
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def test_intervals_follow_the_metric_kind():
    sub = [3.0, 5.0, 4.0, 6.0]
    rate = [0.5, 0.8, 0.25, np.nan]  # a replication with nobody submitting has no rate
    days = [10.0, 20.0, 15.0, 30.0]
    t = calls_replications(
        _rows({"submitted": sub, "acceptance_rate": rate, "median_days_deadline_to_decision": days})
    ).set_index("metric")
    assert list(t.index) == ["submitted", "acceptance_rate", "median_days_deadline_to_decision"]
    # counts: hull of t and Garwood
    s = np.asarray(sub)
    tlo, thi = t_bounds(s.mean(), s.std(ddof=1), 4, 0.95)
    glo, ghi = garwood(s.sum(), 4, 0.95)
    assert t.loc["submitted", "ci_low"] == pytest.approx(min(tlo, glo))
    assert t.loc["submitted", "ci_high"] == pytest.approx(max(thi, ghi))
    assert t.loc["submitted", "interval"] == "t+garwood"
    # proportions: hull of t and Wilson over the 3 replications with a value
    r = np.asarray(rate[:3])
    tlo, thi = t_bounds(r.mean(), r.std(ddof=1), 3, 0.95)
    wlo, whi = wilson(r.mean(), 3, 0.95)
    assert t.loc["acceptance_rate", "n"] == 3
    assert t.loc["acceptance_rate", "ci_low"] == pytest.approx(min(tlo, wlo))
    assert t.loc["acceptance_rate", "ci_high"] == pytest.approx(max(thi, whi))
    # continuous: t
    d = np.asarray(days)
    tlo, thi = t_bounds(d.mean(), d.std(ddof=1), 4, 0.95)
    row = t.loc["median_days_deadline_to_decision"]
    assert (row["mean"], row["interval"]) == (pytest.approx(18.75), "t")
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(tlo), pytest.approx(thi))


def test_calls_keep_scenario_order():
    rows = pd.concat([_rows({"approved": [1, 2]}, "zeta"), _rows({"approved": [3, 4]}, "alpha")])
    assert list(calls_replications(rows)["call"]) == ["zeta", "alpha"]


def test_replicate_calls_match_single_runs(tmp_path):
    sc = samplesim.load_scenario(SHIFTS)
    res = samplesim.replicate(sc, replications=3, seed=4, out=tmp_path / "rep", quiet=True)
    assert set(res.calls["metric"]) == set(CALL_METRICS)
    assert list(dict.fromkeys(res.calls["call"])) == [c.name for c in sc.calls]
    singles = pd.concat(
        [samplesim.simulate(sc, seed=4, replication=r).calls for r in range(3)]
    ).groupby("call", sort=False)
    t = res.calls.set_index(["call", "metric"])
    for name, g in singles:
        for metric in CALL_METRICS:
            want = g[metric].astype(float).mean()  # pandas skips NaN, as the table does
            got = t.loc[(name, metric), "mean"]
            assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(want), metric
    on_disk = pd.read_csv(tmp_path / "rep" / "calls.csv")
    assert len(on_disk) == len(res.calls) and "ci_high" in on_disk
    # The per-call approved means add up to the whole-run mean.
    whole = res.summary.set_index(["country", "metric"]).loc[("ALL", "approved"), "mean"]
    assert t.xs("approved", level="metric")["mean"].sum() == pytest.approx(whole)


def test_compare_and_sweep_have_calls(tmp_path):
    cmp = samplesim.compare(
        ROOT / "scenarios" / "small-known.toml", ["lottery"], replications=2, seed=1, quiet=True
    )
    assert set(cmp.calls["variant"]) == {"baseline", "lottery"}
    sw = samplesim.sweep(
        ROOT / "scenarios" / "small-known.toml",
        params={"review.reliability": (0.2, 0.8)},
        design="grid",
        levels=2,
        replications=2,
        seed=1,
        quiet=True,
    )
    assert set(sw.calls["point"]) == set(sw.points["point"])


def test_same_seed_same_calls_csv_and_resume_keeps_them(tmp_path):
    a = samplesim.replicate(SHIFTS, replications=4, seed=9, out=tmp_path / "a", quiet=True)
    b = samplesim.replicate(SHIFTS, replications=4, seed=9, out=tmp_path / "b", quiet=True,
                            batch_size=1)  # fmt: skip
    assert (tmp_path / "a" / "calls.csv").read_bytes() == (
        tmp_path / "b" / "calls.csv"
    ).read_bytes()
    more = samplesim.replicate(SHIFTS, replications=6, seed=9, out=tmp_path / "a", quiet=True,
                               resume=True)  # fmt: skip
    assert more.executed == 2
    assert int(more.calls["n"].max()) == 6
    pd.testing.assert_frame_equal(a.calls, b.calls)


def test_experiment_figures_and_tables_say_the_unit(tmp_path):
    from samplesim import plots
    from samplesim.plots._common import PLOT_UNIT
    from samplesim.report import build_report

    out = tmp_path / "rep"
    res = samplesim.replicate(SHIFTS, replications=2, seed=1, out=out, quiet=True)
    assert res.manifest["unit"] == "shifts"
    figs = {name: fig for name, _, fig in plots.dir_figures(out)}
    labels = [ax.get_xlabel() for ax in figs["replications.png"].axes]
    assert "shifts granted (shifts)" in labels and not any("grams" in x for x in labels)
    assert PLOT_UNIT.get() == "g"  # set for the directory's figures only
    html = build_report(out)
    assert "By call (mean over replications" in html and "shifts granted (shifts)" in html
    assert "shifts granted (shifts)" in repr(res)
