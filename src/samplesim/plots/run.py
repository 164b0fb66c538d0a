"""Figures of one run: funnel, allocation, timing, timeline (Gantt) and inventory.

Each figure lives in its own module (:mod:`~samplesim.plots.run_funnel`,
:mod:`~samplesim.plots.run_inventory`, :mod:`~samplesim.plots.run_timeline`; timing is here); this
module gathers them in :data:`RUN_FIGURES` and writes them with :func:`save_run_plots`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D

from samplesim.plots._common import (
    ALL_COLOR,
    Size,
    country_colors,
    pct,
    root,
    run_tables,
    save_figure,
    sort_countries,
    styled,
    target_figure,
    title_with,
)
from samplesim.plots.run_funnel import FUNNEL_STAGES, funnel
from samplesim.plots.run_inventory import allocation, inventory_over_time
from samplesim.plots.run_timeline import timeline

__all__ = [
    "FUNNEL_STAGES",
    "RUN_FIGURES",
    "allocation",
    "funnel",
    "inventory_over_time",
    "save_run_plots",
    "timeline",
    "timing",
]


def _ecdf(ax: Any, values: np.ndarray, n_total: int, x_end: float, **kw: Any) -> None:
    v = np.sort(values[np.isfinite(values)])
    if not len(v) or not n_total:
        return
    y = np.arange(1, len(v) + 1) / n_total
    ax.step(np.r_[v[0], v, max(x_end, v[-1])], np.r_[0, y, y[-1]], where="post", **kw)


@styled
def timing(result: Any, *, fig: FigureBase | None = None, figsize: Size | None = None) -> Figure:
    """ECDFs of days from submission to decision and to samples in hand, by lead country.

    The curves are fractions of *all* that country's proposals, so a curve that stays below 1
    shows the share that never got there (blocked, declined, pending). Draws into ``fig`` (a
    figure or sub-figure) when given; ``figsize`` in inches.
    """
    rt = run_tables(result)
    p = rt.proposals
    countries = sort_countries(p["country"].astype(str).unique())
    colors = country_colors([*countries, "ALL"])
    fig = target_figure(fig, figsize, (11, 4.4))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, col, what in zip(
        axes,
        ("days_to_decision", "days_to_samples"),
        ("a decision", "samples in hand"),
        strict=True,
    ):
        x_end = float(np.nanmax(p[col])) if p[col].notna().any() else 0.0
        for c in countries:
            sel = p["country"].astype(str) == c
            _ecdf(
                ax,
                p.loc[sel, col].to_numpy(dtype=float),
                int(sel.sum()),
                x_end,
                color=colors[c],
                lw=1.4,
                alpha=0.9,
            )
        _ecdf(ax, p[col].to_numpy(dtype=float), len(p), x_end, color=ALL_COLOR, lw=2.4, ls="--")
        ax.set_xlabel(f"days from submission to {what} (days)")
        ax.set_title(f"Time to {what}")
        ax.set_ylim(0, 1.03)
        vals = p[col].to_numpy(dtype=float)
        vals = vals[np.isfinite(vals)]
        if len(vals):
            lo, hi = float(vals.min()), float(vals.max())
            pad = max((hi - lo) * 0.05, 2.0)
            ax.set_xlim(max(0.0, lo - pad), hi + pad)
        else:
            ax.text(
                0.5,
                0.5,
                f"no proposal reached {what}",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        ax.yaxis.set_major_formatter(pct)
    axes[0].set_ylabel("share of the country's proposals (%)")
    handles = [Line2D([], [], color=colors[c], lw=1.6, label=c) for c in countries]
    handles.append(Line2D([], [], color=ALL_COLOR, lw=2.4, ls="--", label="ALL"))
    fig.legend(handles=handles, title="lead country", loc="outside right upper", frameon=False)
    fig.suptitle(title_with(rt.label, "Time to decision and to samples (ECDF)"))
    return root(fig)


#: File name -> figure function, as written by :func:`save_run_plots`.
RUN_FIGURES = {
    "funnel.png": funnel,
    "allocation.png": allocation,
    "timing.png": timing,
    "timeline.png": timeline,
    "inventory.png": inventory_over_time,
}


def save_run_plots(result: Any, out_dir: str | Path, dpi: int = 130) -> list[Path]:
    """Write funnel, allocation, timing, timeline and inventory PNGs; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rt = run_tables(result)
    paths = []
    for name, fn in RUN_FIGURES.items():
        paths.append(save_figure(fn(rt), out_dir / name, dpi=dpi))
    return paths
