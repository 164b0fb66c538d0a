"""The short views of results: ``repr()`` under 20 lines and the HTML card Jupyter shows."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest

import samplesim
from samplesim.cards import MAX_LINES, _clip
from samplesim.metric_groups import CARD, EXPERIMENT_TABLE
from samplesim.metrics import METRICS

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small-known.toml"
VOID = {"br", "hr", "img", "meta", "link", "input"}


class _Checker(HTMLParser):
    """Collects text and checks that every tag is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _text_of(html: str) -> str:
    p = _Checker()
    p.feed(html)
    p.close()
    assert p.stack == [], f"unclosed tags {p.stack}"
    return " ".join(p.text)


@pytest.fixture(scope="module")
def run():
    return samplesim.simulate(samplesim.load_scenario(SMALL), seed=3)


@pytest.fixture(scope="module")
def comparison():
    return samplesim.compare(SMALL, replications=4, seed=2, executor="serial")


def test_run_repr_is_short_and_says_what_ran(run):
    text = repr(run)
    assert len(text.splitlines()) <= MAX_LINES and len(text) < 2000
    assert "small-known" in text and "seed 3" in text
    all_row = run.summary[run.summary["country"] == "ALL"].iloc[0]
    approved = f"{all_row['approved']:,.0f}"
    assert any(line.split()[-1] == approved for line in text.splitlines() if "approved" in line)
    assert "median time to decision" in text


def test_run_card_shows_key_metrics_and_tables(run):
    text = _text_of(run._repr_html_())
    assert "small-known" in text and "seed 3" in text
    for m in CARD:
        assert METRICS[m].label in text
    all_row = run.summary[run.summary["country"] == "ALL"].iloc[0]
    assert f"{all_row['grams_granted']:,.{METRICS['grams_granted'].decimals}f}" in text
    assert f".proposals ({len(run.proposals):,} rows)" in text
    assert "anecdote" in text


def test_card_escapes_what_it_shows(run):
    odd = attrs.evolve(run, scenario="<script>x</script>", variant="a&b")
    html = odd._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&amp;b" in html
    _text_of(html)


def test_comparison_card_shows_paired_intervals(comparison):
    html = comparison._repr_html_()
    text = _text_of(html)
    c = comparison.comparison
    row = c[(c["country"] == "ALL") & (c["metric"] == "approved")].iloc[0]
    d = EXPERIMENT_TABLE["approved"] + 1
    assert f"{row['variant']} − baseline" in text
    assert f"[{row['ci_low']:,.{d}f}, {row['ci_high']:,.{d}f}]" in text
    assert "paired" in text and "files: none" in text
    text_repr = repr(comparison)
    assert len(text_repr.splitlines()) <= MAX_LINES
    assert all(len(line) <= 160 for line in text_repr.splitlines())


def test_replications_card_says_where_the_files_are(tmp_path):
    out = tmp_path / "rep"
    res = samplesim.replicate(SMALL, replications=3, seed=4, executor="serial", out=out)
    text = _text_of(res._repr_html_())
    assert str(out) in text and "runs.parquet" in text
    s = res.summary[(res.summary["country"] == "ALL") & (res.summary["metric"] == "approved")]
    d = EXPERIMENT_TABLE["approved"]
    r = s.iloc[0]
    assert f"{r['mean']:,.{d}f} [{r['ci_low']:,.{d}f}, {r['ci_high']:,.{d}f}]" in text
    assert "3 replications" in text
    rep = repr(res)
    assert len(rep.splitlines()) <= MAX_LINES and str(out) in rep


def test_sweep_card_shows_the_range_over_points():
    res = samplesim.sweep(
        SMALL,
        params={"review.reviewers": (3, 8)},
        design="grid",
        levels=2,
        replications=2,
        executor="serial",
    )
    text = _text_of(res._repr_html_())
    assert "2 points × 2 replication(s)" in text and "lowest point mean" in text
    assert len(repr(res).splitlines()) <= MAX_LINES


def test_clip_keeps_twenty_lines_and_says_what_it_cut():
    lines = [f"line {i}" for i in range(35)]
    out = _clip(lines, "see .summary").splitlines()
    assert len(out) == MAX_LINES
    assert out[:-1] == lines[: MAX_LINES - 1]
    assert f"{35 - (MAX_LINES - 1)} more line(s)" in out[-1]
    assert _clip(lines[:5], "x").splitlines() == lines[:5]


@pytest.mark.parametrize("kind", ["replications", "comparison", "sweep"])
def test_cards_of_experiments_whose_runs_all_failed(kind):
    """No finished run (every run raised): the card and repr still say what happened."""
    import pandas as pd

    from samplesim.experiment import ExperimentResult
    from samplesim.results_dir import empty_runs

    res = ExperimentResult(
        kind,
        empty_runs(),
        pd.DataFrame(),
        comparison=pd.DataFrame() if kind == "comparison" else None,
        points=pd.DataFrame({"point": []}) if kind == "sweep" else None,
        errors=pd.DataFrame({"key": ["a", "b"]}),
    )
    text = repr(res)
    assert "no finished run" in text and "2 run(s) raised" in text
    assert "2 run(s) raised" in _text_of(res._repr_html_())
