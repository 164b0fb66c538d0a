"""Parsing ``--outcomes``, the metrics a sweep reports (``--best`` is parsed in
:mod:`samplesim.experiment.best`)."""

from __future__ import annotations

from samplesim.errors import UserError
from samplesim.metrics import DEFAULT_OUTCOMES, METRIC_NAMES

__all__ = ["parse_outcomes"]


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
