"""Figures from an output directory: a single run (``samplesim run``) or an experiment
(``samplesim compare`` / ``replicate`` / ``sweep``), detected by its files and manifest."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from samplesim.errors import UserError
from samplesim.outcomes import SimulationResult
from samplesim.paths import atomic_write, ensure_dir
from samplesim.plots._common import RunTables, run_tables, save_figure
from samplesim.plots.many import (
    comparison_forest,
    replication_metrics,
    replication_trace,
    sensitivity_bars,
    sweep_response,
)
from samplesim.plots.run import RUN_FIGURES

__all__ = [
    "FigureItem",
    "detect_kind",
    "dir_figures",
    "load_experiment",
    "load_run",
    "read_manifest",
    "save_dir_plots",
]

_RUN_FILES = ("proposals.parquet", "events.parquet", "inventory.parquet")
_EXPERIMENT_KINDS = ("replications", "comparison", "sweep")
_CAPTIONS = {
    "funnel.png": "Proposals reaching each workflow stage, and where and why they ended.",
    "allocation.png": "Grams granted by country and sample type; the inventory at the end.",
    "timing.png": "Days from submission to the decision and to samples in hand (ECDF).",
    "timeline.png": "Each proposal's stages on the calendar; hatched: rule-induced delays.",
    "inventory.png": "Inventory over time: remaining, reserved, on loan and consumed grams.",
}

#: (file name, caption, figure)
FigureItem = tuple[str, str, Figure]


def read_manifest(path: Path) -> dict[str, Any]:
    """The directory's ``manifest.json`` ({} if there is none); UserError if unreadable."""
    f = Path(path) / "manifest.json"
    if not f.exists():
        return {}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{f}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UserError(f"{f}: expected a JSON object")
    return data


def detect_kind(path: str | Path) -> str:
    """``run``, ``replications``, ``comparison`` or ``sweep``; UserError for anything else."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such directory")
    if not path.is_dir():
        raise UserError(f"{path}: not a directory")
    manifest = read_manifest(path)
    kind = manifest.get("kind")
    if kind in _EXPERIMENT_KINDS:
        return str(kind)
    if all((path / f).exists() for f in _RUN_FILES):
        return "run"
    if (path / "comparison.csv").exists():
        return "comparison"
    if (path / "sensitivity.csv").exists() or (path / "points.csv").exists():
        return "sweep"
    if (path / "replications.csv").exists():
        return "replications"
    raise UserError(
        f"{path}: not a samplesim output directory (expected proposals.parquet, events.parquet "
        "and inventory.parquet of a run, or replications.csv / comparison.csv / points.csv of "
        "an experiment)"
    )


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a corrupt file
        raise UserError(f"{path}: cannot read ({exc})") from None


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # keep_default_na=False: the country code NA (Namibia) must stay a string.
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except Exception as exc:
        raise UserError(f"{path}: cannot read ({exc})") from None


def load_run(path: str | Path) -> SimulationResult:
    """A single-run output directory as a :class:`SimulationResult` (tables only)."""
    path = Path(path)
    missing = [f for f in _RUN_FILES if not (path / f).exists()]
    if missing:
        raise UserError(f"{path}: not a run directory (missing {', '.join(missing)})")
    m = read_manifest(path)
    proposals = _read_parquet(path / "proposals.parquet")
    events = _read_parquet(path / "events.parquet")
    inventory = _read_parquet(path / "inventory.parquet")
    need = {"proposal_id", "country", "state", "submitted_day"}
    if not need <= set(proposals.columns):
        raise UserError(
            f"{path}/proposals.parquet: missing columns {sorted(need - set(proposals))}"
        )
    summary = _read_csv(path / "summary.csv") if (path / "summary.csv").exists() else None
    rules = _read_csv(path / "rules.csv") if (path / "rules.csv").exists() else None
    rv = path / "reviews.parquet"  # absent from outputs of older versions
    reviews = _read_parquet(rv) if rv.exists() else pd.DataFrame()
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
    )


def load_experiment(path: str | Path) -> dict[str, pd.DataFrame]:
    """The many-run tables present in an experiment directory (``runs`` from runs.parquet or
    ``parts/*.parquet``)."""
    path = Path(path)
    out: dict[str, pd.DataFrame] = {}
    for name in ("replications", "comparison", "points", "sensitivity"):
        f = path / f"{name}.csv"
        if f.exists():
            out[name] = _read_csv(f)
    if (path / "runs.parquet").exists():
        out["runs"] = _read_parquet(path / "runs.parquet")
    elif (path / "parts").is_dir():
        parts = sorted((path / "parts").glob("*.parquet"))
        if parts:
            out["runs"] = pd.concat([_read_parquet(p) for p in parts], ignore_index=True)
    if not out:
        raise UserError(f"{path}: no experiment tables found")
    return out


def _first_point(df: pd.DataFrame) -> pd.DataFrame:
    if "point" in df and df["point"].nunique() > 1:
        return df[df["point"] == df["point"].min()]
    return df


def _run_figures(res: SimulationResult | RunTables) -> Iterator[FigureItem]:
    rt = run_tables(res)
    for name, fn in RUN_FIGURES.items():
        yield name, _CAPTIONS[name], fn(rt)


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
                    f"Running mean of {metric} (all countries) as replications accumulate.",
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
                    f"Mean {metric} [{country}] against {param} (95 % CI).",
                    sweep_response(runs, t["points"], param, metric, country=country),
                )
    if "sensitivity" in t and len(t["sensitivity"]):
        yield (
            "sensitivity.png",
            "Sobol first-order (S1) and total (ST) sensitivity indices with 95 % confidence.",
            sensitivity_bars(t["sensitivity"]),
        )


def dir_figures(path: str | Path) -> Iterator[FigureItem]:
    """Every applicable figure of an output directory, as (file name, caption, figure)."""
    path = Path(path)
    kind = detect_kind(path)
    if kind == "run":
        yield from _run_figures(load_run(path))
    else:
        yield from _experiment_figures(kind, load_experiment(path), read_manifest(path))


def save_dir_plots(path: str | Path, out_dir: str | Path | None = None, dpi: int = 130):
    """Re-draw every applicable figure of ``path`` into ``out_dir`` (default path/plots);
    each file is replaced atomically (a symlink is replaced, not followed)."""
    path = Path(path)
    out = Path(out_dir) if out_dir is not None else path / "plots"
    detect_kind(path)
    ensure_dir(out)
    paths = []
    for name, _, fig in dir_figures(path):
        atomic_write(out / name, partial(save_figure, fig, dpi=dpi), suffix=Path(name).suffix)
        paths.append(out / name)
    return paths
