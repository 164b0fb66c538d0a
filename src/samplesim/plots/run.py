"""Figures of one run: funnel, allocation, timing, timeline (Gantt) and inventory."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from samplesim.plots._common import (
    ALL_COLOR,
    Size,
    country_colors,
    root,
    run_tables,
    save_figure,
    sort_countries,
    styled,
    target_axes,
    target_figure,
    title_with,
)

__all__ = [
    "FUNNEL_STAGES",
    "allocation",
    "funnel",
    "inventory_over_time",
    "save_run_plots",
    "timeline",
    "timing",
]

#: Funnel stages: label -> how a proposal counts as having reached it.
FUNNEL_STAGES: tuple[str, ...] = (
    "submitted",
    "screened",
    "legally cleared",
    "shortlisted",
    "approved",
    "samples in hand",
)

_STAGE_TEST = {
    "submitted": lambda p: np.ones(len(p), dtype=bool),
    "screened": lambda p: p["screened_day"].notna().to_numpy(),
    "legally cleared": lambda p: p["cleared_day"].notna().to_numpy(),
    "shortlisted": lambda p: p["shortlisted_day"].notna().to_numpy(),
    "approved": lambda p: (p["grams_awarded"].fillna(0) > 0).to_numpy(),
    "samples in hand": lambda p: p["samples_day"].notna().to_numpy(),
}

_TYPE_COLORS = ("#8c6d31", "#bdbdbd", "#e6550d", "#6b6ecf", "#74c476", "#d6616b", "#3182bd")
_INV_STATES = (
    ("consumed_g", "consumed", "#7f2704"),
    ("on_loan_g", "on loan", "#fd8d3c"),
    ("reserved_g", "reserved", "#9e9ac8"),
    ("remaining_g", "remaining", "#c7e9c0"),
)


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
    cat = cat.mask((state == "delivered") & (cond != ""), "delivered, with conditions")
    return cat


@styled
def funnel(
    result_or_proposals: Any, *, fig: FigureBase | None = None, figsize: Size | None = None
) -> Figure:
    """Proposals per stage by lead country (stacked bars), and where/why proposals ended.

    Left: submitted -> screened -> legally cleared -> shortlisted -> approved -> samples in
    hand, stacked by country. Right: proposals by terminal state, blocked ones split by the
    rule that blocked them (the rule name from ``reason``), stacked by country. Draws into
    ``fig`` (a figure or sub-figure) when given; ``figsize`` in inches.
    """
    rt = run_tables(result_or_proposals)
    p = rt.proposals
    countries = sort_countries(p["country"].astype(str).unique())
    colors = country_colors(countries)
    fig = target_figure(fig, figsize, (11, 4.6))
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.15, 1])
    counts = (
        pd.DataFrame({s: pd.Series(_STAGE_TEST[s](p), index=p.index) for s in FUNNEL_STAGES})
        .groupby(p["country"].astype(str).to_numpy())
        .sum()
    )
    counts = counts.reindex(countries, fill_value=0)
    x = np.arange(len(FUNNEL_STAGES))
    bottom = np.zeros(len(x))
    for c in countries:
        v = counts.loc[c].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, color=colors[c], width=0.7, edgecolor="white", lw=0.4)
        bottom += v
    for xi, tot in zip(x, bottom, strict=True):
        ax.annotate(
            f"{int(tot)}",
            (xi, tot),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(x, [s.replace(" ", "\n", 1) for s in FUNNEL_STAGES])
    ax.set_ylabel("proposals (count)")
    ax.set_xlabel("workflow stage reached")
    ax.set_ylim(0, max(1.0, bottom.max()) * 1.1)
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
    fig.suptitle(title_with(rt.label, f"Proposal funnel ({len(p)} proposals)"))
    return root(fig)


def _wrap(s: str, width: int) -> str:
    if len(s) <= width:
        return s
    cut = s.rfind(" ", 0, width)
    cut = cut if cut > 0 else width
    return s[:cut] + "\n" + s[cut:].strip()


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
        ax.bar(x, v, bottom=bottom, color=tcol[t], width=0.7, label=t, edgecolor="white", lw=0.4)
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
    ax.set_ylabel("grams granted (g)")
    ymax = max(float(np.nanmax(req)) if len(req) else 0, float(bottom.max()) if len(x) else 0)
    ax.set_ylim(0, max(ymax, 1e-3) * 1.15)
    ax.set_title(f"Grams granted by country and sample type (total {bottom.sum():.2f} g)")
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
            y, [f"{r[0]}\n{r[2]:.2f} g, {r[3] / r[2]:.0%} granted" if r[2] else r[0] for r in rows]
        )
        ax2.set_xlim(0, 1)
        ax2.xaxis.set_major_formatter(_pct)
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=4, frameon=False)
        ax2.grid(axis="y", visible=False)
    else:
        ax2.text(0.5, 0.5, "no inventory table", ha="center", va="center", transform=ax2.transAxes)
    ax2.set_xlabel("share of initial inventory at the end of the run (%)")
    ax2.set_title("Inventory at the end of the run")
    fig.suptitle(title_with(rt.label, "Allocation of samples"))
    return root(fig)


def _pct_fmt(v: float, _pos: Any = None) -> str:
    return f"{v:.0%}"


_pct = FuncFormatter(_pct_fmt)


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
        ax.yaxis.set_major_formatter(_pct)
    axes[0].set_ylabel("share of the country's proposals (%)")
    handles = [Line2D([], [], color=colors[c], lw=1.6, label=c) for c in countries]
    handles.append(Line2D([], [], color=ALL_COLOR, lw=2.4, ls="--", label="ALL"))
    fig.legend(handles=handles, title="lead country", loc="outside right upper", frameon=False)
    fig.suptitle(title_with(rt.label, "Time to decision and to samples (ECDF)"))
    return root(fig)


# --- timeline -------------------------------------------------------------------------------

# Phase of the interval that ends at a stage (stage -> phase), in workflow order.
_PHASE_OF = {
    "screened": "screening",
    "cleared": "screening",
    "review_start": "peer review",
    "reviewed": "peer review",
    "shortlisted": "shortlist & panel",
    "panel": "shortlist & panel",
    "decision": "awaiting decision",
    "agreement": "loan agreement",
    "shipped": "shipping",
    "samples": "shipping",
    "returned": "samples on loan",
}
_PHASE_COLORS = {
    "screening": "#bdbdbd",
    "peer review": "#9ecae1",
    "shortlist & panel": "#bcbddc",
    "awaiting decision": "#f0e6cc",
    "loan agreement": "#fdae6b",
    "shipping": "#a1d99b",
    "samples on loan": "#31a354",
}
_RULE_COLORS = ("#e7298a", "#b2182b", "#7a0177", "#d95f02")
_RULE_HATCHES = ("////", "xxxx", "\\\\\\\\", "....")
_END_MARKERS = {
    "delivered": ("o", "#006d2c", "samples in hand"),
    "blocked": ("X", "#b2182b", "blocked by a rule"),
    "declined": ("v", "#555555", "declined"),
    "not_shortlisted": ("|", "#555555", "not shortlisted"),
    "incomplete": ("x", "#555555", "screened out"),
    "ineligible": ("x", "#555555", "screened out"),
    "pending": (">", "#555555", "pending at horizon"),
}
_STAGES = tuple(_PHASE_OF)


def _rule_spans(events: pd.DataFrame | None, ids: set[str], horizon: float) -> pd.DataFrame:
    """Rule-induced delays: each ``rule_wait`` paired with the next ``rule`` row."""
    cols = ["proposal_id", "rule", "start", "end"]
    if events is None or not len(events):
        return pd.DataFrame(columns=cols)
    ev = events[events["proposal_id"].isin(ids) & events["kind"].isin(["rule_wait", "rule"])]
    out = []
    for (pid, name), g in ev.groupby(["proposal_id", "name"], sort=False):
        g = g.sort_values("day", kind="stable")
        start = None
        for kind, day in zip(g["kind"], g["day"], strict=True):
            if kind == "rule_wait":
                start = float(day)
            elif start is not None:
                out.append((pid, name, start, float(day)))
                start = None
        if start is not None:
            out.append((pid, name, start, horizon))
    return pd.DataFrame(out, columns=cols)


def _select_rows(p: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, str]:
    if len(p) <= max_rows:
        return p, ""
    short = p[p["shortlisted_day"].notna()]
    if len(short) >= max_rows:
        return short.head(max_rows), f"first {max_rows} shortlisted of {len(p)} proposals"
    rest = p[p["shortlisted_day"].isna()].head(max_rows - len(short))
    sel = pd.concat([short, rest]).sort_index()
    if not len(short):
        return sel, f"first {max_rows} of {len(p)} proposals (none shortlisted)"
    return sel, f"all {len(short)} shortlisted + first {len(rest)} others of {len(p)} proposals"


@styled
def timeline(
    result: Any, max_rows: int = 40, *, ax: Axes | None = None, figsize: Size | None = None
) -> Figure:
    """Calendar Gantt chart of each proposal's stages in one run.

    One row per proposal (id, institution, country; labels in the country colour), one bar
    segment per workflow phase, rule-induced delays (``rule_wait`` .. ``rule`` events) drawn
    over them hatched, and a marker where the proposal ended. Runs with more than ``max_rows``
    proposals show the first ``max_rows`` shortlisted ones (the title says so). Draws into
    ``ax`` when given (legend and title then go on the axes); ``figsize`` in inches.
    """
    rt = run_tables(result)
    p = rt.proposals.sort_values(["submitted_day", "proposal_id"], kind="stable")
    p, note = _select_rows(p, max_rows)
    if rt.start_date is None:
        raise ValueError("timeline needs the run's start date (a SimulationResult or events)")
    t0 = mdates.date2num(pd.Timestamp(rt.start_date))
    ev = rt.events
    horizon = float(np.nanmax(ev["day"])) if ev is not None and len(ev) else np.nan
    day_cols = [f"{s}_day" for s in ("submitted", *_STAGES)]
    if not np.isfinite(horizon):
        horizon = float(np.nanmax(p[day_cols].to_numpy(dtype=float))) if len(p) else 0.0
    end_day: dict[str, float] = {}
    if ev is not None and len(ev):
        term = ev[ev["kind"] == "terminal"].drop_duplicates("proposal_id", keep="last")
        end_day = dict(zip(term["proposal_id"], term["day"].astype(float), strict=True))
    n = len(p)
    own = ax is None
    fig, ax = target_axes(ax, figsize, (12, 2.2 + 0.27 * max(n, 4)))
    ccol = country_colors(p["country"].astype(str).unique())
    used_phases: list[str] = []
    days = p[day_cols].to_numpy(dtype=float)
    ids = p["proposal_id"].astype(str).to_numpy()
    states = p["state"].astype(str).to_numpy()
    used_ends: dict[str, tuple[str, str]] = {}
    for i in range(n):
        row = days[i]
        prev = row[0]
        if not np.isfinite(prev):
            continue
        segs: list[tuple[float, float, str]] = []
        last_stage_idx = 0
        for j, s in enumerate(_STAGES, start=1):
            d = row[j]
            if np.isfinite(d):
                if d > prev:
                    segs.append((prev, d, _PHASE_OF[s]))
                prev = max(prev, d)
                last_stage_idx = j
        # The stretch from the last stage reached to the end is the next (unfinished) phase.
        end = end_day.get(ids[i], np.nan)
        if states[i] == "pending":
            end = horizon
        if np.isfinite(end) and end > prev and last_stage_idx < len(_STAGES):
            segs.append((prev, end, _PHASE_OF[_STAGES[last_stage_idx]]))
            prev = end
        for a, b, ph in segs:
            ax.broken_barh(
                [(t0 + a, b - a)], (i - 0.34, 0.68), facecolors=_PHASE_COLORS[ph], edgecolor="none"
            )
            if ph not in used_phases:
                used_phases.append(ph)
        mk = _END_MARKERS.get(states[i])
        if mk is not None:
            xd = row[day_cols.index("samples_day")] if states[i] == "delivered" else prev
            if np.isfinite(xd):
                ax.plot(t0 + xd, i, marker=mk[0], color=mk[1], ms=6, ls="none", zorder=4, mew=1.6)
                used_ends.setdefault(mk[2], mk)
    spans = _rule_spans(ev, set(ids), horizon)
    rules = list(dict.fromkeys(spans["rule"]))
    rstyle = {r: (_RULE_COLORS[k % 4], _RULE_HATCHES[k % 4]) for k, r in enumerate(rules)}
    pos = {pid: i for i, pid in enumerate(ids)}
    for pid, rule, a, b in spans.itertuples(index=False):
        c, h = rstyle[rule]
        ax.broken_barh(
            [(t0 + a, max(b - a, 0.5))],
            (pos[pid] - 0.34, 0.68),
            facecolors="white",
            edgecolor=c,
            hatch=h,
            lw=0.8,
            zorder=3,
        )
    labels = [
        f"{pid}  {_short(inst, 30)} ({cc})"
        for pid, inst, cc in zip(
            ids, p["institution"].astype(str), p["country"].astype(str), strict=True
        )
    ]
    ax.set_yticks(np.arange(n), labels)
    for lab, cc in zip(ax.get_yticklabels(), p["country"].astype(str), strict=True):
        lab.set_color(ccol[cc])
    ax.set_ylim(n - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    loc = mdates.AutoDateLocator(minticks=6, maxticks=14)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.xaxis_date()
    ax.set_xlabel("calendar date")
    ax.set_ylabel("proposal (id, lead institution, country)")
    handles: list[Any] = [
        Patch(facecolor=_PHASE_COLORS[ph], label=ph) for ph in _PHASE_COLORS if ph in used_phases
    ]
    handles += [
        Patch(
            facecolor="white", edgecolor=rstyle[r][0], hatch=rstyle[r][1], label=f"rule delay: {r}"
        )
        for r in rules
    ]
    handles += [
        Line2D([], [], marker=m, color=c, ls="none", mew=1.6, label=lab)
        for m, c, lab in used_ends.values()
    ]
    ncols = min(5, len(handles)) or 1
    title = f"Timeline of each proposal ({n} proposals)"
    if note:
        title = f"Timeline of each proposal - showing {note}"
    if own:
        fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)
        fig.suptitle(title_with(rt.label, title))
    else:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            ncols=ncols,
            frameon=False,
        )
        ax.set_title(title_with(rt.label, title))
    return root(fig)


def _short(s: str, width: int) -> str:
    return s if len(s) <= width else s[: width - 1] + "…"


@styled
def inventory_over_time(
    result: Any, *, fig: FigureBase | None = None, figsize: Size | None = None
) -> Figure:
    """Grams consumed / on loan / reserved / remaining over calendar time, per sample type.

    Stacked step areas (the four always sum to the initial grams); one panel per sample type.
    Draws into ``fig`` (a figure or sub-figure) when given; ``figsize`` in inches.
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
    ncols = min(2, len(types))
    nrows = math.ceil(len(types) / ncols)
    fig = target_figure(fig, figsize, (11, 1.4 + 3.0 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, t in zip(axes, types, strict=False):
        g = inv[inv["sample_type"].astype(str) == t].drop_duplicates("day", keep="last")
        x = np.r_[g["day"].to_numpy(dtype=float), horizon] + t0
        base = np.zeros(len(x))
        for col, lab, color in _INV_STATES:
            v = g[col].to_numpy(dtype=float)
            v = np.r_[v, v[-1]]
            ax.fill_between(x, base, base + v, step="post", color=color, label=lab, lw=0)
            base = base + v
        ax.step(x, base, where="post", color="#444444", lw=0.8)
        ax.set_title(f"{t} ({base[0]:.2f} g)")
        ax.set_ylabel("grams (g)")
        ax.set_xlabel("calendar date")
        ax.set_ylim(0, base.max() * 1.05 if base.max() > 0 else 1)
        ax.set_xlim(x[0], x[-1])
        loc = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    for ax in axes[len(types) :]:
        ax.set_visible(False)
    handles = [Patch(facecolor=c, label=lab) for _, lab, c in reversed(_INV_STATES)]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    fig.suptitle(title_with(rt.label, "Inventory over time by sample type"))
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
