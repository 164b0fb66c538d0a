"""Calibration figures: posterior marginals with the ABC-SMC threshold per generation, and
the posterior predictive check (the check figure at the posterior)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from samplesim.plots._common import Size, root, styled, target_figure
from samplesim.plots.check import check_facts

__all__ = ["posterior_marginals", "predictive_check"]

_POST = "#4c72b0"
_BAND = "#dbe4f3"


def _marginal(ax, post: pd.DataFrame, row: pd.Series) -> None:
    name, lo, hi = row["parameter"], float(row["prior_low"]), float(row["prior_high"])
    x = post[name].to_numpy(dtype=float)
    w = post["weight"].to_numpy(dtype=float)
    ax.axvspan(row["p05"], row["p95"], color=_BAND, zorder=0)
    ax.hist(x, bins=np.linspace(lo, hi, 31), weights=w / (hi - lo) * 30, color=_POST,
            alpha=0.85, zorder=1)  # fmt: skip
    ax.axhline(1.0 / (hi - lo), color="#555555", ls="--", lw=1.2, zorder=2)
    ax.axvline(row["median"], color="#222222", lw=1.6, zorder=3)
    ax.set_xlim(lo, hi)
    ax.set_title(f"{name}\nmedian {row['median']:.3g}, 90 % interval "
                 f"[{row['p05']:.3g}, {row['p95']:.3g}]", fontsize=10)  # fmt: skip
    ax.set_xlabel(f"{name.rsplit('.', 1)[-1]} (units of the scenario key)")
    ax.set_ylabel("posterior density (1 / unit)")


@styled
def posterior_marginals(
    posterior: pd.DataFrame,
    intervals: pd.DataFrame,
    generations: pd.DataFrame | None = None,
    *,
    title: str = "",
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """One panel per parameter: the weighted posterior histogram (last generation), the
    uniform prior dashed, the central 90 % interval shaded, the median as a line; with
    ``generations``, a last panel shows the acceptance threshold per generation."""
    n = len(intervals) + (generations is not None)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig = target_figure(fig, figsize, (4.4 * ncols, 3.2 * nrows + 0.9))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, (_, row) in zip(axes, intervals.iterrows(), strict=False):
        _marginal(ax, posterior, row)
    if generations is not None:
        ax = axes[len(intervals)]
        g = generations
        ax.plot(g["generation"], g["epsilon"], marker="o", color="#c44e52")
        eps = g["epsilon"]
        wide = (eps > 0).all() and len(g) > 1 and eps.max() > 10 * eps.min()
        ax.set_yscale("log" if wide else "linear")
        ax.set_ylim(bottom=None if wide else 0)
        ax.set_xlabel("generation")
        ax.set_ylabel("threshold ε (relative distance)")
        ax.set_title(f"ABC-SMC threshold ε per generation\n{int(g['simulations'].sum()):,} "
                     "simulations in all", fontsize=10)  # fmt: skip
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in axes[n:]:
        ax.set_visible(False)
    head = f"{title}: " if title else ""
    fig.suptitle(f"{head}ABC-SMC posterior of {len(intervals)} parameter(s), "
                 f"{len(posterior)} particles", fontsize=12)  # fmt: skip
    handles = [
        Patch(color=_POST, label="posterior (weighted particles)"),
        Patch(color=_BAND, label="central 90 % posterior interval"),
        Line2D([], [], color="#222222", label="posterior median"),
        Line2D([], [], color="#555555", ls="--", label="uniform prior"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=9, frameon=False)
    return root(fig)


def predictive_check(
    ppc: pd.DataFrame, values: pd.DataFrame | None = None, *, title: str = "", **kw
) -> Figure:
    """The posterior predictive check: each observed fact against its simulated distribution
    at parameters drawn from the posterior (the check figure, :func:`check_facts`)."""
    head = f"{title}: posterior predictive" if title else "posterior predictive"
    return check_facts(ppc, values, title=head, **kw)
