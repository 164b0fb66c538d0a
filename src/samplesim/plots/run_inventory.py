"""Where one run's samples went: allocation by country and type, inventory over time."""

from __future__ import annotations

import math
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.patches import Patch

from samplesim.plots._common import (
    PALETTE,
    Size,
    country_colors,
    human,
    pct,
    root,
    run_tables,
    sort_countries,
    styled,
    target_figure,
    title_with,
)
from samplesim.scenario.units import amount_label, amount_noun

__all__ = ["allocation", "inventory_over_time"]

#: Sample-type fills: earth tones first, apart from the country colours of the tick labels.
_TYPE_COLORS = ("#8c6d31", "#6e6e6e", PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[5], PALETTE[6])
_INV_STATES = (
    ("consumed_g", "consumed", "#7f2704"),
    ("on_loan_g", "on loan", "#fd8d3c"),
    ("reserved_g", "reserved", "#9e9ac8"),
    ("remaining_g", "remaining", "#c7e9c0"),
)


#: Grams below this are rounding noise (a loan returned leaves -3e-16 g on loan).
_EPS = 1e-9


def _type_colors(types: list[str]) -> dict[str, str]:
    return {t: _TYPE_COLORS[i % len(_TYPE_COLORS)] for i, t in enumerate(types)}


def _sample_types(p: pd.DataFrame, initial: dict[str, float] | None) -> list[str]:
    types = [c.split(":", 1)[1] for c in p.columns if c.startswith("granted_g:")]
    for t in initial or {}:
        if t not in types:
            types.append(t)
    return types


@styled
def allocation(
    result: Any, *, fig: FigureBase | None = None, figsize: Size | None = None
) -> Figure:
    """Grams granted by lead country and sample type, and what became of the inventory.

    Left: stacked bars of grams finally granted (g) per country, one colour per sample type.
    Right: per sample type (and in total), the share of the initial inventory consumed, on
    loan, reserved and remaining at the end of the run, with the share granted over the run.
    Draws into ``fig`` (a figure or sub-figure) when given; ``figsize`` in inches.
    """
    rt = run_tables(result)
    p = rt.proposals
    types = _sample_types(p, rt.initial_grams)
    tcol = _type_colors(types)
    countries = sort_countries(p["country"].astype(str).unique())
    ccol = country_colors(countries)
    fig = target_figure(fig, figsize, (11, 4.6))
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.2, 1])
    x = np.arange(len(countries))
    bottom = np.zeros(len(countries))
    grp = p.groupby(p["country"].astype(str))
    for t in types:
        col = f"granted_g:{t}"
        v = (
            grp[col].sum().reindex(countries, fill_value=0).to_numpy(dtype=float)
            if col in p
            else np.zeros(len(countries))
        )
        label = human(t) if v.sum() > 0 else "_nolegend_"  # no legend entry for nothing
        ax.bar(
            x, v, bottom=bottom, color=tcol[t], width=0.7, label=label, edgecolor="white", lw=0.4
        )
        bottom += v
    req = grp["grams_requested"].sum().reindex(countries, fill_value=0).to_numpy(dtype=float)
    ax.scatter(
        x, req, marker="_", s=220, color="#444444", lw=1.5, zorder=3, label="requested (all types)"
    )
    for xi, g in zip(x, bottom, strict=True):
        if g > 0:
            ax.annotate(
                f"{g:.2f}",
                (xi, g),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks(x, countries)
    for lab, c in zip(ax.get_xticklabels(), countries, strict=True):
        lab.set_color(ccol[c])
        lab.set_fontweight("bold")
    ax.set_xlabel("lead country")
    u = rt.unit
    ax.set_ylabel(amount_label(u))
    ymax = max(float(np.nanmax(req)) if len(req) else 0, float(bottom.max()) if len(x) else 0)
    ax.set_ylim(0, max(ymax, 1e-3) * 1.15)
    ax.set_title(
        f"{amount_noun(u).capitalize()} granted by country and sample type "
        f"(total {bottom.sum():.2f} {u})"
    )
    ax.legend(title="granted by sample type", loc="upper left", frameon=False)
    ax.grid(axis="x", visible=False)

    inv = rt.inventory
    initial = dict(rt.initial_grams or {})
    rows: list[tuple[str, dict[str, float], float, float]] = []
    if inv is not None and len(inv):
        last = inv.groupby("sample_type", sort=False).tail(1).set_index("sample_type")
        for t in types:
            if t not in last.index:
                continue
            ini = initial.get(t) or float(last.loc[t, [s for s, _, _ in _INV_STATES]].sum())
            granted = float(p[f"granted_g:{t}"].sum()) if f"granted_g:{t}" in p else 0.0
            rows.append((t, {s: float(last.loc[t, s]) for s, _, _ in _INV_STATES}, ini, granted))
        if len(rows) > 1:
            tot = {s: sum(r[1][s] for r in rows) for s, _, _ in _INV_STATES}
            rows.append(("all types", tot, sum(r[2] for r in rows), sum(r[3] for r in rows)))
    if rows:
        y = np.arange(len(rows))[::-1]
        left = np.zeros(len(rows))
        for s, lab, col in _INV_STATES:
            v = np.array([r[1][s] / r[2] if r[2] else 0.0 for r in rows])
            v = np.where(np.abs(v) < _EPS, 0.0, v)
            if not v.any():
                continue  # a state no grams are in: no empty bar, no legend entry
            ax2.barh(y, v, left=left, color=col, height=0.6, label=lab, edgecolor="white", lw=0.4)
            for yi, li, vi in zip(y, left, v, strict=True):
                if vi >= 0.07:
                    ax2.text(
                        li + vi / 2,
                        yi,
                        f"{vi:.0%}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if s in ("consumed_g",) else "black",
                    )
            left += v
        ax2.set_yticks(
            y,
            [
                f"{human(r[0])}\n{r[2]:.2f} {u}, {r[3] / r[2]:.0%} granted" if r[2] else human(r[0])
                for r in rows
            ],
        )
        ax2.set_xlim(0, 1)
        ax2.xaxis.set_major_formatter(pct)
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=4, frameon=False)
        ax2.grid(axis="y", visible=False)
    else:
        ax2.text(0.5, 0.5, "no inventory table", ha="center", va="center", transform=ax2.transAxes)
    ax2.set_xlabel("share of initial inventory at the end of the run (%)")
    ax2.set_title("Inventory at the end of the run (the horizon)")
    fig.suptitle(title_with(rt.label, "Allocation of samples"))
    return root(fig)


