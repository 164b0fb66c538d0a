"""Figures from an output directory: a single run (``samplesim run``) or an experiment
(``samplesim compare`` / ``replicate`` / ``sweep``), detected by its files and manifest."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
from matplotlib.figure import Figure

from samplesim.outcomes import SimulationResult
from samplesim.paths import atomic_write, ensure_dir
from samplesim.plots._common import (
    PLOT_UNIT,
    RunTables,
    human,
    metric_title,
    run_tables,
    save_figure,
)
from samplesim.plots.many import (
    comparison_forest,
    morris_bars,
    replication_metrics,
    replication_trace,
    sensitivity_bars,
    sweep_response,
)
from samplesim.plots.run import RUN_FIGURES, timing_form
from samplesim.results_dir import (
    detect_kind,
    load_experiment_tables,
    load_run_tables,
    read_manifest,
)

__all__ = [
    "FigureItem",
    "detect_kind",
    "dir_figures",
    "load_experiment",
    "load_run",
    "read_manifest",
    "save_dir_plots",
]

_CAPTIONS = {
    "funnel.png": "Proposals reaching each workflow stage, and where and why they ended.",
    "allocation.png": "Grams granted by country and sample type; the inventory at the end.",
    "timing.png": "Days from submission to the decision and to samples in hand.",
    "timeline.png": "Each proposal's stages on the calendar; hatched: rule-induced delays.",
    "inventory.png": "Inventory to the horizon: remaining, reserved, on loan, consumed grams.",
    "calls.png": "Proposals reaching each workflow stage, one panel per call.",
}


def caption(name: str, proposals: pd.DataFrame) -> str:
    """The caption of a run figure (the timing figure says which form it takes)."""
    if name == "timing.png":
        form = "ECDF" if timing_form(proposals) == "ecdf" else "one point per proposal"
        return _CAPTIONS[name][:-1] + f" ({form})."
    return _CAPTIONS[name]


#: (file name, caption, figure)
FigureItem = tuple[str, str, Figure]


def load_run(path: str | Path) -> SimulationResult:
    """A single-run output directory as a :class:`SimulationResult` (tables only)."""
    t = load_run_tables(path)
    m, proposals, events, inventory = t["manifest"], t["proposals"], t["events"], t["inventory"]
    summary, rules, reviews = t["summary"], t["rules"], t["reviews"]
    path = Path(path)
    rt = run_tables({"proposals": proposals, "events": events, "inventory": inventory})
    return SimulationResult(
        scenario=str(m.get("scenario", path.name)),
        variant=str(m.get("variant", "baseline")),
        seed=int(m.get("seed", 0) or 0),
        replication=int(m.get("replication", 0) or 0),
        start_date=rt.start_date or dt.date(2000, 1, 1),
        proposals=proposals,
        events=events,
        summary=summary if summary is not None else pd.DataFrame(),
        inventory=inventory,
        rules=rules if rules is not None else pd.DataFrame(),
        initial_grams=dict(rt.initial_grams or {}),
        reviews=reviews,
        calls=t["calls"] if t["calls"] is not None else pd.DataFrame(),
        unit=t["unit"],
        periods=t["periods"],
    )


def load_experiment(path: str | Path) -> dict[str, pd.DataFrame]:
    """The many-run tables present in an experiment directory (``runs`` from runs.parquet or
    ``parts/*.parquet``)."""
    return load_experiment_tables(path)


def _first_point(df: pd.DataFrame) -> pd.DataFrame:
    if "point" in df and df["point"].nunique() > 1:
        return df[df["point"] == df["point"].min()]
    return df


def run_label(rt: RunTables, m: dict[str, Any]) -> str:
    """The run's label with what the manifest says about it: which replication of how many,
    chosen how, or that it is one replication."""
    typ = m.get("typical")
    if isinstance(typ, dict) and typ.get("of"):
        rep = m.get("replication", 0)
        return (
            f"{m.get('scenario', '')} / {m.get('variant', 'baseline')}: replication {rep} of "
            f"{typ['of']} (seed {m.get('seed')}), {typ.get('rule', 'nearest the median')}"
        )
    if m.get("seed") is not None:
        return f"{rt.label} (one replication)"
    return rt.label


def _run_figures(
    res: SimulationResult | RunTables, m: dict[str, Any] | None = None
) -> Iterator[FigureItem]:
    rt = run_tables(res)
    if m:
        horizon = m.get("horizon_days")
        rt = attrs.evolve(
            rt,
            label=run_label(rt, m),
            horizon_days=float(horizon) if horizon is not None else rt.horizon_days,
        )
    for name, fn in RUN_FIGURES.items():
        yield name, caption(name, rt.proposals), fn(rt)


def _experiment_figures(kind: str, t: dict[str, pd.DataFrame], m: dict[str, Any]):
    runs = t.get("runs")
    if kind == "comparison" and "comparison" in t and len(t["comparison"]):
        cmp = t["comparison"]
        yield (
            "comparison.png",
            "Paired difference of each variant from the baseline (95 % CI), whole run.",
            comparison_forest(cmp),
        )
        countries = [c for c in sorted(cmp["country"].unique()) if c != "ALL"]
        if countries:
            per = [
                m
                for m in ("approval_rate", "grams_granted", "median_days_to_decision")
                if m in set(cmp["metric"])
            ]
            if per:
                yield (
                    "comparison_countries.png",
                    "Paired differences from the baseline by lead country (95 % CI).",
                    comparison_forest(cmp, metrics=per, countries=["ALL", *countries]),
                )
    if kind in ("replications", "comparison") and "replications" in t and len(t["replications"]):
        yield (
            "replications.png",
            "Mean of each metric over the replications with its 95 % CI, by lead country.",
            replication_metrics(_first_point(t["replications"])),
        )
    if kind in ("replications", "comparison") and runs is not None and len(runs):
        for metric in ("approval_rate", "grams_granted"):
            if ((runs["metric"] == metric) & (runs["country"] == "ALL")).any():
                yield (
                    f"trace_{metric}.png",
                    f"Running mean of {metric_title(metric)} (all countries), replication by "
                    "replication.",
                    replication_trace(runs, metric),
                )
    if kind == "sweep" and runs is not None and "points" in t:
        params = [c for c in t["points"].columns if c != "point"][:4]
        outcomes = [
            o.partition("@")
            for o in m.get("outcomes") or ["approved", "grams_granted", "median_days_to_samples"]
        ]
        for param in params:
            for metric, _, cc in outcomes[:3]:
                country = cc or "ALL"
                if not ((runs["metric"] == metric) & (runs["country"] == country)).any():
                    continue
                safe = param.replace(".", "_").replace("/", "_")
                yield (
                    f"sweep_{safe}_{metric}{'_' + cc if cc else ''}.png",
                    f"{metric_title(metric)} [{country}] against {human(param)}: runs and mean.",
                    sweep_response(runs, t["points"], param, metric, country=country),
                )
    if "sensitivity" in t and len(t["sensitivity"]):
        yield (
            "sensitivity.png",
            "Sobol first-order (S1) and total (ST) sensitivity indices with 95 % confidence.",
            sensitivity_bars(t["sensitivity"]),
        )
    if "morris" in t and len(t["morris"]):
        yield (
            "morris.png",
            "Morris mu* per parameter with 95 % confidence and the dummy's noise floor.",
            morris_bars(t["morris"]),
        )


def dir_figures(path: str | Path) -> Iterator[FigureItem]:
    """Every applicable figure of an output directory, as (file name, caption, figure)."""
    path = Path(path)
    kind = detect_kind(path)
    m = read_manifest(path)
    token = PLOT_UNIT.set(str(m.get("unit") or "g"))
    try:
        if kind == "run":
            yield from _run_figures(load_run(path), m)
        else:
            yield from _experiment_figures(kind, load_experiment(path), m)
    finally:
        with contextlib.suppress(ValueError):  # finalised in another context: nothing set
            PLOT_UNIT.reset(token)


def save_dir_plots(path: str | Path, out_dir: str | Path | None = None, dpi: int = 130):
    """Re-draw every applicable figure of ``path`` into ``out_dir`` (default path/plots);
    each file is replaced atomically (a symlink is replaced, not followed)."""
    path = Path(path)
    out = Path(out_dir) if out_dir is not None else path / "plots"
    detect_kind(path)
    figures = dir_figures(path)
    first = next(figures, None)  # reads the tables: a damaged file fails before any write
    ensure_dir(out)
    paths = []
    for name, _, fig in itertools.chain([first] if first else [], figures):
        atomic_write(out / name, partial(save_figure, fig, dpi=dpi), suffix=Path(name).suffix)
        paths.append(out / name)
    return paths
