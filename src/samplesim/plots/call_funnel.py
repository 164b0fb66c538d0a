"""The funnel of each call: proposals reaching each workflow stage, one panel per call.

The stages are :data:`samplesim.stages.FUNNEL` (a stage added there appears here); the
panel titles come from the per-call table (deadline, approved / submitted, amount granted in
the inventory's unit).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.ticker import MaxNLocator

from samplesim.plots._common import PALETTE, Size, root, run_tables, styled, target_figure
from samplesim.plots._common import title_with as _title_with
from samplesim.plots.run_funnel import _reached, funnel_steps
from samplesim.stages import FUNNEL

__all__ = ["call_funnel", "call_funnel_counts"]

_NCOLS = 4


def call_funnel_counts(proposals: pd.DataFrame, calls: list[str]) -> pd.DataFrame:
    """Proposals reaching each funnel step (columns, :data:`FUNNEL` labels) by call (rows,
    in ``calls`` order; a call without proposals has zeros)."""
    p = proposals
    reached = pd.DataFrame({s.label: _reached(p, s) for s in FUNNEL}, index=p.index)
    counts = reached.groupby(p["call"].astype(str).to_numpy()).sum()
    return counts.reindex(calls, fill_value=0).astype(int)


def _calls_of(rt: Any) -> tuple[list[str], pd.DataFrame | None]:
    table = rt.calls if rt.calls is not None and len(rt.calls) else None
    if table is not None:
        return [str(c) for c in table["call"]], table
    return list(dict.fromkeys(rt.proposals["call"].astype(str))), None


def _panel_title(name: str, row: pd.Series | None, unit: str) -> str:
    if row is None:
        return name
    date = pd.Timestamp(row["deadline_date"]).date().isoformat()
    rate = row["acceptance_rate"]
    rate_s = f" ({rate:.0%})" if pd.notna(rate) else ""
    again = int(row.get("resubmitted", 0) or 0)  # older per-call tables have no column
    again_s = f"\n{again} of the {int(row['submitted'])} resubmitted" if again else ""
    return (
        f"{name} (deadline {date})\n{int(row['approved'])} of {int(row['submitted'])} "
        f"approved{rate_s}; {float(row['grams_granted']):.3g} {unit} granted{again_s}"
    )


@styled
def call_funnel(
    result_or_tables: Any, *, fig: FigureBase | None = None, figsize: Size | None = None
) -> Figure:
    """One panel per call (up to four a row): proposals reaching each stage of
    :data:`samplesim.stages.FUNNEL` as horizontal bars, top to bottom in workflow order,
    counts at the bars' ends, on a common scale. Takes a result, its tables or a proposals
    table (panels then untitled by the per-call table). ``figsize`` in inches."""
    rt = run_tables(result_or_tables)
    names, table = _calls_of(rt)
    active = funnel_steps(rt.proposals)  # "intents" only when some call has intents
    counts = call_funnel_counts(rt.proposals, names)[[s.label for s in active]]
    n = max(1, len(names))
    ncols = min(n, _NCOLS)
    nrows = math.ceil(n / ncols)
    steps = [s.label for s in active]
    default = (max(7.0, 1.2 + 3.3 * ncols), 0.9 + nrows * (0.75 + 0.24 * len(steps)))
    fig = target_figure(fig, figsize, default)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    top = max(1, int(counts.to_numpy().max()) if counts.size else 1)
    y = np.arange(len(steps))
    colors = [PALETTE[2] if s.stage in ("approved", "samples") else PALETTE[0] for s in active]
    rows = table.set_index(table["call"].astype(str)) if table is not None else None
    for k, ax in enumerate(axes):
        if k >= len(names):
            ax.set_visible(False)
            continue
        name = names[k]
        v = counts.loc[name].to_numpy(dtype=float) if len(counts) else np.zeros(len(steps))
        ax.barh(y, v, color=colors, height=0.65)
        for yi, val in zip(y, v, strict=True):
            ax.annotate(f"{int(val)}", (val, yi), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)  # fmt: skip
        ax.set_yticks(y, steps if k % ncols == 0 else [""] * len(steps))
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.18)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        row = rows.loc[name] if rows is not None and name in rows.index else None
        ax.set_title(_panel_title(name, row, rt.unit), fontsize=9)
        if k >= len(names) - ncols:
            ax.set_xlabel("proposals (count)")
    fig.supylabel("workflow stage reached", fontsize=9)
    what = f"{len(names)} call" + ("s" if len(names) != 1 else "")
    fig.suptitle(_title_with(rt.label, f"Proposal funnel by call ({what})"))
    return root(fig)
