"""Shared plotting helpers: style, country colours, metric labels, table access.

Nothing here touches global matplotlib state: figures are plain
:class:`matplotlib.figure.Figure` objects (Agg-rendered when saved), and the style is applied
with :func:`matplotlib.rc_context` inside each plotting function.
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import attrs
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.ticker import FuncFormatter

from samplesim.metrics import METRICS, metric_label

__all__ = [
    "ALL_COLOR",
    "COUNTRY_COLORS",
    "METRIC_LABELS",
    "RunTables",
    "country_colors",
    "metric_label",
    "run_tables",
    "save_figure",
]

#: Fixed colours for the countries that appear most often (ISO 3166 alpha-2 codes).
COUNTRY_COLORS: dict[str, str] = {
    "US": "#1f77b4",
    "FR": "#ff7f0e",
    "DE": "#2ca02c",
    "CN": "#d62728",
    "GB": "#9467bd",
    "JP": "#8c564b",
    "IT": "#e377c2",
    "AU": "#bcbd22",
    "CA": "#17becf",
    "PK": "#393b79",
    "SE": "#e7ba52",
    "CH": "#637939",
    "IN": "#ad494a",
    "RU": "#7b4173",
    "KR": "#6baed6",
    "ES": "#fd8d3c",
    "NL": "#74c476",
    "BR": "#9e9ac8",
}
#: Colour of the whole-run aggregate ``ALL``.
ALL_COLOR = "#222222"
# Fallback palette for other codes: picked by a checksum of the code, so a country keeps its
# colour whatever else is in the data.
_FALLBACK = (
    "#5254a3",
    "#8ca252",
    "#bd9e39",
    "#843c39",
    "#d6616b",
    "#a55194",
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
    "#9c9ede",
    "#cedb9c",
    "#e7969c",
    "#de9ed6",
    "#fdae6b",
)


def country_colors(countries: Iterable[str]) -> dict[str, str]:
    """A stable colour per country code (the same code always gets the same colour).

    Common codes have fixed colours (:data:`COUNTRY_COLORS`), ``ALL`` is near-black, and any
    other code gets a palette colour chosen by a checksum of the code itself.
    """
    out: dict[str, str] = {}
    for c in countries:
        c = str(c)
        if c in out:
            continue
        if c == "ALL":
            out[c] = ALL_COLOR
        elif c in COUNTRY_COLORS:
            out[c] = COUNTRY_COLORS[c]
        else:
            out[c] = _FALLBACK[zlib.crc32(c.encode()) % len(_FALLBACK)]
    return out


def sort_countries(countries: Iterable[str]) -> list[str]:
    """Sorted country codes with ``ALL`` (if present) last."""
    cs = sorted({str(c) for c in countries})
    if "ALL" in cs:
        cs.remove("ALL")
        cs.append("ALL")
    return cs


#: Axis labels with units for the summary metrics (from :data:`samplesim.metrics.METRICS`).
METRIC_LABELS: dict[str, str] = {n: m.axis_label for n, m in METRICS.items()}


STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "hatch.linewidth": 1.0,
    "savefig.bbox": "tight",
    # Names (scenario, institution, variant) are text: "$x^$" must not be parsed as math.
    "text.parse_math": False,
}

P = ParamSpec("P")
R = TypeVar("R")


def styled(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` inside the package style (an rc context; nothing global changes)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float) -> Figure:
    """A figure not registered with pyplot (no global state; freed when unreferenced)."""
    return Figure(figsize=(width, height), layout="constrained")


Size = tuple[float, float]


def target_figure(fig: FigureBase | None, figsize: Size | None, default: Size) -> FigureBase:
    """The (sub)figure a multi-panel plot draws into: ``fig`` (resized to ``figsize`` when
    given), or a new figure of ``figsize`` or ``default`` inches."""
    if fig is None:
        return new_figure(*(figsize or default))
    if figsize is not None:
        fig.get_figure(root=True).set_size_inches(figsize)
    return fig


def target_axes(ax: Axes | None, figsize: Size | None, default: Size) -> tuple[FigureBase, Axes]:
    """The axes a one-panel plot draws into and its (sub)figure: ``ax`` (its figure resized to
    ``figsize`` when given), or the single axes of a new figure."""
    if ax is None:
        fig = new_figure(*(figsize or default))
        return fig, fig.subplots()
    fig = ax.get_figure()
    assert fig is not None
    if figsize is not None:
        fig.get_figure(root=True).set_size_inches(figsize)
    return fig, ax


def root(fig: FigureBase) -> Figure:
    """The top-level :class:`Figure` of a figure or sub-figure."""
    out = fig.get_figure(root=True)
    assert isinstance(out, Figure)
    return out


def save_figure(fig: Figure, path: str | Path, dpi: int = 130) -> Path:
    """Save ``fig`` as PNG in the package style; the figure itself is left as it was."""
    path = Path(path)
    with matplotlib.rc_context(STYLE):
        fig.savefig(path, dpi=dpi, facecolor="white")
    return path


@attrs.frozen
class RunTables:
    """The tables of one run that the plots use (a view of a :class:`SimulationResult`)."""

    proposals: pd.DataFrame
    events: pd.DataFrame | None = None
    inventory: pd.DataFrame | None = None
    start_date: dt.date | None = None
    initial_grams: dict[str, float] | None = None
    label: str = ""


def _derive_start(proposals: pd.DataFrame, events: pd.DataFrame | None) -> dt.date | None:
    for df, dcol, ncol in ((events, "date", "day"), (proposals, "submitted_date", "submitted_day")):
        if df is None or dcol not in df or ncol not in df or not len(df):
            continue
        ok = df[dcol].notna() & df[ncol].notna()
        if ok.any():
            row = df[ok].iloc[0]
            t0 = pd.Timestamp(row[dcol]) - pd.to_timedelta(float(row[ncol]), unit="D")
            return t0.round("D").date()
    return None


def run_tables(obj: Any) -> RunTables:
    """Accept a SimulationResult, a RunTables, a mapping of tables or a proposals DataFrame."""
    if isinstance(obj, RunTables):
        return obj
    if isinstance(obj, pd.DataFrame):
        return RunTables(proposals=obj, start_date=_derive_start(obj, None))
    if isinstance(obj, Mapping):
        get = obj.get
    else:

        def get(k: str, default: Any = None) -> Any:
            return getattr(obj, k, default)

    proposals = get("proposals")
    if proposals is None:
        raise TypeError("expected a SimulationResult, a mapping of tables or a proposals table")
    events = get("events")
    inventory = get("inventory")
    start = get("start_date") or _derive_start(proposals, events)
    initial = get("initial_grams")
    if initial is None and inventory is not None and len(inventory):
        first = inventory.groupby("sample_type", sort=False).head(1)
        cols = ["remaining_g", "reserved_g", "on_loan_g", "consumed_g"]
        initial = dict(
            zip(first["sample_type"], first[cols].sum(axis=1).astype(float), strict=True)
        )
    parts = [get("scenario"), get("variant")]
    seed = get("seed")
    label = " / ".join(str(p) for p in parts if p)
    if seed is not None:
        label += f", seed {seed}"
    return RunTables(
        proposals=proposals,
        events=events,
        inventory=inventory,
        start_date=start,
        initial_grams=initial,
        label=label,
    )


def _pct_fmt(v: float, _pos: Any = None) -> str:
    return f"{v:.0%}"


#: Tick formatter: a fraction as a whole percentage.
pct = FuncFormatter(_pct_fmt)


def title_with(label: str, text: str) -> str:
    return f"{text} - {label}" if label else text


def t_quantile(n: np.ndarray | int) -> np.ndarray:
    """Two-sided 95 % Student-t quantile for ``n`` observations (NaN when n < 2)."""
    from scipy import stats

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(n >= 2, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
