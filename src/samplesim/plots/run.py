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
from samplesim.plots.call_funnel import call_funnel
from samplesim.plots.run_funnel import FUNNEL_STAGES, funnel
from samplesim.plots.run_inventory import allocation, inventory_over_time
from samplesim.plots.run_timeline import timeline

__all__ = [
    "FUNNEL_STAGES",
    "RUN_FIGURES",
    "TIMING_ECDF_MIN",
    "allocation",
    "funnel",
    "inventory_over_time",
    "save_run_plots",
    "timeline",
    "timing",
    "timing_form",
]


def _ecdf(ax: Any, values: np.ndarray, n_total: int, x_end: float, **kw: Any) -> None:
    v = np.sort(values[np.isfinite(values)])
    if not len(v) or not n_total:
        return
    y = np.arange(1, len(v) + 1) / n_total
    ax.step(np.r_[v[0], v, max(x_end, v[-1])], np.r_[0, y, y[-1]], where="post", **kw)


#: The timing figure draws ECDFs when the lead countries have at least this many proposals
#: each (median over countries); below, one point per proposal (an ECDF of 1-3 proposals
#: decided in one batch is a staircase that says nothing).
TIMING_ECDF_MIN = 20

_TIMING = (
    ("days_to_decision", "a decision"),
    ("days_to_samples", "samples in hand"),
)


def timing_form(proposals: Any) -> str:
    """``"ecdf"`` or ``"strip"``: the form :func:`timing` takes for this proposals table."""
    per = proposals.groupby(proposals["country"].astype(str), observed=True).size()
    return "ecdf" if len(per) and float(per.median()) >= TIMING_ECDF_MIN else "strip"


def _xlim(ax: Any, vals: np.ndarray, what: str) -> None:
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


def _strips(fig: Any, p: Any, countries: list[str], colors: dict[str, str]) -> None:
    axes = fig.subplots(1, 2)
    rows = [*countries, "ALL"]
    rng = np.random.default_rng(0)  # fixed jitter: the same table gives the same picture
    for ax, (col, what) in zip(axes, _TIMING, strict=True):
        for i, c in enumerate(rows):
            sel = p if c == "ALL" else p[p["country"].astype(str) == c]
            v = sel[col].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            y = i + rng.uniform(-0.18, 0.18, len(v))
            ax.scatter(v, y, s=22, color=colors[c], alpha=0.8, lw=0.4, edgecolors="white", zorder=3)
            if len(v):
                ax.vlines(np.median(v), i - 0.32, i + 0.32, color=colors[c], lw=2.2, zorder=4)
        ticks = []
        for c in rows:
            sel = p if c == "ALL" else p[p["country"].astype(str) == c]
            ticks.append(f"{c} ({int(sel[col].notna().sum())} of {len(sel)})")
        ax.set_yticks(range(len(rows)), ticks)
        for lab, c in zip(ax.get_yticklabels(), rows, strict=True):
            lab.set_color(colors[c])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"days from submission to {what} (days)")
        ax.set_title(f"Time to {what}: one dot per proposal, bar = median")
        _xlim(ax, p[col].to_numpy(dtype=float), what)
    axes[0].set_ylabel("lead country (proposals that got there of all)")


def _ecdfs(fig: Any, p: Any, countries: list[str], colors: dict[str, str]) -> None:
    axes = fig.subplots(1, 2, sharey=True)
    for ax, (col, what) in zip(axes, _TIMING, strict=True):
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
        _xlim(ax, p[col].to_numpy(dtype=float), what)
        ax.yaxis.set_major_formatter(pct)
    axes[0].set_ylabel("share of the country's proposals (%)")
    handles = [Line2D([], [], color=colors[c], lw=1.6, label=c) for c in countries]
    handles.append(Line2D([], [], color=ALL_COLOR, lw=2.4, ls="--", label="ALL"))
    fig.legend(handles=handles, title="lead country", loc="outside right upper", frameon=False)


@styled
def timing(
    result: Any,
    *,
    form: str | None = None,
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """Days from submission to the decision and to samples in hand, by lead country.

    ``form`` ``"strip"`` draws one dot per proposal and the median; ``"ecdf"`` draws ECDFs as
    fractions of *all* that country's proposals (a curve below 1 shows the share that never
    got there). Default: ECDFs when countries have at least :data:`TIMING_ECDF_MIN`
    proposals each (median), else strips. Draws into ``fig`` (a figure or sub-figure) when
    given; ``figsize`` in inches.
    """
    rt = run_tables(result)
    p = rt.proposals
    form = form or timing_form(p)
    if form not in ("ecdf", "strip"):
        raise ValueError(f"form must be 'ecdf' or 'strip', got {form!r}")
    countries = sort_countries(p["country"].astype(str).unique())
    colors = country_colors([*countries, "ALL"])
    height = 4.4 if form == "ecdf" else 1.6 + 0.42 * (len(countries) + 1)
    fig = target_figure(fig, figsize, (11, height))
    (_ecdfs if form == "ecdf" else _strips)(fig, p, countries, colors)
    what = "ECDF" if form == "ecdf" else "each proposal"
    fig.suptitle(title_with(rt.label, f"Time to decision and to samples ({what})"))
    return root(fig)


#: File name -> figure function, as written by :func:`save_run_plots`.
RUN_FIGURES = {
    "funnel.png": funnel,
    "allocation.png": allocation,
    "timing.png": timing,
    "timeline.png": timeline,
    "inventory.png": inventory_over_time,
    "calls.png": call_funnel,
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
