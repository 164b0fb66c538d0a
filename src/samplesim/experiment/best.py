"""``compare(best=...)``: parse the goal and run the subset selection on the runs."""

from __future__ import annotations

import pandas as pd

from samplesim.errors import UserError
from samplesim.metrics import METRIC_NAMES
from samplesim.multiplicity import select_best

__all__ = ["best_selection", "parse_best"]


def parse_best(best: str | None) -> tuple[str, str, bool] | None:
    """``"approved@US:max"`` -> ``("approved", "US", True)`` (default ALL, max)."""
    if best is None:
        return None
    spec, _, goal = str(best).partition(":")
    metric, _, country = spec.strip().partition("@")
    goal = goal.strip() or "max"
    if metric not in METRIC_NAMES or goal not in ("max", "min"):
        raise UserError(
            f"best {best!r}: expected METRIC[@COUNTRY][:max|min] with a known metric",
            param="best",
        )
    return metric, country or "ALL", goal == "max"


def best_selection(
    runs: pd.DataFrame, goal: tuple[str, str, bool] | None, variants: list[str]
) -> pd.DataFrame | None:
    """Which of ``variants`` may be best for ``goal`` (see :func:`select_best`); None without."""
    if goal is None:
        return None
    metric, country, larger = goal
    sel = runs[(runs["metric"] == metric) & (runs["country"] == country)]
    wide = sel.pivot_table(index="replication", columns="variant", values="value")
    wide = wide.reindex(columns=variants)
    return select_best(wide, larger_is_better=larger).assign(
        metric=metric, country=country, goal="max" if larger else "min"
    )
