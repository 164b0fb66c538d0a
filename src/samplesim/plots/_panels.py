"""Shared parts of the many-run figures: variant styles, metric choice and panel grids."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import FigureBase

from samplesim.metric_groups import PLOT_DEFAULTS
from samplesim.plots._common import PALETTE

__all__ = [
    "DEFAULT_METRICS",
    "country_first",
    "country_n",
    "grid",
    "n_alpha",
    "n_tick",
    "pick_metrics",
    "ragged_grid",
    "variant_colors",
]

#: Metrics shown when none are asked for (those present in the table, in this order; from
#: :data:`samplesim.metric_groups.PLOT_DEFAULTS`).
DEFAULT_METRICS: tuple[str, ...] = PLOT_DEFAULTS

#: Variant colours: dark grey for the baseline, then the colour-blind-safe palette.
VARIANT_PALETTE = ("#4c4c4c", *PALETTE[:6])
_VARIANT_MARKERS = ("o", "s", "D", "^", "v", "P", "X")


def variant_colors(variants: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(colour, marker) per variant, in the order given (``baseline`` always first style)."""
    out: dict[str, tuple[str, str]] = {}
    rest = [v for v in dict.fromkeys(map(str, variants)) if v != "baseline"]
    if "baseline" in map(str, variants):
        out["baseline"] = (VARIANT_PALETTE[0], _VARIANT_MARKERS[0])
    for i, v in enumerate(rest, start=1):
        out[v] = (VARIANT_PALETTE[i % len(VARIANT_PALETTE)], _VARIANT_MARKERS[i % 7])
    return out


def pick_metrics(df: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(df["metric"].astype(str)))
    if metrics is None:
        chosen = [m for m in DEFAULT_METRICS if m in present]
        return chosen or present[:6]
    missing = [m for m in metrics if m not in present]
    if missing:
        raise ValueError(f"metrics not in the table: {', '.join(missing)}")
    return list(metrics)


def grid(fig: FigureBase, n: int, max_cols: int = 3, **kw: Any) -> list[Any]:
    ncols = min(max_cols, n)
    nrows = math.ceil(n / ncols)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, **kw)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return list(axes[:n])


def ragged_grid(
    fig: FigureBase, heights: Sequence[float], ncols: int, row_unit: float, overhead: float
) -> tuple[list[Any], float]:
    """Axes in rows of ``ncols``, each row as tall as its tallest panel; a panel much shorter
    than the one before it (an ``ALL``-only metric after per-country ones) starts a new row.
    Returns the axes and the total height in inches the figure should have."""
    slots: list[int] = []  # slot index of each panel
    pos = 0
    for i, h in enumerate(heights):
        if i and pos % ncols and h * 2 < heights[i - 1]:
            pos += ncols - pos % ncols
        slots.append(pos)
        pos += 1
    nrows = math.ceil(pos / ncols)
    row_h = [0.0] * nrows
    for sl, h in zip(slots, heights, strict=True):
        row_h[sl // ncols] = max(row_h[sl // ncols], h * row_unit + overhead)
    gs = fig.add_gridspec(nrows, ncols, height_ratios=row_h)
    axes = [fig.add_subplot(gs[sl // ncols, sl % ncols]) for sl in slots]
    return axes, sum(row_h)


def country_first(df: pd.DataFrame, metrics: list[str]) -> list[str]:
    """Metrics with per-country values first, ``ALL``-only ones (fairness...) last."""
    per = df.groupby("metric")["country"].nunique()
    return sorted(metrics, key=lambda m: per.get(m, 1) <= 1)


def country_n(sub: pd.DataFrame, countries: Sequence[str], total: float) -> dict[str, float]:
    """Per country, the fewest replications (column ``n``) behind any of its rows in ``sub``
    (NaN when the table has no ``n``); ``total`` is the number of replications run."""
    if "n" not in sub or not len(sub):
        return {c: float("nan") for c in countries}
    n = sub.groupby(sub["country"].astype(str))["n"].min()
    return {c: float(n.get(c, 0)) for c in countries}


def n_tick(country: str, n: float, total: float) -> str:
    """``"US (n=20/50)"``: the country and how many of the replications its values rest on."""
    if not np.isfinite(n) or not np.isfinite(total):
        return country
    return f"{country} (n={n:g}/{total:g})"


def n_alpha(n: float, total: float) -> float:
    """Opacity of a country's interval: fainter when fewer replications support it."""
    if not np.isfinite(n) or not np.isfinite(total) or total <= 0:
        return 1.0
    return float(0.3 + 0.7 * min(max(n / total, 0.0), 1.0))
