"""Shared plotting helpers: style, country colours, metric labels, table access.

Nothing here touches global matplotlib state: figures are plain
:class:`matplotlib.figure.Figure` objects (Agg-rendered when saved), and the style is applied
with :func:`matplotlib.rc_context` inside each plotting function.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import zlib
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, BinaryIO, ParamSpec, TypeVar

import attrs
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, FigureBase
from matplotlib.layout_engine import LayoutEngine
from matplotlib.ticker import FuncFormatter

from samplesim.metrics import METRICS, in_unit
from samplesim.metrics import metric_label as _metric_label

__all__ = [
    "ALL_COLOR",
    "COUNTRY_COLORS",
    "METRIC_LABELS",
    "PALETTE",
    "RunTables",
    "contrast_ratio",
    "country_colors",
    "human",
    "metric_label",
    "metric_title",
    "param_label",
    "run_tables",
    "save_figure",
]

#: Colour-blind-safe qualitative palette: the Okabe-Ito hues (orange darkened) completed with
#: Paul Tol's indigo, wine, green and purple, and a grey (past eight hues, tell countries
#: apart by the names on the axes). Every colour has a WCAG contrast of
#: at least 3:1 against the white background (tests/test_plots.py checks it).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#996600",  # ochre (darkened Okabe-Ito orange)
    "#332288",  # indigo
    "#882255",  # wine
    "#777777",  # grey
    "#117733",  # green (Tol)
    "#AA4499",  # purple (Tol)
)
#: Preferred colours of the countries that appear most often (ISO 3166 alpha-2 codes).
COUNTRY_COLORS: dict[str, str] = {
    "US": PALETTE[0],
    "CN": PALETTE[1],
    "FR": PALETTE[2],
    "DE": PALETTE[3],
    "JP": PALETTE[4],
    "GB": PALETTE[5],
    "CH": PALETTE[6],
    "IT": PALETTE[7],
}
#: Colour of the whole-run aggregate ``ALL``.
ALL_COLOR = "#222222"


def country_colors(countries: Iterable[str]) -> dict[str, str]:
    """A colour per country code, distinct within one call while the palette lasts.

    Codes of :data:`COUNTRY_COLORS` get their own colour, ``ALL`` is near-black, and other
    codes (sorted) take the palette colours not used yet; past ten countries colours repeat
    (by a checksum of the code), so figures also name the countries on their axes.
    """
    codes = list(dict.fromkeys(str(c) for c in countries))
    out: dict[str, str] = {c: COUNTRY_COLORS[c] for c in codes if c in COUNTRY_COLORS}
    if "ALL" in codes:
        out["ALL"] = ALL_COLOR
    free = [c for c in PALETTE if c not in out.values()]
    for c in sorted(x for x in codes if x not in out):
        out[c] = free.pop(0) if free else PALETTE[zlib.crc32(c.encode()) % len(PALETTE)]
    return {c: out[c] for c in codes}


def contrast_ratio(color: str, background: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21; 3 is the minimum for graphics)."""
    from matplotlib.colors import to_rgb

    def lum(c: str) -> float:
        rgb = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in to_rgb(c)]
        return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]

    hi, lo = sorted((lum(color), lum(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def sort_countries(countries: Iterable[str]) -> list[str]:
    """Sorted country codes with ``ALL`` (if present) last."""
    cs = sorted({str(c) for c in countries})
    if "ALL" in cs:
        cs.remove("ALL")
        cs.append("ALL")
    return cs


#: Axis labels with units for the summary metrics (from :data:`samplesim.metrics.METRICS`).
METRIC_LABELS: dict[str, str] = {n: m.axis_label for n, m in METRICS.items()}


#: The inventory's unit of the directory whose figures are being drawn (amount labels say it).
PLOT_UNIT: ContextVar[str] = ContextVar("plot_unit", default="g")


def metric_label(name: str) -> str:
    """A readable axis label with its unit (``metric@CC`` keeps the country); amounts in
    :data:`PLOT_UNIT`."""
    return _metric_label(name, PLOT_UNIT.get())


def metric_title(name: str) -> str:
    """A metric's human label without unit, for titles and legends (``metric@CC`` keeps the
    country): "median time to decision", never the snake_case name."""
    base, _, cc = str(name).partition("@")
    m = METRICS.get(base)
    label = in_unit(base, PLOT_UNIT.get())[0] if m else base.replace("_", " ")
    return f"{label} [{cc}]" if cc else label


def param_label(path: str, integer: bool = False) -> str:
    """Axis label of a swept scenario key path with a unit guessed from its name, e.g.
    ``review.reviewers`` -> "review: reviewers (count)"."""
    head, _, last = str(path).rpartition(".")
    name = last.lower()
    if name.endswith(("days", "delay", "_day")) or "days" in name:
        unit = "days"
    elif name.endswith(("grams", "_g")):
        unit = "g"
    elif any(k in name for k in ("rate", "fraction", "share", "prob", "weight")):
        unit = "fraction"
    elif integer or name.endswith("s"):
        unit = "count"
    else:
        unit = "value"
    text = f"{human(head)}: {human(last)}" if head else human(last)
    return f"{text} ({unit})"


def human(text: str) -> str:
    """A name from the data (sample type, parameter path) with underscores as spaces."""
    return str(text).replace("_", " ")


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
    # No "tight" crop: constrained layout already keeps every label inside the figure, and the
    # crop costs a second full draw per file (benchmarks/bench_startup.py).
    "savefig.bbox": None,
    # Names (scenario, institution, variant) are text: "$x^$" must not be parsed as math.
    "text.parse_math": False,
    # Titles sit just above their axes. Left to matplotlib (None), each title's place is
    # worked out at every draw from the tick labels of the axes and its siblings, only to move
    # it above top-side ticks, which no figure here has: same pixels, ~5 % less rendering time.
    "axes.titley": 1.0,
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
    """A figure not registered with pyplot (no global state; freed when unreferenced), on an
    Agg canvas: :func:`save_figure` lays it out and draws it with one renderer, so the text
    measured for the layout is not measured again for the pixels."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


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
    write_png(fig, path, dpi)
    return path


def write_png(fig: Figure, target: str | Path | BinaryIO, dpi: int) -> None:
    """Render ``fig`` as PNG (white background, package style) into a path or binary file.

    A figure with a layout engine on an Agg canvas (:func:`new_figure`) is laid out once
    here, at the file's resolution, and then drawn once: ``savefig`` alone draws it twice (a
    dry-run draw for the layout, then the pixels). The pixels are the same."""
    with matplotlib.rc_context(STYLE):
        engine = fig.get_layout_engine()
        if engine is None or not fig.axes or not isinstance(fig.canvas, FigureCanvasAgg):
            fig.savefig(target, **_png_options(dpi))
            return
        was = fig.dpi
        try:
            fig.dpi = dpi
            _lay_out(fig, engine)
            with matplotlib.rc_context(_NO_LAYOUT):  # None: no engine at all, not the rc's
                fig.set_layout_engine(None)  # so savefig draws once
            fig.savefig(target, **_png_options(dpi))
        finally:
            fig.set_layout_engine(engine)
            fig.dpi = was


#: zlib level of the PNG files: 3 encodes in about 60 % of the time of the default (6), for
#: files a few per cent larger; the pixels are the same.
PNG_COMPRESS_LEVEL = 3


def _png_options(dpi: int) -> dict[str, Any]:
    return {
        "format": "png",
        "dpi": dpi,
        "facecolor": "white",
        "pil_kwargs": {"compress_level": PNG_COMPRESS_LEVEL},
    }


#: The rc settings under which ``set_layout_engine(None)`` removes the engine.
_NO_LAYOUT = {"figure.autolayout": False, "figure.constrained_layout.use": False}


def _lay_out(fig: Figure, engine: LayoutEngine) -> None:
    """What the first draw of ``savefig`` does before any pixel: the axes' aspect, then the
    layout engine (a ValueError leaves the layout as it is, as in a draw)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for ax in fig.axes:
        for a in (ax, *(c for c in ax.get_children() if isinstance(c, Axes))):
            locator = a.get_axes_locator()
            a.apply_aspect(locator(a, renderer) if locator else None)
    with contextlib.suppress(ValueError):
        engine.execute(fig)


@attrs.frozen
class RunTables:
    """The tables of one run that the plots use (a view of a :class:`SimulationResult`)."""

    proposals: pd.DataFrame
    events: pd.DataFrame | None = None
    inventory: pd.DataFrame | None = None
    start_date: dt.date | None = None
    initial_grams: dict[str, float] | None = None
    label: str = ""
    horizon_days: float | None = None
    calls: pd.DataFrame | None = None
    unit: str = "g"


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
        rep = get("replication")
        label += f", replication {rep}" if rep else ""
    horizon = get("horizon_days")
    return RunTables(
        proposals=proposals,
        events=events,
        inventory=inventory,
        start_date=start,
        initial_grams=initial,
        label=label,
        horizon_days=float(horizon) if horizon is not None else None,
        calls=get("calls"),
        unit=str(get("unit") or "g"),
    )


def _pct_fmt(v: float, _pos: Any = None) -> str:
    return f"{v:.0%}"


#: Tick formatter: a fraction as a whole percentage.
pct = FuncFormatter(_pct_fmt)


def title_with(label: str, text: str) -> str:
    """``text - label``, with the label on its own line when both would not fit one."""
    if not label:
        return text
    return f"{text} - {label}" if len(text) + len(label) <= 70 else f"{text}\n{label}"


def t_quantile(n: np.ndarray | int) -> np.ndarray:
    """Two-sided 95 % Student-t quantile for ``n`` observations (NaN when n < 2)."""
    from samplesim.quantiles import t_ppf

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(n >= 2, t_ppf(0.975, np.maximum(n - 1, 1)), np.nan)
