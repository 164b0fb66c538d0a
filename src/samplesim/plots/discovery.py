"""The scenario-discovery figure: PRIM's peeling trajectory, the chosen box's limits and the
cases in the two most restricted parameters."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.patches import Rectangle

from samplesim.plots._common import Size, root, styled, target_figure

__all__ = ["discovery_box"]

_IN = "#c62828"
_BOX = "#1f5fa8"
_DIMS = ("#9e9e9e", "#f2a541", "#2a9d8f", "#6a4c93", "#264653")


def _trajectory(ax, traj: pd.DataFrame) -> None:
    ax.plot(traj["coverage"], traj["density"], color="#bbbbbb", lw=0.8, zorder=1)
    for k in sorted(traj["restricted"].unique()):
        t = traj[traj["restricted"] == k]
        ax.scatter(t["coverage"], t["density"], s=22, zorder=2, color=_DIMS[int(k) % len(_DIMS)],
                   label=f"{int(k)} parameter(s) restricted")  # fmt: skip
    best = traj[traj["chosen"]].iloc[0]
    ax.scatter([best["coverage"]], [best["density"]], s=160, facecolor="none",
               edgecolor=_IN, linewidth=2, zorder=3, label="chosen box")  # fmt: skip
    ax.set_xlabel("coverage (share of cases of interest inside the box)")
    ax.set_ylabel("density (share of cases inside that are of interest)")
    ax.set_title("peeling trajectory", fontsize=10)
    ax.legend(loc="lower left", fontsize=9)


def _limits(ax, box: pd.DataFrame) -> None:
    n = len(box)
    for i, r in enumerate(box.itertuples(index=False)):
        span = (r.range_high - r.range_low) or 1.0
        lo, hi = (r.low - r.range_low) / span, (r.high - r.range_low) / span
        ax.barh(i, 1.0, left=0.0, color="#eeeeee", height=0.6)
        ax.barh(i, hi - lo, left=lo, color=_BOX if r.restricted else "#b9c7d8", height=0.6)
        ax.text(0.5, i + 0.38, f"{r.low:.3g} – {r.high:.3g}  (range {r.range_low:.3g} – "
                f"{r.range_high:.3g})", ha="center", va="bottom", fontsize=8.5)  # fmt: skip
    ax.set_yticks(range(n), [str(p) for p in box["parameter"]])
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_xlim(0, 1)
    ax.set_xlabel("position within the swept range (fraction of range)")
    ax.set_title("box limits (dark: restricted)", fontsize=10)


def _cases(ax, cases: pd.DataFrame, box: pd.DataFrame) -> None:
    ranked = box.sort_values(["restricted", "qp_value"], ascending=[False, True])
    px, py = ranked["parameter"].iloc[0], ranked["parameter"].iloc[1]
    g = cases.groupby([px, py], as_index=False)["interest"].mean()
    sc = ax.scatter(g[px], g[py], c=g["interest"], cmap="Reds", vmin=0, vmax=1, s=26,
                    edgecolor="#666666", linewidth=0.5, zorder=2)  # fmt: skip
    ax.figure.colorbar(sc, ax=ax, label="share of the point's runs of interest (fraction)")
    b = box.set_index("parameter")
    ax.add_patch(Rectangle((b.loc[px, "low"], b.loc[py, "low"]), b.loc[px, "high"] -
                           b.loc[px, "low"], b.loc[py, "high"] - b.loc[py, "low"], fill=False,
                           edgecolor=_BOX, lw=2, label="chosen box"))  # fmt: skip
    ax.set_xlabel(f"{px} (units of the scenario key)")
    ax.set_ylabel(f"{py} (units of the scenario key)")
    ax.set_title("runs in the two most restricted parameters", fontsize=10)
    ax.legend(loc="upper right", fontsize=8.5)


@styled
def discovery_box(
    box: pd.DataFrame,
    trajectory: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    *,
    title: str = "",
    fig: FigureBase | None = None,
    figsize: Size | None = None,
) -> Figure:
    """PRIM's result: the peeling trajectory (coverage against density, the chosen box
    circled), the box's limits per parameter and, with ``cases`` (columns of the parameters
    and ``interest``) and two or more parameters, the runs with the box drawn."""
    scatter = cases is not None and len(box) >= 2
    n = 3 if scatter else 2
    fig = target_figure(fig, figsize, (5.2 * n, 4.6))
    axes = fig.subplots(1, n)
    _trajectory(axes[0], trajectory)
    _limits(axes[1], box)
    if scatter:
        _cases(axes[2], cases, box)
    best = trajectory[trajectory["chosen"]].iloc[0]
    head = f"{title}: " if title else ""
    fig.suptitle(f"{head}PRIM box — coverage {best['coverage']:.0%}, density "
                 f"{best['density']:.0%}, {int(best['restricted'])} parameter(s) restricted",
                 fontsize=12)  # fmt: skip
    return root(fig)
