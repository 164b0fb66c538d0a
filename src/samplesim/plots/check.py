"""The check figure: each observed fact against its simulated distribution."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from samplesim.metrics import METRICS
from samplesim.plots._common import Size, root, styled, target_figure

__all__ = ["check_facts"]

_SIM = "#9aa7b8"
_BAND = "#dfe6ee"
_INSIDE = "#1a7f37"
_OUTSIDE = "#c62828"


def _unit_label(metric: str) -> str:
    m = METRICS.get(metric)
    return m.axis_label if m else metric


def _fact_panel(ax, row: pd.Series, vals: np.ndarray | None) -> None:
    obs = float(row["observed"])
    inside = bool(row["inside_90"]) if pd.notna(row["inside_90"]) else False
    color = _INSIDE if inside else _OUTSIDE
    lo, hi = float(row["sim_p05"]), float(row["sim_p95"])
    ax.axvspan(lo, hi, color=_BAND, zorder=0)
    is_count = METRICS.get(row["metric"]) is not None and METRICS[row["metric"]].unit == "count"
    if vals is not None and len(vals):
        if is_count:
            ks, counts = np.unique(vals, return_counts=True)
            ax.bar(ks, counts / len(vals), width=0.8, color=_SIM, zorder=1)
        else:
            ax.hist(vals, bins=min(30, max(5, len(np.unique(vals)))), color=_SIM,
                    weights=np.full(len(vals), 1 / len(vals)), zorder=1)  # fmt: skip
        ax.set_ylabel("share of runs")
        ax.set_ylim(0, 1.12 * ax.get_ylim()[1])
    else:
        ax.set_yticks([])
    ax.axvline(float(row["sim_mean"]), color="#333333", lw=1.2, ls="--", zorder=2)
    ax.axvline(obs, color=color, lw=2.2, zorder=3)
    top = ax.get_ylim()[1]
    ax.plot([obs], [top * 0.93], marker="D", ms=9, color=color, zorder=4, clip_on=False)
    xmin, xmax = ax.get_xlim()
    if is_count:
        lo_k = min(obs, np.min(vals) if vals is not None and len(vals) else lo)
        hi_k = max(obs, np.max(vals) if vals is not None and len(vals) else hi)
        ax.set_xlim(max(lo_k - 1.2, -0.6), hi_k + 1.2)
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        pad = 0.06 * max(xmax - xmin, 1e-9)
        ax.set_xlim(min(xmin, obs - pad), max(xmax, obs + pad))
    name = row["label"]
    if row["label"] == row["fact"] and row["country"] not in ("ALL", ""):
        name = f"{name} [{row['country']}]"
    pct = "—" if math.isnan(row["percentile"]) else f"{100 * row['percentile']:.0f}"
    ax.set_title(
        f"{name} ({row['kind']})\nobserved {obs:g}: percentile {pct}, p = {row['p_value']:.2f}",
        fontsize=10,
        color=color,
    )
    ax.set_xlabel(_unit_label(row["metric"]))
    for spine in ax.spines.values():
        spine.set_edgecolor(color if not inside else "#888888")
        spine.set_linewidth(1.8 if not inside else 0.8)


def _joint_panel(ax, row: pd.Series) -> None:
    p, thr = float(row["sim_prob"]), float(row["threshold"])
    color = _OUTSIDE if not p >= thr else _INSIDE
    ax.barh([0], [p], color=color, height=0.5)
    ax.set_ylim(-0.7, 0.7)
    ax.axvline(thr, color="#333333", ls=":", lw=1.4)
    ax.set_xlim(0, max(0.2, 1.6 * p, 1.6 * thr))
    ax.set_yticks([])
    ax.text(p, 0, f" {p:.3f} ({round(p * row['n']):.0f} of {row['n']:.0f} runs)", va="center",
            ha="left", fontsize=9, bbox={"facecolor": "white", "edgecolor": "none"})  # fmt: skip
    ax.text(thr, 0.45, f" threshold {thr:g}", va="center", ha="left", fontsize=8.5)
    ax.set_title(f"together: {row['label']}\n({row['kind']}: all at once in one run)", fontsize=10,
                 color=color)  # fmt: skip
    ax.set_xlabel("probability all happen in one run (share of runs)")


@styled
def check_facts(
    table: pd.DataFrame,
    values: pd.DataFrame | None = None,
    *,
    title: str = "",
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """One small panel per observed fact of a check table (``check.csv``).

    Each panel shows the simulated distribution (``values``: one column per fact, one row per
    replication; without it only the interval), the central 90 % shaded, the mean dashed and
    the observation as a diamond and line: green inside the 90 %, red (and a red frame)
    outside. Joint facts get a bar of their simulated probability against the threshold.
    """
    n = len(table)
    ncols = min(3, max(1, n))
    nrows = math.ceil(n / ncols)
    fig = target_figure(fig, figsize, (4.3 * ncols, 2.9 * nrows + 0.9))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, row in zip(axes, table.iterrows(), strict=False):
        r = row[1]
        if r["type"] == "joint":
            _joint_panel(ax, r)
        else:
            v = None
            if values is not None and r["fact"] in values:
                v = values[r["fact"]].to_numpy(dtype=float)
                v = v[np.isfinite(v)]
            _fact_panel(ax, r, v)
    for ax in axes[n:]:
        ax.set_visible(False)
    inside = int(table.loc[table["type"] == "fact", "inside_90"].fillna(False).sum())
    n_facts = int((table["type"] == "fact").sum())
    runs = int(table["n"].max()) if n else 0
    head = f"{title}: " if title else ""
    fig.suptitle(
        f"{head}observed facts against {runs} simulated runs — {inside} of {n_facts} inside "
        "the central 90 %",
        fontsize=12,
    )
    handles = [
        Patch(color=_SIM, label="simulated runs"),
        Patch(color=_BAND, label="central 90 % of runs"),
        Line2D([], [], color="#333333", ls="--", label="simulated mean"),
        Line2D([], [], color=_INSIDE, marker="D", label="observed, inside 90 %"),
        Line2D([], [], color=_OUTSIDE, marker="D", label="observed, outside 90 %"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=9, frameon=False)
    return root(fig)
