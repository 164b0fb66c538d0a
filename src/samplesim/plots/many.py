"""Figures of many runs: replications, comparisons against a baseline, and sweeps.

They take the tidy tables of ``docs/tables.md`` (``runs``, ``replications``, ``comparison``,
``points``, ``sensitivity``) and are vectorised so that hundreds of replications of several
variants draw in well under a second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D

from samplesim.plots._common import (
    Size,
    country_colors,
    metric_label,
    root,
    sort_countries,
    styled,
    t_quantile,
    target_axes,
    target_figure,
)

__all__ = [
    "DEFAULT_METRICS",
    "comparison_forest",
    "replication_metrics",
    "replication_trace",
    "sensitivity_bars",
    "sweep_response",
    "variant_colors",
]

#: Metrics shown when none are asked for (those present in the table, in this order).
DEFAULT_METRICS: tuple[str, ...] = (
    "approval_rate",
    "grams_granted",
    "median_days_to_decision",
    "median_days_to_samples",
    "fairness_index",
    "merit_efficiency",
)

_VARIANT_PALETTE = ("#4c4c4c", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
_VARIANT_MARKERS = ("o", "s", "D", "^", "v", "P", "X")


def variant_colors(variants: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(colour, marker) per variant, in the order given (``baseline`` always first style)."""
    out: dict[str, tuple[str, str]] = {}
    rest = [v for v in dict.fromkeys(map(str, variants)) if v != "baseline"]
    if "baseline" in map(str, variants):
        out["baseline"] = (_VARIANT_PALETTE[0], _VARIANT_MARKERS[0])
    for i, v in enumerate(rest, start=1):
        out[v] = (_VARIANT_PALETTE[i % len(_VARIANT_PALETTE)], _VARIANT_MARKERS[i % 7])
    return out


def _pick_metrics(df: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(df["metric"].astype(str)))
    if metrics is None:
        chosen = [m for m in DEFAULT_METRICS if m in present]
        return chosen or present[:6]
    missing = [m for m in metrics if m not in present]
    if missing:
        raise ValueError(f"metrics not in the table: {', '.join(missing)}")
    return list(metrics)


def _grid(fig: FigureBase, n: int, max_cols: int = 3, **kw: Any) -> list[Any]:
    ncols = min(max_cols, n)
    nrows = math.ceil(n / ncols)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, **kw)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return list(axes[:n])


