"""Parsing the metric specifications experiments are asked for: ``--outcomes`` and ``--best``."""

from __future__ import annotations

from samplesim.errors import UserError
from samplesim.metrics import DEFAULT_OUTCOMES, METRIC_NAMES

__all__ = ["parse_best", "parse_outcomes"]


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


def parse_outcomes(outcomes: list[str] | str | None) -> list[tuple[str, str, str]]:
    """``["approved@US", ...]`` or ``"a,b"`` -> ``[(spec, metric, country)]`` (default ALL)."""
    if outcomes is None:
        outcomes = list(DEFAULT_OUTCOMES)
    if isinstance(outcomes, str):
        outcomes = [o for o in outcomes.split(",") if o.strip()]
    out = []
    for o in outcomes:
        metric, _, country = o.strip().partition("@")
        if metric not in METRIC_NAMES:
            raise UserError(
                f"outcomes: unknown metric {metric!r} (known: {', '.join(METRIC_NAMES)})",
                "outcomes",
            )
        out.append((o.strip(), metric, country or "ALL"))
    return out
