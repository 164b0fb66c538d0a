"""Figures from every kind of result table: titles, labelled axes with units, legends."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

import samplesim
from helpers import FLAGSHIP
from samplesim import plots
from samplesim.cli import main
from samplesim.output import write_run
from samplesim.plots._synthetic import synthetic_experiment


@pytest.fixture(scope="module")
def synth():
    return synthetic_experiment(replications=12, points=1, seed=3)


def _suptitle(fig: Figure) -> str:
    return fig._suptitle.get_text() if fig._suptitle is not None else ""


def _check_axes(fig: Figure) -> None:
    """Every visible axes has a title or the figure a suptitle, and both axes labelled, with
    a unit in parentheses on the value axis."""
    assert _suptitle(fig)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        xl, yl = ax.get_xlabel(), ax.get_ylabel()
        assert xl, f"unlabelled x axis in {ax.get_title()!r}"
        assert "(" in xl or "(" in yl or "date" in xl, (xl, yl)


def _legend_labels(fig: Figure, i: int = 0) -> list[str]:
    return [t.get_text() for t in fig.legends[i].get_texts()]


def _png_ok(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_country_colors_stable():
    a = plots.country_colors(["US", "FR", "XX", "ALL"])
    b = plots.country_colors(["ZZ", "XX", "FR", "US"])
    assert a["US"] == b["US"] and a["FR"] == b["FR"] and a["XX"] == b["XX"]
    assert len({a["US"], a["FR"], a["ALL"]}) == 3
    fixed = plots.country_colors(plots.COUNTRY_COLORS)
    assert len(set(fixed.values())) == len(fixed)


def test_no_global_style_change(flagship_result):
    before = dict(matplotlib.rcParams)
    plots.funnel(flagship_result)
    assert dict(matplotlib.rcParams) == before


def test_funnel(flagship_result):
    fig = plots.funnel(flagship_result)
    _check_axes(fig)
    countries = sorted(flagship_result.proposals["country"].unique())
    assert _legend_labels(fig) == countries
    # the stage panel sums to the number of proposals at 'submitted'
    ax = fig.axes[0]
    first = sum(p.get_height() for p in ax.patches if abs(p.get_x() + p.get_width() / 2) < 0.01)
    assert first == len(flagship_result.proposals)
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert any(lab.startswith("blocked: ear-entity-list") for lab in labels)
    # a bare proposals table works too
    assert _legend_labels(plots.funnel(flagship_result.proposals)) == countries


def test_allocation(flagship_result):
    fig = plots.allocation(flagship_result)
    _check_axes(fig)
    ax = fig.axes[0]
    assert "(g)" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == sorted(
        flagship_result.proposals["country"].unique()
    )
    total = sum(p.get_height() for p in ax.patches)
    assert total == pytest.approx(flagship_result.proposals["grams_granted"].sum())


def test_timing(flagship_result):
    p = flagship_result.proposals
    countries = sorted(p["country"].unique())
    # a few proposals per country: one dot per proposal, countries named with their counts
    assert plots.timing_form(p) == "strip"
    fig = plots.timing(flagship_result)
    _check_axes(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert [t.split(" ")[0] for t in ticks] == [*countries, "ALL"]
    decided = int(p["days_to_decision"].notna().sum())
    assert ticks[-1] == f"ALL ({decided} of {len(p)})"
    dots = sum(
        len(c.get_offsets()) for c in fig.axes[0].collections if isinstance(c, PathCollection)
    )
    assert dots == 2 * decided  # each proposal once in its country and once in ALL
    # ECDFs on request, and by default for a large run
    fig = plots.timing(flagship_result, form="ecdf")
    assert _legend_labels(fig) == [*countries, "ALL"]
    big = pd.concat([p] * plots.TIMING_ECDF_MIN, ignore_index=True)
    assert plots.timing_form(big) == "ecdf"
    lo, hi = fig.axes[0].get_xlim()
    dd = flagship_result.proposals["days_to_decision"].dropna()
    assert lo <= dd.min() and hi >= dd.max() and lo > 0.5 * dd.min()  # no silly zero start


def test_timeline_dates_and_rule_delays(flagship_result):
    fig = plots.timeline(flagship_result)
    _check_axes(fig)
    ax = fig.axes[0]
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    lo, hi = (mdates.num2date(x).date() for x in ax.get_xlim())
    assert (
        lo <= flagship_result.start_date + pd.Timedelta(days=60).to_pytimedelta()
        and hi.year >= 2026
    )
    labels = _legend_labels(fig)
    ev = flagship_result.events
    waited = {f"rule delay: {n}" for n in ev.loc[ev["kind"] == "rule_wait", "name"]}
    assert waited and waited == {lab for lab in labels if lab.startswith("rule delay: ")}
    made = flagship_result.proposals["state"] != "deterred"  # deterred: no stage to draw
    assert len(ax.get_yticklabels()) == made.sum() < len(made)


def test_timeline_large_run_is_sampled(flagship_result):
    big = pd.concat(
        [
            flagship_result.proposals.assign(
                proposal_id=flagship_result.proposals["proposal_id"] + f"-{k}"
            )
            for k in range(25)
        ],
        ignore_index=True,
    )
    fig = plots.timeline(
        {
            "proposals": big,
            "events": flagship_result.events,
            "start_date": flagship_result.start_date,
        }
    )
    assert "first 40 shortlisted" in _suptitle(fig)
    assert len(fig.axes[0].get_yticklabels()) == 40


def test_inventory(flagship_result):
    fig = plots.inventory_over_time(flagship_result)
    _check_axes(fig)
    assert len([a for a in fig.axes if a.get_visible()]) == len(flagship_result.initial_grams)
    inv = flagship_result.inventory
    held = [
        lab
        for col, lab in (
            ("remaining_g", "remaining"),
            ("reserved_g", "reserved"),
            ("on_loan_g", "on loan"),
            ("consumed_g", "consumed"),
        )
        if (inv[col] > 1e-9).any()
    ]
    assert _legend_labels(fig) == held and "remaining" in held


def test_save_run_plots(flagship_result, tmp_path):
    paths = plots.save_run_plots(flagship_result, tmp_path / "plots")
    assert [p.name for p in paths] == [
        "funnel.png",
        "allocation.png",
        "timing.png",
        "timeline.png",
        "inventory.png",
        "calls.png",
    ]
    for p in paths:
        _png_ok(p)


def test_replication_metrics(synth):
    rep = synth["replications"]
    fig = plots.replication_metrics(rep)
    _check_axes(fig)
    assert _legend_labels(fig, 0) == [*sorted(set(rep["country"]) - {"ALL"}), "ALL"]
    assert _legend_labels(fig, 1) == list(dict.fromkeys(rep["variant"]))
    one = plots.replication_metrics(rep[rep["variant"] == "baseline"], metrics=["approval_rate"])
    assert len(one.legends) == 1 and one.axes[0].get_xlabel() == "approval rate (fraction)"
    with pytest.raises(ValueError, match="not in the table"):
        plots.replication_metrics(rep, metrics=["nope"])


def test_replication_trace(synth):
    fig = plots.replication_trace(synth["runs"], "grams_granted")
    _check_axes(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(
        dict.fromkeys(synth["runs"]["variant"])
    )
    assert ax.get_lines()[0].get_xdata()[-1] == 12


def test_comparison_forest(synth):
    cmp = synth["comparison"]
    fig = plots.comparison_forest(cmp)
    _check_axes(fig)
    assert _legend_labels(fig) == [v for v in dict.fromkeys(cmp["variant"])]
    assert all(any(ln.get_xdata()[0] == 0 for ln in ax.get_lines()) for ax in fig.axes)
    fig2 = plots.comparison_forest(
        cmp, metrics=["approval_rate", "fairness_index"], countries=["ALL", "US", "FR"]
    )
    ticks = [t.get_text() for t in fig2.axes[0].get_yticklabels()]
    assert ticks == ["ALL (n=12/12)", "US (n=12/12)", "FR (n=12/12)"]


def test_sweep_and_sensitivity():
    t = synthetic_experiment(replications=4, points=6, variants=["baseline", "lottery"])
    fig = plots.sweep_response(t["runs"], t["points"], "review.reviewers", "approval_rate")
    _check_axes(fig)
    assert [x.get_text() for x in fig.axes[0].get_legend().get_texts()] == ["baseline", "lottery"]
    # a continuous parameter (one value per point) is binned
    many = synthetic_experiment(replications=2, points=40, variants=["baseline"])
    fig = plots.sweep_response(
        many["runs"],
        many["points"],
        "allocation.approval_delay.median",
        "grams_granted",
        max_levels=10,
    )
    assert "bins" in _suptitle(fig)
    fig = plots.sensitivity_bars(t["sensitivity"])
    _check_axes(fig)
    assert len(fig.axes) == t["sensitivity"]["outcome"].nunique()


def test_many_run_figures_of_a_large_experiment(tmp_path):
    """200 replications x 4 variants (+ baseline): every many-run figure draws and saves.

    How long that takes is measured by ``benchmarks/bench_plots.py``, not asserted here."""
    t = synthetic_experiment(replications=200, points=1)
    figs = [
        plots.replication_metrics(t["replications"]),
        plots.comparison_forest(t["comparison"]),
        plots.comparison_forest(t["comparison"], countries=["ALL", "US", "FR", "PK", "GB"]),
        plots.replication_trace(t["runs"], "approval_rate"),
    ]
    for i, f in enumerate(figs):
        _check_axes(f)
        plots.save_figure(f, tmp_path / f"f{i}.png")
        _png_ok(tmp_path / f"f{i}.png")


@pytest.fixture(scope="module")
def experiment_dirs(tmp_path_factory):
    """Real experiment outputs of the flagship (small)."""
    base = tmp_path_factory.mktemp("exp")
    c = samplesim.compare(
        FLAGSHIP, variants=["wolf-lifted", "lottery"], replications=3, out=base / "cmp", plots=False
    )
    s = samplesim.sweep(
        FLAGSHIP,
        params={"panel.weight": (0.1, 0.9)},
        design="grid",
        levels=3,
        replications=2,
        out=base / "sweep",
    )
    return {"comparison": (base / "cmp", c), "sweep": (base / "sweep", s)}


def test_real_experiment_tables(experiment_dirs):
    _, c = experiment_dirs["comparison"]
    fig = plots.comparison_forest(c.comparison)
    assert sorted(_legend_labels(fig)) == ["lottery", "wolf-lifted"]
    fig = plots.replication_metrics(c.summary)
    countries = [*sorted(set(c.summary["country"]) - {"ALL"}), "ALL"]
    assert _legend_labels(fig) == countries
    plots.replication_trace(c.runs, "approval_rate")
    _, s = experiment_dirs["sweep"]
    fig = plots.sweep_response(s.runs, s.points, "panel.weight", "approved")
    _check_axes(fig)


def test_plot_command(experiment_dirs, tmp_path, capsys):
    cmp_dir, _ = experiment_dirs["comparison"]
    assert main(["plot", str(cmp_dir)]) == 0
    names = {p.name for p in (cmp_dir / "plots").iterdir()}
    assert {"comparison.png", "replications.png", "trace_approval_rate.png"} <= names
    sweep_dir, _ = experiment_dirs["sweep"]
    assert main(["plot", str(sweep_dir)]) == 0
    assert any(p.name.startswith("sweep_panel_weight") for p in (sweep_dir / "plots").iterdir())
    for p in (cmp_dir / "plots").iterdir():
        _png_ok(p)
    # bad input: exit status 2 with a message, no traceback
    assert main(["plot", str(tmp_path / "missing")]) == 2
    assert main(["plot", str(tmp_path)]) == 2
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    assert main(["plot", str(bad)]) == 2
    assert "error:" in capsys.readouterr().err


def test_run_tables_from_files_match(flagship_result, tmp_path):
    write_run(flagship_result, tmp_path, {"kind": "run"}, plots=False)
    loaded = plots.load_run(tmp_path)
    assert loaded.start_date == flagship_result.start_date
    assert loaded.initial_grams == pytest.approx(flagship_result.initial_grams)
    assert np.array_equal(loaded.proposals["proposal_id"], flagship_result.proposals["proposal_id"])


# --- figures the caller owns: saving leaves them alone; ax= / fig= / figsize= --------------


def _state(fig: Figure) -> tuple:
    return (
        tuple(fig.get_size_inches()),
        len(fig.axes),
        tuple(len(ax.get_children()) for ax in fig.axes),
        len(fig.legends),
        _suptitle(fig),
    )


def test_save_figure_leaves_the_figure_unchanged(flagship_result, tmp_path):
    fig = plots.funnel(flagship_result)
    before = _state(fig)
    a = plots.save_figure(fig, tmp_path / "a.png")
    assert _state(fig) == before
    b = plots.save_figure(fig, tmp_path / "b.png")
    _png_ok(a)
    assert a.read_bytes() == b.read_bytes()
    assert _state(fig) == before


def test_save_figure_draws_once_and_matches_savefig(flagship_result, tmp_path):
    """save_figure lays the figure out itself and draws it once; savefig alone draws twice
    (a dry run for the constrained layout). The pixels are the same."""
    from PIL import Image

    from samplesim.plots._common import STYLE

    for make in (plots.funnel, plots.timeline):
        fig = make(flagship_result)
        draws, dpi = [], fig.dpi
        fig.canvas.mpl_connect("draw_event", draws.append)
        mine = plots.save_figure(fig, tmp_path / "mine.png")
        assert len(draws) == 1
        assert fig.get_layout_engine() is not None and fig.dpi == dpi  # left as it was
        with matplotlib.rc_context(STYLE):
            make(flagship_result).savefig(tmp_path / "plain.png", dpi=130, facecolor="white")
        with Image.open(mine) as a, Image.open(tmp_path / "plain.png") as b:
            assert a.size == b.size and a.tobytes() == b.tobytes()


def _many_tables():
    t = synthetic_experiment(replications=4, points=6, variants=["baseline", "lottery"])
    one = synthetic_experiment(replications=6, points=1, variants=["baseline", "lottery"])
    return t, one


def _check_table():
    from samplesim.check import observation_stats

    fact = dict(fact="us", label="US approved", type="fact", kind="emergent", metric="approved",
                country="US", variant="baseline", observed=2.0, threshold=float("nan"),
                source="", **observation_stats([0, 1, 1, 2, 3], 2.0, exact=True))  # fmt: skip
    joint = dict(fact="j", label="US = 2 & ALL = 7", type="joint", kind="emergent", n=5,
                 sim_prob=0.2, threshold=0.05, percentile=float("nan"))  # fmt: skip
    return pd.DataFrame([fact, joint])


def _fig_plots(flagship_result):
    t, one = _many_tables()
    return {
        "check_facts": lambda **kw: plots.check_facts(_check_table(), **kw),
        "funnel": lambda **kw: plots.funnel(flagship_result, **kw),
        "allocation": lambda **kw: plots.allocation(flagship_result, **kw),
        "timing": lambda **kw: plots.timing(flagship_result, **kw),
        "inventory_over_time": lambda **kw: plots.inventory_over_time(flagship_result, **kw),
        "replication_metrics": lambda **kw: plots.replication_metrics(one["replications"], **kw),
        "comparison_forest": lambda **kw: plots.comparison_forest(one["comparison"], **kw),
        "sensitivity_bars": lambda **kw: plots.sensitivity_bars(t["sensitivity"], **kw),
        "morris_bars": lambda **kw: plots.morris_bars(_morris_table(), **kw),
    }


def _morris_table() -> pd.DataFrame:
    """A small Morris table: two outcomes, two parameters and the dummy."""
    rows = []
    for o in ("approved", "grams_granted"):
        for p, mu, conf, dist in (
            ("review.reviewers", 0.2, 0.3, False),
            ("allocation.max_share", 2.0, 0.5, True),
            ("(dummy)", 0.4, 0.1, None),
        ):
            rows.append({"outcome": o, "parameter": p, "mu": mu, "mu_star": mu,
                         "mu_star_conf": conf, "sigma": conf, "distinguishable": dist})  # fmt: skip
    return pd.DataFrame(rows)


def _ax_plots(flagship_result):
    t, one = _many_tables()
    return {
        "timeline": lambda **kw: plots.timeline(flagship_result, **kw),
        "replication_trace": lambda **kw: plots.replication_trace(
            one["runs"], "approval_rate", **kw
        ),
        "sweep_response": lambda **kw: plots.sweep_response(
            t["runs"], t["points"], "review.reviewers", "approval_rate", **kw
        ),
    }


FIG_PLOTS = [
    "check_facts",
    "funnel",
    "allocation",
    "timing",
    "inventory_over_time",
    "replication_metrics",
    "comparison_forest",
    "sensitivity_bars",
    "morris_bars",
]
AX_PLOTS = ["timeline", "replication_trace", "sweep_response"]


def test_every_public_plot_function_is_covered():
    public = {n for n in plots.__all__ if callable(getattr(plots, n))}
    helpers = {"country_colors", "detect_kind", "dir_figures", "load_experiment", "load_run"}
    helpers |= {"metric_label", "read_manifest", "run_tables", "save_dir_plots", "save_figure"}
    helpers |= {"save_run_plots", "variant_colors", "RunTables", "timing_form"}
    assert public - helpers == set(FIG_PLOTS) | set(AX_PLOTS)


@pytest.mark.parametrize("name", FIG_PLOTS)
def test_multi_panel_plots_draw_into_a_given_figure_and_honour_figsize(flagship_result, name):
    draw = _fig_plots(flagship_result)[name]
    assert tuple(draw(figsize=(7.0, 5.0)).get_size_inches()) == (7.0, 5.0)
    mine = Figure(figsize=(9.0, 6.0), layout="constrained")
    left, right = mine.subfigures(1, 2)
    right.subplots().plot([0, 1], [0, 1])
    assert draw(fig=left) is mine
    assert tuple(mine.get_size_inches()) == (9.0, 6.0)  # the caller's size is kept
    assert len(right.axes) == 1  # the other sub-figure is untouched
    assert left.axes and all(ax in mine.axes for ax in left.axes)
    assert draw(fig=Figure(), figsize=(4.0, 3.0)).get_size_inches().tolist() == [4.0, 3.0]


@pytest.mark.parametrize("name", AX_PLOTS)
def test_one_panel_plots_draw_into_a_given_axes_and_honour_figsize(flagship_result, name):
    draw = _ax_plots(flagship_result)[name]
    assert tuple(draw(figsize=(7.0, 5.0)).get_size_inches()) == (7.0, 5.0)
    mine = Figure(figsize=(9.0, 6.0))
    ax, other = mine.subplots(1, 2)
    assert draw(ax=ax) is mine
    assert len(mine.axes) == 2  # no new axes
    assert ax.has_data() and not other.has_data()
    assert ax.get_title() and _suptitle(mine) == ""  # the title goes on the given axes
    assert tuple(mine.get_size_inches()) == (9.0, 6.0)
    assert draw(ax=ax, figsize=(5.0, 4.0)) is mine
    assert tuple(mine.get_size_inches()) == (5.0, 4.0)
