"""Figures of experiments against a baseline and of sweeps: paired differences (forest),
responses to a swept parameter, Sobol sensitivity indices and Morris elementary effects."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D

from samplesim.plots._common import (
    PALETTE,
    Size,
    country_colors,
    metric_label,
    metric_title,
    param_label,
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
    grid,
    n_alpha,
    n_tick,
    pick_metrics,
    ragged_grid,
    variant_colors,
)

__all__ = ["comparison_forest", "morris_bars", "sensitivity_bars", "sweep_response"]


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
    metrics = pick_metrics(df, metrics)
    if countries is None:
        countries = (
            ["ALL"] if (df["country"] == "ALL").any() else sort_countries(df["country"].unique())
        )
    countries = list(countries)
    df = df[df["country"].isin(countries) & df["metric"].isin(metrics)]
    flat = [m for m in metrics if _all_zero(df[df["metric"] == m])]
    if len(flat) < len(metrics):
        metrics = [m for m in metrics if m not in flat]
        df = df[df["metric"].isin(metrics)]
    else:
        flat = []
    vs = list(dict.fromkeys(df["variant"].astype(str)))
    vstyle = variant_colors(vs)
    k = max(len(vs), 1)
    metrics = country_first(df, metrics)
    ncols = min(3, len(metrics))
    panel_cs = {
        m: [c for c in countries if c in set(df.loc[df["metric"] == m, "country"])] for m in metrics
    }
    own = fig is None and figsize is None
    fig = target_figure(fig, figsize, (4.0 * ncols + 1.2, 1.0))
    heights = [float(max(len(panel_cs[m]), 1) * (k + 1) - 1) for m in metrics]
    axes, h = ragged_grid(fig, heights, ncols, 0.2, 0.9)
    if own:
        root(fig).set_size_inches(4.0 * ncols + 1.2, h + 0.8)
    ccol = country_colors(countries)
    total = float(df["n"].max()) if "n" in df and len(df) else float("nan")
    for ax, m in zip(axes, metrics, strict=True):
        sub = df[df["metric"] == m]
        pcs = panel_cs[m] or countries[:1]
        ns = country_n(sub, pcs, total)
        alpha = np.array([n_alpha(ns[c], total) for c in sub["country"].astype(str)])
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
            rgba = np.array([(*to_rgb(col), a) for a in alpha]) if len(alpha) else None
            ax.hlines(
                y[mask], lo[mask], hi[mask], color=rgba[mask] if rgba is not None else col, lw=1.8
            )
            ms, mo = mask & sig, mask & ~sig
            ax.scatter(
                d[ms], y[ms], color=rgba[ms] if rgba is not None else col, marker=mk, s=30, zorder=3
            )
            ax.scatter(
                d[mo],
                y[mo],
                facecolor="white",
                edgecolor=rgba[mo] if rgba is not None else col,
                marker=mk,
                s=30,
                zorder=3,
                linewidths=1.3,
            )
        ax.axvline(0, color="#333333", lw=0.9, ls="--", zorder=1)
        if len(pcs) > 1:
            ticks = [cpos[c] * (k + 1) + (k - 1) / 2 for c in pcs]
            ax.set_yticks(ticks, [n_tick(c, ns[c], total) for c in pcs])
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
        ax.set_title(metric_title(m) + only)
        if _all_zero(sub):
            ax.text(
                0.5,
                0.02,
                "no difference in any replication",
                transform=ax.transAxes,
                ha="center",
                va="bottom",
                fontsize=8,
                color="#444444",
            )
        ax.set_xlabel("Δ " + metric_label(m))
    base = str(df["baseline"].iloc[0]) if "baseline" in df and len(df) else "baseline"
    n = df["n"].max() if "n" in df and len(df) else float("nan")
    handles = [Line2D([], [], color=vstyle[v][0], marker=vstyle[v][1], lw=1.8, label=v) for v in vs]
    fig.legend(handles=handles, title="variant", loc="outside right upper", frameon=False)
    where = "all countries" if countries == ["ALL"] else ", ".join(countries)
    if flat:
        fig.text(
            0.01,
            0.0,
            "Not shown, identical to the baseline in every replication (difference 0): "
            + ", ".join(metric_title(m) for m in flat),
            fontsize=8,
            color="#444444",
            va="bottom",
        )
    fig.suptitle(
        f"Difference from {base!r} (paired, 95 % CI; filled = excludes 0) - {where}, "
        f"{n:g} replications"
        + (
            "\n(n = replications in which the country has a value; fainter when fewer)"
            if countries != ["ALL"]
            else ""
        )
    )
    return root(fig)


def _all_zero(sub: pd.DataFrame) -> bool:
    """Every difference and interval end is zero (or missing): nothing to draw."""
    v = sub[["diff_mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return not len(v) or bool(np.all(v == 0))


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
    """``outcome`` against the swept parameter ``param``: every run as a point and the mean.

    Points are single runs (jittered sideways when values repeat). With few distinct values
    the mean is taken per value, else in up to ten quantile bins of ``param``; the band is the
    95 % t-interval of the mean, drawn only where a value or bin holds at least 3 runs (with
    fewer, an interval would be meaningless). One colour per variant. Draws into ``ax`` when
    given (the title then goes on the axes); ``figsize`` in inches.
    """
    if param not in points_df:
        raise ValueError(f"parameter {param!r} not in the points table")
    sel = runs_df[(runs_df["metric"] == outcome) & (runs_df["country"] == country)]
    if not len(sel):
        raise ValueError(f"no runs for outcome {outcome!r}, country {country!r}")
    df = sel.merge(points_df[["point", param]], on="point", how="inner")
    df = df[np.isfinite(df["value"].to_numpy(dtype=float))]
    vs = list(dict.fromkeys(df["variant"].astype(str)))
    vstyle = variant_colors(vs)
    own = ax is None
    fig, ax = target_axes(ax, figsize, (8.5, 4.6))
    levels = df[param].nunique()
    if not len(df):
        ax.text(0.5, 0.5, "no run has a value of this outcome", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    xs = df[param].to_numpy(dtype=float)
    span = float(np.ptp(xs)) if len(xs) else 0.0
    rng = np.random.default_rng(0)  # fixed: the same tables give the same picture
    min_n = 0
    for v in vs:
        s = df[df["variant"].astype(str) == v]
        col, mk = vstyle[v]
        x = s[param].to_numpy(dtype=float)
        jitter = rng.uniform(-0.012, 0.012, len(x)) * span if levels <= max_levels else 0.0
        ax.scatter(x + jitter, s["value"], color=col, s=12, alpha=0.45, lw=0, zorder=2)
        key = s[param] if levels <= max_levels else pd.qcut(s[param], 10, duplicates="drop")
        g = s.groupby(key, observed=True)
        stats = g["value"].agg(["mean", "std", "count"])
        xm = g[param].mean().to_numpy(dtype=float)
        n = stats["count"].to_numpy()
        mean = stats["mean"].to_numpy(dtype=float)
        min_n = int(n.min()) if not min_n else min(min_n, int(n.min()))
        ax.plot(xm, mean, color=col, marker=mk, ms=5, lw=1.8, label=v, zorder=3)
        hw = t_quantile(n) * stats["std"].to_numpy(dtype=float) / np.sqrt(n)
        ok = (n >= 3) & np.isfinite(hw)
        if ok.any():
            ax.fill_between(
                xm, mean - hw, mean + hw, where=ok, color=col, alpha=0.18, lw=0, zorder=1
            )
    integer = bool(pd.api.types.is_integer_dtype(points_df[param]))
    ax.set_xlabel(param_label(param, integer))
    ax.set_ylabel(metric_label(outcome))
    banded = min_n >= 3
    if vs:
        ax.legend(
            title="variant (line: mean" + ("; band: 95 % CI)" if banded else ")"),
            frameon=False,
            loc="best",
        )
    how = "mean per value" if levels <= max_levels else "mean in decile bins"
    note = "" if banded or not vs else f"; no interval: {min_n} run(s) per value"
    against = param_label(param, integer).rsplit(" (", 1)[0]
    title = f"{metric_title(outcome)} [{country}] against {against} (dots: runs; line: {how}{note})"
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
    axes = grid(fig, len(outs), ncols)
    for ax, o in zip(axes, outs, strict=True):
        s = df[df["outcome"].astype(str) == o].sort_values("ST", kind="stable")
        y = np.arange(len(s))
        for off, idx, col, lab in (
            (-0.2, "S1", PALETTE[0], "S1 (first order)"),
            (0.2, "ST", PALETTE[1], "ST (total)"),
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
        ax.set_yticks(y, [param_label(p).rsplit(" (", 1)[0] for p in s["parameter"].astype(str)])
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_xlabel("Sobol index (fraction of output variance)")
        ax.set_title(metric_title(o))
        ax.grid(axis="y", visible=False)
    axes[0].legend(loc="lower right", frameon=False)
    fig.suptitle("Sobol sensitivity indices (bars: 95 % confidence)")
    return root(fig)


@styled
def morris_bars(
    morris_df: pd.DataFrame,
    outcomes: Sequence[str] | None = None,
    *,
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """Morris ``mu_star`` per parameter with its 95 % interval and the dummy's noise floor.

    One panel per outcome; parameters sorted by ``mu_star``; bars of parameters not
    distinguishable from the floor are pale. Draws into ``fig`` when given.
    """
    df = morris_df
    outs = list(dict.fromkeys(df["outcome"].astype(str))) if outcomes is None else list(outcomes)
    n_par = max(1, df["parameter"].nunique() - 1)
    ncols = min(2, len(outs))
    nrows = math.ceil(len(outs) / ncols)
    fig = target_figure(fig, figsize, (6.0 * ncols + 0.5, 1.4 + nrows * (1.0 + 0.45 * n_par)))
    axes = grid(fig, len(outs), ncols)
    for ax, o in zip(axes, outs, strict=True):
        s = df[df["outcome"].astype(str) == o]
        dummy = s[s["parameter"] == "(dummy)"]
        s = s[s["parameter"] != "(dummy)"].sort_values("mu_star", kind="stable")
        y = np.arange(len(s))
        dist = s["distinguishable"].astype(str).str.lower() == "true"
        ax.barh(
            y,
            s["mu_star"].fillna(0),
            height=0.6,
            color=[PALETTE[0] if d else "#b8c4d6" for d in dist],
            xerr=s["mu_star_conf"].abs().fillna(0),
            error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#333333"},
        )
        ax.set_yticks(y, [param_label(p).rsplit(" (", 1)[0] for p in s["parameter"].astype(str)])
        if len(dummy) and np.isfinite(floor := float(dummy["mu_star"].iloc[0])):
            ax.axvline(floor, color=PALETTE[1], ls="--", lw=1.2, label="noise floor (dummy)")
            ax.legend(loc="lower right", frameon=False)
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_xlabel(f"mu* per full parameter range: {metric_label(o)}")
        ax.set_title(metric_title(o))
        ax.grid(axis="y", visible=False)
    fig.suptitle("Morris elementary effects (bars: 95 % confidence; pale: not above the floor)")
    return root(fig)