def _ragged_grid(
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


def _country_first(df: pd.DataFrame, metrics: list[str]) -> list[str]:
    """Metrics with per-country values first, ``ALL``-only ones (fairness...) last."""
    per = df.groupby("metric")["country"].nunique()
    return sorted(metrics, key=lambda m: per.get(m, 1) <= 1)


@styled
def replication_metrics(
    replications_df: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
    *,
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """Each metric's mean over replications with its 95 % CI, by lead country.

    One panel per metric; countries on the y axis (in their colour), the mean as a dot and the
    ``ci_low``..``ci_high`` interval as error bars. Several variants are offset vertically and
    told apart by marker shape. Draws into ``fig`` (a figure or sub-figure) when given;
    ``figsize`` in inches (default: sized to the content).
    """
    df = replications_df
    if "point" in df and df["point"].nunique() > 1:
        df = df[df["point"] == df["point"].min()]
    metrics = _pick_metrics(df, metrics)
    vs = list(dict.fromkeys(df["variant"].astype(str))) if variants is None else list(variants)
    vstyle = variant_colors(vs)
    countries_all = sort_countries(df["country"].astype(str).unique())
    ccol = country_colors(countries_all)
    metrics = _country_first(df, metrics)
    per = df.groupby("metric")["country"].nunique()
    ncols = min(3, len(metrics))
    own = fig is None and figsize is None
    fig = target_figure(fig, figsize, (4.0 * ncols + 1.4, 1.0))
    unit = 0.2 * max(1.0, len(vs) ** 0.6)
    axes, h = _ragged_grid(fig, [float(per.get(m, 1)) for m in metrics], ncols, unit, 0.9)
    if own:
        root(fig).set_size_inches(4.0 * ncols + 1.4, h + 0.9)
    k = len(vs)
    offs = (np.arange(k) - (k - 1) / 2) * (0.7 / max(k, 1)) if k > 1 else np.zeros(1)
    for ax, m in zip(axes, metrics, strict=True):
        sub = df[df["metric"] == m]
        cs = [c for c in countries_all if c in set(sub["country"].astype(str))]
        ypos = {c: i for i, c in enumerate(cs)}
        for j, v in enumerate(vs):
            s = sub[sub["variant"].astype(str) == v]
            if not len(s):
                continue
            y = s["country"].astype(str).map(ypos).to_numpy(dtype=float) + offs[j]
            mean = s["mean"].to_numpy(dtype=float)
            cols = [ccol[c] for c in s["country"].astype(str)]
            ax.hlines(
                y,
                s["ci_low"].to_numpy(dtype=float),
                s["ci_high"].to_numpy(dtype=float),
                colors=cols,
                lw=1.6,
            )
            ax.scatter(
                mean,
                y,
                c=cols,
                marker=vstyle[v][1],
                s=26,
                zorder=3,
                edgecolors="white",
                linewidths=0.5,
            )
        ax.set_yticks(range(len(cs)), cs)
        for lab, c in zip(ax.get_yticklabels(), cs, strict=True):
            lab.set_color(ccol[c])
        ax.set_ylim(len(cs) - 0.5, -0.5)
        ax.set_xlabel(metric_label(m))
        ax.set_title(m.replace("_", " "))
        ax.grid(axis="y", visible=False)
    axes[0].set_ylabel("lead country")
    handles = [Line2D([], [], color=ccol[c], marker="o", ls="none", label=c) for c in countries_all]
    fig.legend(handles=handles, title="lead country", loc="outside right upper", frameon=False)
    if k > 1:
        vh = [Line2D([], [], color="#555555", marker=vstyle[v][1], ls="none", label=v) for v in vs]
        fig.legend(
            handles=vh,
            title="variant (top to bottom within a country)",
            loc="outside lower center",
            ncols=min(k, 6),
            frameon=False,
        )
    n = df["n"].max() if "n" in df and len(df) else float("nan")
    what = vs[0] if k == 1 else f"{k} variants"
    fig.suptitle(f"Mean over replications with 95 % CI - {what}, n = {n:g} replications")
    return root(fig)


def _running_ci(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = np.isfinite(values)
    v = np.where(ok, values, 0.0)
    cnt = np.cumsum(ok)
    s1 = np.cumsum(v)
    s2 = np.cumsum(v * v)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / cnt
        var = (s2 - cnt * mean**2) / (cnt - 1)
        hw = t_quantile(cnt) * np.sqrt(np.clip(var, 0, None) / cnt)
    return cnt, mean, hw


@styled
def replication_trace(
    runs_df: pd.DataFrame,
    metric: str,
    country: str = "ALL",
    variants: Sequence[str] | None = None,
    point: int | None = None,
    *,
    ax: Axes | None = None,
    figsize: Size | None = None,
) -> Figure:
    """Running mean of ``metric`` (for ``country``) with its 95 % CI band as replications
    accumulate, one line per variant: shows whether the number of replications is enough.
    Draws into ``ax`` when given (the title then goes on the axes); ``figsize`` in inches."""
    df = runs_df
    sel = (df["metric"] == metric) & (df["country"] == country)
    if point is None and "point" in df:
        point = int(df.loc[sel, "point"].min()) if sel.any() else 0
    if point is not None and "point" in df:
        sel &= df["point"] == point
    sub = df[sel]
    if not len(sub):
        raise ValueError(f"no runs for metric {metric!r}, country {country!r}")
    vs = list(dict.fromkeys(sub["variant"].astype(str))) if variants is None else list(variants)
    vstyle = variant_colors(vs)
    own = ax is None
    fig, ax = target_axes(ax, figsize, (8.5, 4.4))
    ylo, yhi = np.inf, -np.inf
    for v in vs:
        s = sub[sub["variant"].astype(str) == v].sort_values("replication", kind="stable")
        if not len(s):
            continue
        cnt, mean, hw = _running_ci(s["value"].to_numpy(dtype=float))
        col = vstyle[v][0]
        ax.plot(cnt, mean, color=col, lw=1.6, label=v)
        ax.fill_between(cnt, mean - hw, mean + hw, color=col, alpha=0.18, lw=0)
        # Scale the y axis to the settled part: the first few intervals are huge.
        settled = cnt >= min(5, max(cnt.max(), 1))
        band = np.r_[(mean - np.nan_to_num(hw))[settled], (mean + np.nan_to_num(hw))[settled]]
        band = band[np.isfinite(band)]
        if len(band):
            ylo, yhi = min(ylo, band.min()), max(yhi, band.max())
    ax.set_xlabel("replications accumulated (count)")
    ax.set_ylabel(f"running mean of {metric_label(metric)}")
    ax.set_xlim(left=1)
    if np.isfinite(ylo) and np.isfinite(yhi):
        pad = max((yhi - ylo) * 0.08, 1e-9)
        ax.set_ylim(ylo - pad, yhi + pad)
    ax.legend(title="variant (band: 95 % CI)", loc="best", frameon=False)
    title = f"Convergence of {metric} [{country}] over replications"
    if own:
        fig.suptitle(title)
    else:
        ax.set_title(title)
    return root(fig)


@styled
def comparison_forest(
    comparison_df: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    *,
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """Forest plot of paired differences (variant - baseline) with their 95 % CI.

    One panel per metric; rows are countries (default ``ALL`` only) and, within a country,
    variants (colour and marker). A filled marker means the interval excludes zero; the dashed
    line is zero (no difference). Draws into ``fig`` (a figure or sub-figure) when given;
    ``figsize`` in inches (default: sized to the content).
    """
    df = comparison_df
    metrics = _pick_metrics(df, metrics)
    if countries is None:
        countries = (
            ["ALL"] if (df["country"] == "ALL").any() else sort_countries(df["country"].unique())
        )
    countries = list(countries)
    df = df[df["country"].isin(countries) & df["metric"].isin(metrics)]
    vs = list(dict.fromkeys(df["variant"].astype(str)))
    vstyle = variant_colors(vs)
    k = max(len(vs), 1)
    metrics = _country_first(df, metrics)
    ncols = min(3, len(metrics))
    panel_cs = {
        m: [c for c in countries if c in set(df.loc[df["metric"] == m, "country"])] for m in metrics
    }
    own = fig is None and figsize is None
    fig = target_figure(fig, figsize, (4.0 * ncols + 1.2, 1.0))
    heights = [float(max(len(panel_cs[m]), 1) * (k + 1) - 1) for m in metrics]
    axes, h = _ragged_grid(fig, heights, ncols, 0.2, 0.9)
    if own:
        root(fig).set_size_inches(4.0 * ncols + 1.2, h + 0.8)
    ccol = country_colors(countries)
    for ax, m in zip(axes, metrics, strict=True):
        sub = df[df["metric"] == m]
        pcs = panel_cs[m] or countries[:1]
        cpos = {c: i for i, c in enumerate(pcs)}
        vpos = {v: j for j, v in enumerate(vs)}
        y = sub["country"].map(cpos).to_numpy(dtype=float) * (k + 1) + sub["variant"].astype(
            str
        ).map(vpos).to_numpy(dtype=float)
        d = sub["diff_mean"].to_numpy(dtype=float)
        lo = sub["ci_low"].to_numpy(dtype=float)
        hi = sub["ci_high"].to_numpy(dtype=float)
        sig = (lo > 0) | (hi < 0)
        for v in vs:
            mask = (sub["variant"].astype(str) == v).to_numpy()
            col, mk = vstyle[v]
            ax.hlines(y[mask], lo[mask], hi[mask], color=col, lw=1.8)
            ms, mo = mask & sig, mask & ~sig
            ax.scatter(d[ms], y[ms], color=col, marker=mk, s=30, zorder=3)
            ax.scatter(
                d[mo],
                y[mo],
                facecolor="white",
                edgecolor=col,
                marker=mk,
                s=30,
                zorder=3,
                linewidths=1.3,
            )
        ax.axvline(0, color="#333333", lw=0.9, ls="--", zorder=1)
        if len(pcs) > 1:
            ticks = [cpos[c] * (k + 1) + (k - 1) / 2 for c in pcs]
            ax.set_yticks(ticks, pcs)
            for lab, c in zip(ax.get_yticklabels(), pcs, strict=True):
                lab.set_color(ccol[c])
            for i in range(1, len(pcs)):
                ax.axhline(i * (k + 1) - 1, color="#cccccc", lw=0.6)
        else:
            ax.set_yticks(range(k), vs)
        ax.set_ylim(len(pcs) * (k + 1) - 1.5, -0.5)
        ax.grid(axis="y", visible=False)
        finite = np.r_[lo, hi, d, 0.0]
        finite = finite[np.isfinite(finite)]
        span = float(finite.max() - finite.min()) or 1.0
        ax.set_xlim(finite.min() - 0.08 * span, finite.max() + 0.08 * span)
        only = f" [{pcs[0]} only]" if len(pcs) == 1 and len(countries) > 1 else ""
        ax.set_title(m.replace("_", " ") + only)
        ax.set_xlabel("Δ " + metric_label(m))
    base = str(df["baseline"].iloc[0]) if "baseline" in df and len(df) else "baseline"
    n = df["n"].max() if "n" in df and len(df) else float("nan")
    handles = [Line2D([], [], color=vstyle[v][0], marker=vstyle[v][1], lw=1.8, label=v) for v in vs]
    fig.legend(handles=handles, title="variant", loc="outside right upper", frameon=False)
    where = "all countries" if countries == ["ALL"] else ", ".join(countries)
    fig.suptitle(
        f"Difference from {base!r} (paired, 95 % CI; filled = excludes 0) - {where}, "
        f"n = {n:g} replications"
    )
    return root(fig)


@styled
def sweep_response(
    runs_df: pd.DataFrame,
    points_df: pd.DataFrame,
    param: str,
    outcome: str,
    country: str = "ALL",
    max_levels: int = 25,
    *,
    ax: Axes | None = None,
    figsize: Size | None = None,
) -> Figure:
    """Mean of ``outcome`` against the swept parameter ``param``, with a 95 % CI band.

    With few distinct parameter values, one mean per value (over replications and any other
    swept parameters); with many (random/Sobol designs), per-point means as dots and the mean
    in ten quantile bins of ``param``. One line per variant. Draws into ``ax`` when given (the
    title then goes on the axes); ``figsize`` in inches.
    """
    if param not in points_df:
        raise ValueError(f"parameter {param!r} not in the points table")
    sel = runs_df[(runs_df["metric"] == outcome) & (runs_df["country"] == country)]
    if not len(sel):
        raise ValueError(f"no runs for outcome {outcome!r}, country {country!r}")
    df = sel.merge(points_df[["point", param]], on="point", how="inner")
    vs = list(dict.fromkeys(df["variant"].astype(str)))
    vstyle = variant_colors(vs)
    own = ax is None
    fig, ax = target_axes(ax, figsize, (8.5, 4.6))
    levels = df[param].nunique()
    for v in vs:
        s = df[df["variant"].astype(str) == v]
        col = vstyle[v][0]
        if levels <= max_levels:
            key = s[param]
        else:
            per_point = s.groupby("point").agg(x=(param, "first"), y=("value", "mean"))
            ax.scatter(per_point["x"], per_point["y"], color=col, s=8, alpha=0.35, lw=0)
            key = pd.qcut(s[param], 10, duplicates="drop")
        g = s.groupby(key, observed=True)
        stats = g["value"].agg(["mean", "std", "count"])
        x = g[param].mean() if levels > max_levels else pd.Series(stats.index, stats.index)
        x = x.to_numpy(dtype=float)
        hw = (
            t_quantile(stats["count"].to_numpy())
            * stats["std"].to_numpy()
            / np.sqrt(stats["count"].to_numpy())
        )
        mean = stats["mean"].to_numpy(dtype=float)
        ax.plot(x, mean, color=col, marker=vstyle[v][1], ms=4, lw=1.6, label=v)
        ax.fill_between(x, mean - hw, mean + hw, color=col, alpha=0.2, lw=0)
    ax.set_xlabel(f"{param} (scenario units)")
    ax.set_ylabel(f"mean {metric_label(outcome)}")
    ax.legend(title="variant (band: 95 % CI)", frameon=False, loc="best")
    how = "per value" if levels <= max_levels else "dots: points; line: decile bins"
    title = f"Response of {outcome} [{country}] to {param} ({how})"
    if own:
        fig.suptitle(title)
    else:
        ax.set_title(title)
    return root(fig)


@styled
def sensitivity_bars(
    sensitivity_df: pd.DataFrame,
    outcomes: Sequence[str] | None = None,
    *,
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """Sobol first-order (S1) and total (ST) indices with their confidence intervals.

    One panel per outcome; parameters on the y axis sorted by ST. Draws into ``fig`` (a
    figure or sub-figure) when given; ``figsize`` in inches.
    """
    df = sensitivity_df
    outs = list(dict.fromkeys(df["outcome"].astype(str))) if outcomes is None else list(outcomes)
    n_par = df["parameter"].nunique()
    ncols = min(2, len(outs))
    nrows = math.ceil(len(outs) / ncols)
    fig = target_figure(fig, figsize, (5.5 * ncols + 0.5, 1.2 + nrows * (0.9 + 0.45 * n_par)))
    axes = _grid(fig, len(outs), ncols)
    for ax, o in zip(axes, outs, strict=True):
        s = df[df["outcome"].astype(str) == o].sort_values("ST", kind="stable")
        y = np.arange(len(s))
        for off, idx, col, lab in (
            (-0.2, "S1", "#3182bd", "S1 (first order)"),
            (0.2, "ST", "#e6550d", "ST (total)"),
        ):
            ax.barh(
                y + off,
                s[idx],
                height=0.38,
                color=col,
                label=lab,
                xerr=s[f"{idx}_conf"].abs().fillna(0),
                error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#333333"},
            )
        ax.set_yticks(y, s["parameter"].astype(str))
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_xlabel("Sobol index (fraction of output variance)")
        ax.set_title(metric_label(o))
        ax.grid(axis="y", visible=False)
    axes[0].legend(loc="lower right", frameon=False)
    fig.suptitle("Sobol sensitivity indices (bars: 95 % confidence)")
    return root(fig)
