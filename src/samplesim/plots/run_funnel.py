"""The funnel of one run: proposals reaching each stage, and where and why they ended.

The bars are :data:`samplesim.stages.FUNNEL`; the terminal states are those of
:data:`samplesim.stages.TERMINAL_STATES` (blocked ones split by the blocking rule).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.patches import Patch

from samplesim.plots._common import (
    Size,
    country_colors,
    root,
    run_tables,
    sort_countries,
    styled,
    target_figure,
    title_with,
)
from samplesim.stages import FUNNEL, FunnelStep

__all__ = ["FUNNEL_STAGES", "funnel"]

#: The funnel's bar labels, in order (from :data:`samplesim.stages.FUNNEL`; "intents" is
#: drawn only when some proposal sent a notice of intent).
FUNNEL_STAGES: tuple[str, ...] = tuple(s.label for s in FUNNEL)


def funnel_steps(p: pd.DataFrame) -> list[FunnelStep]:
    """The funnel's steps for proposals table ``p``: the intent step only when some
    proposal sent a notice of intent."""
    has = "intent_day" in p.columns and bool(p["intent_day"].notna().any())
    return [s for s in FUNNEL if s.stage != "intent" or has]


def _reached(p: pd.DataFrame, step: FunnelStep) -> np.ndarray:
    """Which proposals reached ``step`` (``approved``: awarded grams at the decision, or
    approved with a data-only request)."""
    if step.stage == "approved":
        data_only = (p["state"].astype(str) == "approved_no_material").to_numpy()
        return (p["grams_awarded"].fillna(0) > 0).to_numpy() | data_only
    return p[f"{step.stage}_day"].notna().to_numpy()


def _country_legend(fig: FigureBase, countries: list[str], title: str = "lead country", **kw: Any):
    colors = country_colors(countries)
    handles = [Patch(facecolor=colors[c], label=c) for c in countries]
    kw.setdefault("loc", "outside right upper")
    return fig.legend(handles=handles, title=title, frameon=False, **kw)


def _outcome_category(p: pd.DataFrame) -> pd.Series:
    state = p["state"].astype(str)
    reason = p["reason"].fillna("").astype(str)
    cond = p["conditions"].fillna("").astype(str) if "conditions" in p else reason * 0
    rule = reason.str.split(":", n=1).str[0].str.strip()
    cat = state.str.replace("_", " ")
    cat = cat.mask(state == "blocked", "blocked: " + rule)
    cat = cat.mask(state == "deterred", "deterred: " + rule)
    cat = cat.mask((state == "delivered") & (cond != ""), "delivered, with conditions")
    return cat


@styled
def funnel(
    result_or_proposals: Any, *, fig: FigureBase | None = None, figsize: Size | None = None
) -> Figure:
    """Proposals per stage by lead country (stacked bars), and where/why proposals ended.

    Left: submitted -> screened -> legally cleared -> shortlisted -> approved -> samples in
    hand, stacked by country; applications a deterrence rule prevented are a hatched
    "deterred by rules" segment on top of the submitted bar. Right: proposals by terminal
    state, blocked ones split by the rule that blocked them (the rule name from ``reason``),
    stacked by country. Draws into ``fig`` (a figure or sub-figure) when given; ``figsize``
    in inches.
    """
    rt = run_tables(result_or_proposals)
    p = rt.proposals
    countries = sort_countries(p["country"].astype(str).unique())
    colors = country_colors(countries)
    fig = target_figure(fig, figsize, (11, 4.6))
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.15, 1])
    steps = funnel_steps(p)
    counts = (
        pd.DataFrame({s.label: pd.Series(_reached(p, s), index=p.index) for s in steps})
        .groupby(p["country"].astype(str).to_numpy())
        .sum()
    )
    counts = counts.reindex(countries, fill_value=0)
    x = np.arange(len(steps))
    sub = [s.stage for s in steps].index("submitted")
    bottom = np.zeros(len(x))
    for c in countries:
        v = counts.loc[c].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, color=colors[c], width=0.7, edgecolor="white", lw=0.4)
        bottom += v
    # Applications a deterrence rule prevented: a hatched segment on top of "submitted".
    n_deterred = int((p["state"].astype(str) == "deterred").sum())
    tops = bottom.copy()
    if n_deterred:
        ax.bar(
            x[sub], n_deterred, bottom=bottom[sub], width=0.7, color="none", edgecolor="#777777",
            hatch="///", lw=0.6, label=f"deterred by rules ({n_deterred}): would have applied",
        )  # fmt: skip
        tops[sub] += n_deterred
        ax.legend(loc="upper right", frameon=False, fontsize=8)
    for xi, tot, top in zip(x, bottom, tops, strict=True):
        ax.annotate(
            f"{int(tot)}" + (f" +{int(top - tot)}" if top > tot else ""),
            (xi, top),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(x, [s.label.replace(" ", "\n", 1) for s in steps])
    ax.set_ylabel("proposals (count)")
    ax.set_xlabel("workflow stage reached")
    ax.set_ylim(0, max(1.0, tops.max()) * (1.25 if n_deterred else 1.1))
    ax.set_title("Proposals reaching each stage")
    ax.grid(axis="x", visible=False)

    cat = _outcome_category(p)
    tab = pd.crosstab(cat, p["country"].astype(str)).reindex(columns=countries, fill_value=0)
    order = tab.sum(axis=1).sort_values(kind="stable").index
    tab = tab.loc[order]
    y = np.arange(len(tab))
    left = np.zeros(len(tab))
    for c in countries:
        v = tab[c].to_numpy(dtype=float)
        ax2.barh(y, v, left=left, color=colors[c], height=0.65, edgecolor="white", lw=0.4)
        left += v
    for yi, tot in zip(y, left, strict=True):
        ax2.annotate(
            f"{int(tot)}",
            (tot, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax2.set_yticks(y, [_wrap(s, 28) for s in tab.index])
    ax2.set_xlabel("proposals (count)")
    ax2.set_xlim(0, max(1.0, left.max() if len(left) else 1.0) * 1.12)
    ax2.set_title("Where proposals ended (terminal state / blocking rule)")
    ax2.grid(axis="y", visible=False)
    _country_legend(fig, countries)
    n_sub = len(p) - n_deterred
    extra = f", {n_deterred} deterred" if n_deterred else ""
    fig.suptitle(title_with(rt.label, f"Proposal funnel ({n_sub} proposals{extra})"))
    return root(fig)


def _wrap(s: str, width: int) -> str:
    if len(s) <= width:
        return s
    cut = s.rfind(" ", 0, width)
    cut = cut if cut > 0 else width
    return s[:cut] + "\n" + s[cut:].strip()
