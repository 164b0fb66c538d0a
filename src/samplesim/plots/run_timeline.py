"""Calendar Gantt chart of each proposal's stages in one run.

The phases and their order come from :data:`samplesim.stages.STAGES` (the phase of the interval
that ends at each stage); the end markers are keyed by
:data:`samplesim.stages.TERMINAL_STATES`.
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from samplesim.plots._common import (
    Size,
    country_colors,
    root,
    run_tables,
    styled,
    target_axes,
    title_with,
)
from samplesim.stages import PHASES, STAGES, TERMINAL_STATES

__all__ = ["timeline"]

# Phase of the interval that ends at a stage (stage -> phase), in workflow order; the first
# stage (submission) ends no interval.
_PHASE_OF = {s.name: s.phase for s in STAGES[1:]}
_PHASE_COLORS = dict(
    zip(
        PHASES,
        (
            "#fbb4c4",
            "#bdbdbd",
            "#fee391",
            "#9ecae1",
            "#bcbddc",
            "#f0e6cc",
            "#fdae6b",
            "#a1d99b",
            "#31a354",
        ),
        strict=True,
    )
)
_RULE_COLORS = ("#e7298a", "#b2182b", "#7a0177", "#d95f02")
_RULE_HATCHES = ("////", "xxxx", "\\\\\\\\", "....")
_MARKERS = {
    "delivered": ("o", "#006d2c", "samples in hand"),
    "blocked": ("X", "#b2182b", "blocked by a rule"),
    "withdrawn": ("X", "#7a0177", "withdrew under a condition"),
    "declined": ("v", "#555555", "declined"),
    "not_shortlisted": ("|", "#555555", "not shortlisted"),
    "incomplete": ("x", "#555555", "screened out"),
    "ineligible": ("x", "#555555", "screened out"),
    "pending": (">", "#555555", "pending at horizon"),
    "deterred": ("s", "#999999", "deterred by a rule"),  # never drawn: no stage, no row
    "no_full_proposal": ("x", "#c51b7d", "intent, no full proposal"),
    "not_invited": ("|", "#c51b7d", "outline not invited"),
    "infeasible": ("x", "#8c6d31", "technically infeasible"),
    "approved_no_material": ("D", "#31a354", "approved, data only"),
}
#: (marker, colour, legend label) of where a proposal ended, per terminal state.
_END_MARKERS = {
    state: _MARKERS.get(state, ("o", "#555555", state.replace("_", " ")))
    for state in TERMINAL_STATES
}
_STAGES = tuple(_PHASE_OF)
_FIRST = STAGES[0].name


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
    p = rt.proposals
    p = p[p["state"].astype(str) != "deterred"]  # never applied: nothing to draw
    first = p[f"{_FIRST}_day"].fillna(p["submitted_day"])  # an intent, else the submission
    p = p.assign(_first=first).sort_values(["_first", "proposal_id"], kind="stable")
    p, note = _select_rows(p, max_rows)
    if rt.start_date is None:
        raise ValueError("timeline needs the run's start date (a SimulationResult or events)")
    t0 = mdates.date2num(pd.Timestamp(rt.start_date))
    ev = rt.events
    horizon = float(np.nanmax(ev["day"])) if ev is not None and len(ev) else np.nan
    day_cols = [f"{s}_day" for s in (_FIRST, *_STAGES)]
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
    bars: list[tuple[float, float, float, str]] = []  # (start, end, bottom, colour)
    for i in range(n):
        row = days[i]
        reached = np.flatnonzero(np.isfinite(row))
        if not len(reached):
            continue
        # The first stage reached starts the bar (an intent, else the submission).
        last_stage_idx = int(reached[0])
        prev = row[last_stage_idx]
        segs: list[tuple[float, float, str]] = []
        for j, s in enumerate(_STAGES, start=1):
            d = row[j]
            if j > reached[0] and np.isfinite(d):
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
            bars.append((t0 + a, t0 + b, i - 0.34, _PHASE_COLORS[ph]))
            if ph not in used_phases:
                used_phases.append(ph)
        mk = _END_MARKERS.get(states[i])
        if mk is not None:
            xd = row[day_cols.index("samples_day")] if states[i] == "delivered" else prev
            if np.isfinite(xd):
                ax.plot(t0 + xd, i, marker=mk[0], color=mk[1], ms=6, ls="none", zorder=4, mew=1.6)
                used_ends.setdefault(mk[2], mk)
    _phase_bars(ax, bars)
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


def _phase_bars(ax: Axes, bars: list[tuple[float, float, float, str]]) -> None:
    """The phase segments as one collection of rectangles (x from start to end, 0.68 high
    from the bottom), drawn in order: the pixels of one ``broken_barh`` per segment, without
    an artist per segment to lay out and draw."""
    if not bars:
        return
    verts = [[(a, y), (a, y + 0.68), (b, y + 0.68), (b, y)] for a, b, y, _ in bars]
    col = PolyCollection(np.array(verts), facecolors=[c for *_, c in bars], edgecolor="none")
    ax.add_collection(col)
    ax.autoscale_view()


def _short(s: str, width: int) -> str:
    return s if len(s) <= width else s[: width - 1] + "…"
