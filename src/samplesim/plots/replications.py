"""Figures of replications: each metric's mean with its 95 % CI, and its convergence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D

from samplesim.plots._common import (
    ALL_COLOR,
    Size,
    country_colors,
    metric_label,
    metric_title,
    root,
    sort_countries,
    styled,
    t_quantile,
    target_axes,
    target_figure,
)
from samplesim.plots._panels import (
    country_first,
    country_n,
    n_alpha,
    n_tick,
    pick_metrics,
    ragged_grid,
    variant_colors,
)

__all__ = ["replication_metrics", "replication_trace"]


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
    metrics = pick_metrics(df, metrics)
    vs = list(dict.fromkeys(df["variant"].astype(str))) if variants is None else list(variants)
    vstyle = variant_colors(vs)
    countries_all = sort_countries(df["country"].astype(str).unique())
    ccol = country_colors(countries_all)
    metrics = country_first(df, metrics)
    per = df.groupby("metric")["country"].nunique()
    ncols = min(3, len(metrics))
    own = fig is None and figsize is None
    fig = target_figure(fig, figsize, (4.0 * ncols + 1.4, 1.0))
    unit = 0.2 * max(1.0, len(vs) ** 0.6)
    axes, h = ragged_grid(fig, [float(per.get(m, 1)) for m in metrics], ncols, unit, 0.9)
    if own:
        root(fig).set_size_inches(4.0 * ncols + 1.4, h + 0.9)
    k = len(vs)
    total = float(df["n"].max()) if "n" in df and len(df) else float("nan")
    offs = (np.arange(k) - (k - 1) / 2) * (0.7 / max(k, 1)) if k > 1 else np.zeros(1)
    for ax, m in zip(axes, metrics, strict=True):
        sub = df[df["metric"] == m]
        cs = [c for c in countries_all if c in set(sub["country"].astype(str))]
        ypos = {c: i for i, c in enumerate(cs)}
        ns = country_n(sub, cs, total)
        for j, v in enumerate(vs):
            s = sub[sub["variant"].astype(str) == v]
            if not len(s):
                continue
            y = s["country"].astype(str).map(ypos).to_numpy(dtype=float) + offs[j]
            mean = s["mean"].to_numpy(dtype=float)
            cc = s["country"].astype(str)
            cols = [(*to_rgb(ccol[c]), n_alpha(ns[c], total)) for c in cc]
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
        _clip_thin(ax, sub, ns, ypos, offs, vs, ccol)
        ticks = [n_tick(c, ns[c], total) if len(cs) > 1 else c for c in cs]
        ax.set_yticks(range(len(cs)), ticks)
        for lab, c in zip(ax.get_yticklabels(), cs, strict=True):
            lab.set_color(ccol[c])
        ax.set_ylim(len(cs) - 0.5, -0.5)
        ax.set_xlabel(metric_label(m))
        ax.set_title(metric_title(m))
        if any(ns[c] == 0 for c in cs):
            ax.text(
                1,
                0,
                "no value where n=0",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="#444444",
            )
        ax.grid(axis="y", visible=False)
    axes[0].set_ylabel("lead country")
    handles = [Line2D([], [], color=ccol[c], marker="o", ls="none", label=c) for c in countries_all]
    fig.legend(handles=handles, title="lead country", loc="outside right upper", frameon=False)
    if k > 1:
        vh = [Line2D([], [], color=ALL_COLOR, marker=vstyle[v][1], ls="none", label=v) for v in vs]
        fig.legend(
            handles=vh,
            title="variant (top to bottom within a country)",
            loc="outside lower center",
            ncols=min(k, 6),
            frameon=False,
        )
    what = vs[0] if k == 1 else f"{k} variants"
    fig.suptitle(
        f"Mean over replications with 95 % CI - {what}, {total:g} replications\n"
        "(n = replications in which the country has a value; fainter when fewer)"
    )
    return root(fig)


def _clip_thin(ax: Axes, sub: pd.DataFrame, ns: dict, ypos: dict, offs, vs, ccol) -> None:
    """Scale the axis to the intervals resting on at least 3 replications (and every mean);
    a wider interval from fewer runs ends in an arrow at the edge instead of squashing the
    others."""
    firm = sub[sub["country"].astype(str).map(lambda c: ns[c] >= 3)]
    vals = np.r_[
        firm[["ci_low", "ci_high"]].to_numpy(dtype=float).ravel(), sub["mean"].to_numpy(float)
    ]
    vals = vals[np.isfinite(vals)]
    if not len(vals) or not len(firm):
        return
    lo, hi = float(vals.min()), float(vals.max())
    pad = max((hi - lo) * 0.08, abs(hi) * 1e-3, 1e-9)
    lo, hi = lo - pad, hi + pad
    for j, v in enumerate(vs):
        s = sub[sub["variant"].astype(str) == v]
        for c, a, b in zip(s["country"].astype(str), s["ci_low"], s["ci_high"], strict=True):
            y = ypos[c] + offs[j]
            for end, edge, mk in ((a, lo, "<"), (b, hi, ">")):
                if np.isfinite(end) and (end < lo if mk == "<" else end > hi):
                    ax.plot([edge], [y], marker=mk, ms=4, color=ccol[c], clip_on=False)
    ax.set_xlim(lo, hi)


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
    title = f"Convergence of {metric_title(metric)} [{country}] over replications"
    if own:
        fig.suptitle(title)
    else:
        ax.set_title(title)
    return root(fig)
