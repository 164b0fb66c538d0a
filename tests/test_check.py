"""``[observed]`` facts and ``samplesim check``: the statistics, a known answer, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import samplesim
from helpers import FLAGSHIP, SMALL, write_scenario
from samplesim import cli
from samplesim.check import CHECK_COLUMNS, fact_table, observation_stats, run_check, verdict
from samplesim.scenario import ScenarioError, build_scenario, load_raw

# --- the statistics on hand-made arrays -----------------------------------------------------


def test_mid_rank_percentile_and_two_sided_p():
    s = observation_stats([1, 2, 3, 4], 3, exact=True)
    assert s["percentile"] == pytest.approx((2 + 0.5) / 4)
    assert s["p_value"] == 1.0  # 2 * min(3/4, 2/4), capped
    assert s["sim_prob"] == 0.25 and s["n"] == 4 and s["sim_mean"] == 2.5
    s = observation_stats(np.arange(100), 2)
    assert s["percentile"] == pytest.approx(0.025)
    assert s["p_value"] == pytest.approx(2 * 3 / 100)
    assert s["sim_p05"] == pytest.approx(4.95) and s["inside_90"] is False
    assert math.isnan(s["sim_prob"])  # only asked for counts
    top = observation_stats([1, 2, 3], 9)
    assert (top["percentile"], top["p_value"], top["inside_90"]) == (1.0, 0.0, False)
    bottom = observation_stats([1, 2, 3], 0)
    assert (bottom["percentile"], bottom["p_value"]) == (0.0, 0.0)


def test_a_deterministic_value_sits_at_the_median():
    s = observation_stats(np.full(50, 5.0), 5.0, exact=True)
    assert (s["percentile"], s["p_value"], s["inside_90"], s["sim_prob"]) == (0.5, 1.0, True, 1.0)


def test_undefined_values_are_dropped():
    s = observation_stats([math.nan, 1.0, 2.0], 1.5)
    assert s["n"] == 2 and s["percentile"] == 0.5
    empty = observation_stats([math.nan], 1.0)
    assert empty["n"] == 0 and math.isnan(empty["percentile"]) and empty["inside_90"] is None


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=40),
    st.integers(-1, 7),
)
def test_percentile_and_p_value_agree(sim, obs):
    s = observation_stats(sim, obs)
    x = np.asarray(sim)
    assert 0 <= s["percentile"] <= 1 and 0 <= s["p_value"] <= 1
    assert s["percentile"] == pytest.approx(np.mean(x < obs) + 0.5 * np.mean(x == obs))
    assert s["p_value"] == pytest.approx(min(1, 2 * min(np.mean(x <= obs), np.mean(x >= obs))))


# --- facts on a hand-made runs table --------------------------------------------------------


def _runs(rows: list[tuple[str, int, str, str, float]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["variant", "replication", "country", "metric", "value"])
    return df.assign(point=0, seed=1)


def _scenario(observed: dict[str, Any], joint: dict[str, Any] | None = None):
    raw = load_raw(SMALL)
    raw["observed"] = observed
    if joint:
        raw["observed_joint"] = joint
    return build_scenario(raw, "small.toml")


def test_groups_variants_and_joint_facts():
    sc = _scenario(
        {
            "aa": {"value": 2, "metric": "approved", "country": "AA"},
            "not_aa": {"value": 1, "metric": "approved", "exclude_countries": ["AA"]},
            "both": {"value": 3, "metric": "approved", "countries": ["AA", "BB"]},
            "lot": {"value": 0, "metric": "approved", "variant": "lottery"},
        },
        {"j": {"facts": ["aa", "not_aa"]}},
    )
    rows = []
    for r, (a, b) in enumerate([(2, 1), (2, 0), (1, 1), (2, 1)]):
        rows += [("baseline", r, "AA", "approved", a), ("baseline", r, "BB", "approved", b)]
        rows += [("baseline", r, "ALL", "approved", a + b), ("lottery", r, "ALL", "approved", 9)]
    table, values = fact_table(_runs(rows), sc)
    assert list(table.columns) == list(CHECK_COLUMNS)
    t = table.set_index("fact")
    assert values["not_aa"].tolist() == [1, 0, 1, 1]
    assert values["both"].tolist() == [3, 2, 2, 3]
    assert values["lot"].tolist() == [9, 9, 9, 9]
    assert t.loc["not_aa", "country"] == "all but AA"
    assert t.loc["aa", "percentile"] == pytest.approx((1 + 0.5 * 3) / 4)
    assert t.loc["lot", "percentile"] == 0.0 and not t.loc["lot", "inside_90"]
    assert t.loc["j", "sim_prob"] == pytest.approx(2 / 4)  # replications 0 and 3
    assert t.loc["j", "type"] == "joint" and pd.isna(t.loc["j", "inside_90"])
    lines = verdict(table)
    assert lines[0].startswith("3 of 4 facts inside")
    assert any("lot" in line for line in lines) and "2 of 4 runs" in lines[-1]


# --- a scenario with a known answer ---------------------------------------------------------


@pytest.fixture(scope="module")
def known(tmp_path_factory) -> samplesim.check.CheckResult:
    raw = load_raw(SMALL)
    # small-known: submitted ~ Poisson(7) overall, Poisson(1.5) from BB; nothing is screened out.
    raw["observed"] = {
        "submitted": {"value": 7, "metric": "submitted", "input": True},
        "bb_submitted": {"value": 3, "metric": "submitted", "country": "BB"},
        "screened_out": {"value": 0, "metric": "screened_out"},
    }
    path = write_scenario(tmp_path_factory.mktemp("known") / "known.toml", raw)
    return run_check(path, 1000, executor="serial")


@pytest.mark.parametrize(("fact", "mean", "obs"), [("submitted", 7.0, 7), ("bb_submitted", 1.5, 3)])
def test_percentiles_match_the_poisson_mid_rank(known, fact, mean, obs):
    row = known.table.set_index("fact").loc[fact]
    exact = stats.poisson.cdf(obs - 1, mean) + 0.5 * stats.poisson.pmf(obs, mean)
    # Monte-Carlo sd of the estimate <= 0.016 at n = 1000; a plain P(sim <= obs) would be
    # off by 0.5 pmf(obs) (0.075 for 7, 0.063 for 3).
    assert row["n"] == 1000
    assert row["percentile"] == pytest.approx(exact, abs=0.045)
    assert row["sim_mean"] == pytest.approx(mean, abs=4 * math.sqrt(mean / 1000))
    assert row["sim_prob"] == pytest.approx(stats.poisson.pmf(obs, mean), abs=0.04)
    two_sided = 2 * min(stats.poisson.cdf(obs, mean), stats.poisson.sf(obs - 1, mean))
    assert row["p_value"] == pytest.approx(min(1.0, two_sided), abs=0.06)
    assert row["kind"] == ("input" if fact == "submitted" else "emergent")


def test_a_deterministic_fact_is_at_the_median(known):
    row = known.table.set_index("fact").loc["screened_out"]
    assert (row["percentile"], row["p_value"], bool(row["inside_90"])) == (0.5, 1.0, True)


def test_observed_facts_do_not_change_the_runs(known):
    plain = samplesim.replicate(SMALL, 5, executor="serial").runs
    assert plain.equals(known.runs[known.runs["replication"] < 5].reset_index(drop=True))


# --- bad input ------------------------------------------------------------------------------

BAD = [
    ({"f": {"value": 1, "metric": "approvals"}}, None, "observed.f.metric", "unknown metric"),
    ({"f": {"value": 1, "metric": "approved", "country": "US"}}, None, "observed.f.country",
     "not an applicant's country"),
    ({"f": {"value": 0.3, "metric": "approval_rate", "exclude_countries": ["AA"]}}, None,
     "observed.f.exclude_countries", "only count and gram metrics add up"),
    ({"f": {"value": 1, "metric": "approved", "countries": ["AA", "ZZ"]}}, None,
     "observed.f.countries[1]", "not an applicant's country"),
    ({"f": {"value": 1.5, "metric": "approved"}}, None, "observed.f.value", "whole number"),
    ({"f": {"value": 1, "metric": "approved", "variant": "nope"}}, None, "observed.f.variant",
     "no variant named 'nope'"),
    ({"f": {"value": 1, "metric": "approved", "country": "AA", "countries": ["BB"]}}, None,
     "observed.f", "at most one of"),
    ({"f": {"value": 1, "metric": "merit_efficiency", "country": "AA"}}, None,
     "observed.f.country", "whole run only"),
    ({"f": {"value": 1, "metric": "approved"}}, {"j": {"facts": ["f", "g"]}},
     "observed_joint.j.facts[1]", "no fact named 'g'"),
    ({"f": {"value": 1, "metric": "approved"}, "g": {"value": 1, "metric": "grams_granted"}},
     {"j": {"facts": ["f", "g"]}}, "observed_joint.j.facts[1]", "not a count"),
    ({"f": {"value": "seven", "metric": "approved"}}, None, "observed.f.value", "a number"),
    ({"f": {"metric": "approved"}}, None, "observed.f.value", "missing"),
]  # fmt: skip


@pytest.mark.parametrize(("observed", "joint", "path", "words"), BAD)
def test_bad_facts_name_their_key_path(observed, joint, path, words):
    with pytest.raises(ScenarioError) as info:
        _scenario(observed, joint)
    problems = {p.path: p.message for p in info.value.problems}
    assert path in problems, problems
    assert words in problems[path]


def test_a_variant_cannot_change_the_facts():
    raw = load_raw(SMALL)
    raw["observed"] = {"f": {"value": 1, "metric": "approved"}}
    raw["variants"]["lottery"]["observed"] = {"f": {"value": 2}}
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw, "small.toml")
    assert [p.path for p in info.value.problems] == ["variants.lottery.observed"]


# --- the command ----------------------------------------------------------------------------


def _small_with(tmp_path: Path, observed: dict[str, Any]) -> Path:
    raw = load_raw(SMALL)
    raw["observed"] = observed
    return write_scenario(tmp_path / "s.toml", raw)


def test_check_command_writes_its_outputs_and_exits_0_when_a_fact_is_outside(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "200")  # the verdict line unwrapped, whatever the terminal
    f = _small_with(
        tmp_path,
        {
            "submitted": {"value": 7, "metric": "submitted", "input": True},
            "absurd": {"value": 60, "metric": "approved", "label": "sixty approvals"},
        },
    )
    out = tmp_path / "out"
    argv = ["check", str(f), "--replications", "20", "--executor", "serial", "--out", str(out)]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "1 of 2 facts inside the central 90 %" in text and "sixty approvals" in text
    assert "emergent: 0 of 1 inside; outside: absurd" in text
    table = pd.read_csv(out / "check.csv")
    assert list(table.columns) == list(CHECK_COLUMNS)
    assert table["kind"].tolist() == ["input", "emergent"]
    assert table["inside_90"].tolist() == [True, False]
    assert (out / "check.png").is_file() and (out / "runs.parquet").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "check" and manifest["replications"] == 20
    assert cli.main([*argv, "--quiet", "--no-plots"]) == 0  # its own output is replaced
    assert not (out / "check.png").exists()


def test_check_command_bad_input_exits_2_with_the_key_path(tmp_path, capsys):
    f = _small_with(tmp_path, {"us": {"value": 2, "metric": "approvd", "country": "AA"}})
    out = tmp_path / "out"
    assert cli.main(["check", str(f), "--replications", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "observed.us.metric: unknown metric 'approvd'" in err and "Traceback" not in err
    assert not out.exists()


def test_check_command_needs_observed_facts_and_a_samplesim_directory(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["check", str(SMALL), "--replications", "5", "--out", str(out)]) == 2
    assert "no [observed] facts" in capsys.readouterr().err
    f = _small_with(tmp_path, {"n": {"value": 7, "metric": "submitted"}})
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cli.main(["check", str(f), "--replications", "5", "--out", str(out)]) == 2
    assert "not a samplesim output directory" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_flagship_facts_and_figure(tmp_path):
    res = run_check(FLAGSHIP, 20, executor="serial")
    t = res.table.set_index("fact")
    inputs = ["submitted", "shortlisted", "approved", "grams_granted", "median_days_to_decision"]
    assert t.loc[inputs, "kind"].eq("input").all()
    emergent = ["us_shortlisted", "us_approved", "non_us_shortlisted", "non_us_approved"]
    assert t.loc[emergent, "kind"].eq("emergent").all()
    assert t.loc["us_funnel", "type"] == "joint"
    assert t.loc["shortlisted", "percentile"] == 0.5  # top_k = 10: always 10 shortlisted
    fig = samplesim.plots.check_facts(res.table, res.values, title="CE5")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(res.table)
    assert "CE5" in fig.get_suptitle()
    assert all(ax.get_xlabel() and ax.get_title() for ax in axes)
    assert "(count)" in axes[0].get_xlabel() and "(g)" in axes[3].get_xlabel()
    samplesim.plots.save_figure(fig, tmp_path / "check.png")
    bare = samplesim.plots.check_facts(res.table)  # without the simulated values
    assert len([ax for ax in bare.axes if ax.get_visible()]) == len(res.table)
