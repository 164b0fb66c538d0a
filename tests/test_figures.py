"""Each command writes the figure set ``samplesim plot`` draws; figures are honest: no empty
legend entry, no all-zero panel, per-country n, colours readable on white, and the first run
a user sees is a typical one."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

import samplesim
from helpers import FLAGSHIP
from samplesim import plots
from samplesim.cli import main
from samplesim.plots._common import ALL_COLOR, contrast_ratio
from samplesim.plots._panels import VARIANT_PALETTE, n_alpha
from samplesim.plots._synthetic import synthetic_experiment
from samplesim.typical import nearest_median, typical_replication

# --------------------------------------------------------------------------------------------
# What "honest" means, checked on Figure objects


def _rgb(c) -> str | None:
    rgba = mcolors.to_rgba(c)
    return None if rgba[3] == 0 else mcolors.to_hex(rgba[:3])


def _has_area(path_vertices: np.ndarray) -> bool:
    v = path_vertices[np.isfinite(path_vertices).all(axis=1)]
    return len(v) > 0 and np.ptp(v[:, 0]) > 0 and np.ptp(v[:, 1]) > 0


def _drawn(fig: Figure) -> set[str]:
    """Colours and line/marker labels of every artist that shows data in a visible axes."""
    colors: set[str] = set()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for ln in ax.get_lines():
            if len(ln.get_xdata()):
                colors |= {_rgb(ln.get_color()), _rgb(ln.get_markerfacecolor())}
        for p in ax.patches:
            if isinstance(p, Rectangle) and p.get_width() * p.get_height() == 0:
                continue
            colors |= {_rgb(p.get_facecolor()), _rgb(p.get_edgecolor())}
        for c in ax.collections:
            if isinstance(c, PolyCollection) and not any(
                _has_area(p.vertices) for p in c.get_paths()
            ):
                continue
            if isinstance(c, PathCollection) and not len(c.get_offsets()):
                continue
            if isinstance(c, LineCollection) and not len(c.get_segments()):
                continue
            colors |= {_rgb(x) for x in c.get_facecolor()} | {_rgb(x) for x in c.get_edgecolor()}
    colors.discard(None)
    return colors


def _handle_color(h) -> str | None:
    if isinstance(h, Line2D):
        return (
            _rgb(h.get_color())
            if h.get_linestyle() not in ("None", "none", "")
            else (_rgb(h.get_markerfacecolor()) or _rgb(h.get_markeredgecolor()))
        )
    if isinstance(h, Patch):
        return _rgb(h.get_facecolor()) or _rgb(h.get_edgecolor())
    fc = h.get_facecolor()
    return _rgb(fc[0]) if len(fc) else _rgb(h.get_edgecolor()[0])


def legend_problems(fig: Figure) -> list[str]:
    """Legend entries that are blank or whose colour nothing in the figure is drawn in."""
    colors = _drawn(fig)
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    bad = []
    for leg in legends:
        for h, t in zip(leg.legend_handles, leg.get_texts(), strict=True):
            text = t.get_text()
            if not text.strip():
                bad.append("blank legend entry")
            elif _handle_color(h) not in colors:
                bad.append(f"legend entry {text!r} ({_handle_color(h)}) matches nothing drawn")
    return bad


def _values(ax) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for ln in ax.get_lines():
        if ln.get_transform() == ax.transData:  # not axvline/axhline (axes-relative)
            xs.append(np.asarray(ln.get_xdata(), float))
            ys.append(np.asarray(ln.get_ydata(), float))
    for c in ax.collections:
        if isinstance(c, PathCollection) and len(c.get_offsets()):
            off = np.asarray(c.get_offsets(), float)
            xs.append(off[:, 0])
            ys.append(off[:, 1])
        elif isinstance(c, LineCollection):
            for seg in c.get_segments():
                seg = np.asarray(seg, float).reshape(-1, 2)
                xs.append(seg[:, 0])
                ys.append(seg[:, 1])
        elif isinstance(c, PolyCollection):
            for p in c.get_paths():
                xs.append(p.vertices[:, 0])
                ys.append(p.vertices[:, 1])
    for p in ax.patches:
        if isinstance(p, Rectangle):
            xs.append(np.array([p.get_x(), p.get_x() + p.get_width()]))
            ys.append(np.array([p.get_y(), p.get_y() + p.get_height()]))
    x = np.concatenate(xs) if xs else np.array([])
    y = np.concatenate(ys) if ys else np.array([])
    return x[np.isfinite(x)], y[np.isfinite(y)]


def _numeric(labels) -> bool:
    """Tick labels of a value axis (numbers, percentages), not of categories (countries,
    variants); a date axis counts as categorical here (its values are never zero)."""
    texts = [t.get_text().replace("\u2212", "-").rstrip("%").replace(",", "") for t in labels]
    try:
        [float(t) for t in texts if t.strip()]
    except ValueError:
        return False
    return True


def flat_panels(fig: Figure) -> list[str]:
    """Visible panels whose every value on a value axis is zero, with no note saying so."""
    fig.draw_without_rendering()  # tick labels exist once drawn
    bad = []
    for ax in fig.axes:
        if not ax.get_visible() or any(t.get_text().strip() for t in ax.texts):
            continue
        x, y = _values(ax)
        flat_x = len(x) and not x.any() and _numeric(ax.get_xticklabels())
        flat_y = len(y) and not y.any() and _numeric(ax.get_yticklabels())
        if flat_x or flat_y:
            bad.append(ax.get_title() or "(untitled panel)")
    return bad


def test_the_checks_can_fail():
    fig = Figure()
    a, b = fig.subplots(1, 2)
    a.plot([1, 2], [3, 4], color="#0072B2", label="drawn")
    a.bar([0, 1], [0.0, 0.0], color="#D55E00", label="on loan")  # nothing to show
    a.legend()
    b.scatter([0, 0, 0], [1, 2, 3])  # every difference zero: a flat panel
    b.set_title("median time to decision")
    assert legend_problems(fig) == ["legend entry 'on loan' (#d55e00) matches nothing drawn"]
    assert flat_panels(fig) == ["median time to decision"]
    b.text(0.5, 0.5, "no difference in any replication", transform=b.transAxes)
    assert flat_panels(fig) == []


# --------------------------------------------------------------------------------------------
# Each command writes its figure set


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("figures")
    f = str(FLAGSHIP)
    common = ["--executor", "serial", "--quiet"]
    runs = {
        "run": ["run", f, "--quiet"],
        "replications": ["run", f, "--replications", "4", *common],
        "comparison": ["compare", f, "--variants", "wolf-lifted", "--replications", "4", *common],
        "sweep": [
            "sweep", f, "--param", "panel.weight=0.1:0.9", "--grid", "--levels", "3",
            "--replications", "3", *common,
        ],
        "sobol": [
            "sweep", f, "--param", "panel.weight=0.1:0.9",
            "--param", "allocation.max_share=0.1:0.5", "--design", "sobol", "--samples", "4",
            *common,
        ],
    }  # fmt: skip
    out = {}
    for kind, argv in runs.items():
        out[kind] = base / kind
        assert main([*argv, "--out", str(out[kind])]) == 0
    return out


KINDS = ["run", "replications", "comparison", "sweep", "sobol"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_command_writes_the_figure_set_of_plot(outputs, kind, tmp_path):
    d = outputs[kind]
    written = sorted(p.name for p in (d / "plots").iterdir())
    assert written == sorted(p.name for p in (d / "plots").glob("*.png"))  # no temp files left
    assert main(["plot", str(d), "--out", str(tmp_path)]) == 0
    redrawn = sorted(p.name for p in tmp_path.iterdir())
    assert written == redrawn and len(written) >= 3
    man = json.loads((d / "manifest.json").read_text())
    assert man["kind"] == ("sweep" if kind == "sobol" else kind)
    if kind != "run":  # a run directory appears whole (renamed into place) once written
        assert man["status"] == "complete"
    if kind == "comparison":
        assert {"comparison.png", "replications.png"} <= set(written)
    if kind == "sweep":
        assert all(n.startswith("sweep_panel_weight_") for n in written)
    if kind == "sobol":
        assert "sensitivity.png" in written


@pytest.mark.parametrize("kind", KINDS)
def test_no_empty_legend_entry_or_flat_panel(outputs, kind):
    figs = list(plots.dir_figures(outputs[kind]))
    assert figs
    for name, caption, fig in figs:
        assert caption and fig._suptitle is not None, name
        assert legend_problems(fig) == [], name
        assert flat_panels(fig) == [], name
        labels = [fig._suptitle.get_text(), caption]
        for ax in fig.axes:
            labels += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
            labels += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        for leg in [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend())]:
            labels += [t.get_text() for t in leg.get_texts()]
        snake = [s for s in labels if "_" in s]
        assert snake == [], f"{name}: snake_case in {snake}"


def test_no_plots_writes_no_figure(tmp_path):
    out = tmp_path / "cmp"
    argv = ["compare", str(FLAGSHIP), "--variants", "lottery", "--replications", "2"]
    assert main([*argv, "--executor", "serial", "--quiet", "--no-plots", "--out", str(out)]) == 0
    assert not (out / "plots").exists() or not any((out / "plots").iterdir())


# --------------------------------------------------------------------------------------------
# Forest, per-country n, sweep response


def test_forest_drops_an_all_zero_metric_and_says_so():
    cmp = synthetic_experiment(replications=6, points=1, seed=5)["comparison"].copy()
    zero = cmp["metric"] == "median_days_to_decision"
    assert zero.any()
    cmp.loc[zero, ["diff_mean", "ci_low", "ci_high"]] = 0.0
    fig = plots.comparison_forest(cmp)
    titles = [ax.get_title() for ax in fig.axes]
    assert "median time to decision" not in titles and len(titles) >= 2
    assert any("median time to decision" in t.get_text() for t in fig.texts)
    assert flat_panels(fig) == []


def test_country_ticks_show_n_and_fade_thin_intervals():
    rep = synthetic_experiment(replications=10, points=1, seed=4)["replications"].copy()
    rep = rep[rep["variant"] == rep["variant"].iloc[0]]
    thin = (rep["country"] == "US") & (rep["metric"] == "approval_rate")
    rep.loc[thin, "n"] = 4
    fig = plots.replication_metrics(rep, metrics=["approval_rate"])
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "US (n=4/10)" in ticks and "ALL (n=10/10)" in ticks
    lc = next(c for c in fig.axes[0].collections if isinstance(c, LineCollection))
    alphas = lc.get_colors()[:, 3]
    assert min(alphas) == pytest.approx(n_alpha(4, 10)) and max(alphas) == 1.0


@pytest.mark.parametrize("reps,band", [(2, False), (3, True)])
def test_sweep_response_points_binned_mean_and_band_only_from_3(reps, band):
    pts = pd.DataFrame({"point": [0, 1, 2], "x.count": [1, 2, 3]})
    rows = [
        {"point": p, "variant": "baseline", "replication": r, "country": "ALL",
         "metric": "approved", "value": float(p + r)}
        for p in range(3) for r in range(reps)
    ]  # fmt: skip
    fig = plots.sweep_response(pd.DataFrame(rows), pts, "x.count", "approved")
    ax = fig.axes[0]
    dots = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
    assert dots == 3 * reps  # every run drawn
    mean = ax.get_lines()[0].get_ydata()
    assert list(mean) == pytest.approx([p + (reps - 1) / 2 for p in range(3)])
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert bool(bands) == band
    assert ("no interval" in fig._suptitle.get_text()) != band


# --------------------------------------------------------------------------------------------
# Colours


def test_contrast_ratio_is_the_wcag_formula():
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)  # the WCAG AA grey
    assert contrast_ratio("#F0E442") < 3  # Okabe-Ito yellow: unreadable as a line on white


def test_every_line_and_marker_colour_has_3_to_1_contrast_on_white():
    from samplesim.plots.check import _INSIDE, _OUTSIDE
    from samplesim.plots.run_timeline import _MARKERS, _RULE_COLORS

    used = {*plots.PALETTE, *VARIANT_PALETTE, ALL_COLOR, *plots.COUNTRY_COLORS.values()}
    used |= set(_RULE_COLORS) | {c for s, (_, c, _) in _MARKERS.items() if s != "deterred"}
    used |= {_INSIDE, _OUTSIDE}
    used |= set(plots.country_colors([f"C{i}" for i in range(20)]).values())
    low = {c: round(contrast_ratio(c), 2) for c in used if contrast_ratio(c) < 3.0}
    assert low == {}


def test_country_colours_distinct_within_a_figure():
    eight = ["US", "FR", "XX", "YY", "AU", "SE", "CA", "PK"]
    cols = plots.country_colors([*eight, "ALL"])
    assert len(set(cols.values())) == 9
    assert cols["US"] == plots.COUNTRY_COLORS["US"]
    assert plots.country_colors(["US", "ZZ"])["US"] == cols["US"]


# --------------------------------------------------------------------------------------------
# The first picture is typical


def test_nearest_median_picks_the_central_row():
    v = np.array([[1.0, 10.0], [5.0, 50.0], [3.0, 30.0], [9.0, np.nan], [3.0, 31.0]])
    assert nearest_median(v) == 2
    assert nearest_median(np.array([[np.nan], [np.nan]])) == 0
    assert nearest_median(np.array([[4.0], [4.0]])) == 0  # ties: the lowest index


def test_typical_replication_is_computed_and_reproducible(flagship):
    typ = typical_replication(flagship, seed=1, of=6)
    again = samplesim.simulate(flagship, seed=1, replication=typ.replication)
    pd.testing.assert_frame_equal(typ.result.proposals, again.proposals)
    rows = []
    for r in range(6):
        s = samplesim.simulate(flagship, seed=1, replication=r).summary
        s = s[s["country"] == "ALL"].iloc[0]
        rows.append([float(s[m]) for m in typ.values])
    assert typ.replication == nearest_median(np.array(rows))
    # read from the run records, the values are the summary table's
    np.testing.assert_array_equal(list(typ.values.values()), rows[typ.replication])
    assert "of 6" in typ.describe() and "nearest the median" in typ.describe()


def test_run_says_which_replication_and_seed_reproduces_it(tmp_path, capsys):
    out = tmp_path / "typical"
    # The funnel is checked as dir_figures draws it: the files in plots/ would be unused.
    assert main(["run", str(FLAGSHIP), "--no-plots", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "one replication: replication" in said and "use --replications N" in said
    man = json.loads((out / "manifest.json").read_text())
    assert man["typical"]["of"] == 20 and man["seed"] == 1
    rep = man["replication"]
    assert f"replication {rep} of 20" in said
    fig = next(f for n, _, f in plots.dir_figures(out) if n == "funnel.png")
    assert f"replication {rep} of 20" in fig._suptitle.get_text()
    exact = tmp_path / "exact"
    argv = ["run", str(FLAGSHIP), "--seed", "1", "--replication", str(rep), "--no-plots"]
    assert main([*argv, "--out", str(exact)]) == 0
    assert "one replication (seed 1, replication" in capsys.readouterr().out
    a = pd.read_parquet(out / "proposals.parquet")
    b = pd.read_parquet(exact / "proposals.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert "typical" not in json.loads((exact / "manifest.json").read_text())


def test_figures_are_drawn_before_the_directory_is_marked_complete(tmp_path):
    seen = {}

    def hook(out: Path) -> None:
        seen["status"] = json.loads((out / "manifest.json").read_text())["status"]
        seen["tables"] = sorted(p.name for p in out.iterdir() if p.suffix in (".csv", ".parquet"))
        plots.save_dir_plots(out)

    res = samplesim.compare(
        FLAGSHIP, variants="lottery", replications=2, out=tmp_path, executor="serial",
        before_complete=hook,
    )  # fmt: skip
    assert seen["status"] == "running"
    assert {"comparison.csv", "replications.csv", "runs.parquet"} <= set(seen["tables"])
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "complete"
    assert (tmp_path / "plots" / "comparison.png").exists() and res.out == tmp_path


def test_sweep_response_of_an_outcome_no_run_has_says_so():
    pts = pd.DataFrame({"point": [0, 1], "x.count": [1, 2]})
    rows = [
        {"point": p, "variant": "baseline", "replication": 0, "country": "IT",
         "metric": "median_days_to_samples", "value": np.nan}
        for p in range(2)
    ]  # fmt: skip
    fig = plots.sweep_response(pd.DataFrame(rows), pts, "x.count", "median_days_to_samples", "IT")
    assert [t.get_text() for t in fig.axes[0].texts] == ["no run has a value of this outcome"]
    assert fig.axes[0].get_legend() is None and legend_problems(fig) == []