@styled
def inventory_over_time(
    result: Any, *, fig: FigureBase | None = None, figsize: Size | None = None
) -> Figure:
    """Grams consumed / on loan / reserved / remaining over calendar time, per sample type.

    Stacked step areas (they sum to the initial grams) drawn to the scenario's horizon (when
    the tables know it, else the last event), so the final state is visible; states that never
    hold a gram are left out. One panel per sample type. Draws into ``fig`` (a figure or
    sub-figure) when given; ``figsize`` in inches.
    """
    rt = run_tables(result)
    inv = rt.inventory
    if inv is None or not len(inv):
        raise ValueError("inventory_over_time needs the run's inventory table")
    if rt.start_date is None:
        raise ValueError("inventory_over_time needs the run's start date")
    t0 = mdates.date2num(pd.Timestamp(rt.start_date))
    types = list(dict.fromkeys(inv["sample_type"].astype(str)))
    ev = rt.events
    horizon = float(inv["day"].max())
    if ev is not None and len(ev):
        horizon = max(horizon, float(ev["day"].max()))
    if rt.horizon_days is not None:
        horizon = max(horizon, float(rt.horizon_days))
    states = [st for st in _INV_STATES if (inv[st[0]].to_numpy(dtype=float) > _EPS).any()]
    ncols = min(2, len(types))
    nrows = math.ceil(len(types) / ncols)
    fig = target_figure(fig, figsize, (11, 1.6 + 3.0 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, t in zip(axes, types, strict=False):
        g = inv[inv["sample_type"].astype(str) == t].drop_duplicates("day", keep="last")
        x = np.r_[g["day"].to_numpy(dtype=float), horizon] + t0
        base = np.zeros(len(x))
        for col, lab, color in states:
            v = g[col].to_numpy(dtype=float)
            v = np.where(np.abs(v) < _EPS, 0.0, v)
            v = np.r_[v, v[-1]]
            ax.fill_between(x, base, base + v, step="post", color=color, label=lab, lw=0)
            base = base + v
        ax.step(x, base, where="post", color="#444444", lw=0.8)
        last = g.iloc[-1]
        # Grams say "g" after each amount; a longer unit, said once on its own line, would
        # otherwise run into the neighbouring title.
        u, grams = rt.unit, rt.unit == "g"
        end = ", ".join(
            f"{lab} {float(last[col]):.2f}" + (" g" if grams else "")
            for col, lab, _ in states
            if float(last[col]) > _EPS
        )
        head = f"{human(t)} ({base[0]:.2f} {u})"
        ax.set_title(
            f"{head}; at the horizon: {end}" if grams else f"{head}\nat the horizon ({u}): {end}"
        )
        ax.set_ylabel(f"{amount_noun(rt.unit)} ({rt.unit})")
        ax.set_xlabel("calendar date")
        ax.set_ylim(0, base.max() * 1.05 if base.max() > 0 else 1)
        ax.set_xlim(x[0], x[-1])
        ax.axvline(x[-1], color="#444444", lw=0.8, ls=":")
        loc = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    for ax in axes[len(types) :]:
        ax.set_visible(False)
    handles = [Patch(facecolor=c, label=lab) for _, lab, c in reversed(states)]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    fig.suptitle(title_with(rt.label, "Inventory over time by sample type, to the horizon"))
    return root(fig)
