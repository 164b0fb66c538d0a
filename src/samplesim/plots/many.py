"""Figures of many runs: replications, comparisons against a baseline, and sweeps.

They take the tidy tables of ``docs/tables.md`` (``runs``, ``replications``, ``comparison``,
``points``, ``sensitivity``) and are vectorised so that hundreds of replications of several
variants draw in well under a second. The figures live in
:mod:`~samplesim.plots.replications` and :mod:`~samplesim.plots.compare`; this module gathers
them.
"""

from __future__ import annotations

from samplesim.plots._panels import DEFAULT_METRICS, variant_colors
from samplesim.plots.compare import (
    comparison_forest,
    morris_bars,
    sensitivity_bars,
    sweep_response,
)
from samplesim.plots.replications import replication_metrics, replication_trace

__all__ = [
    "DEFAULT_METRICS",
    "comparison_forest",
    "morris_bars",
    "replication_metrics",
    "replication_trace",
    "sensitivity_bars",
    "sweep_response",
    "variant_colors",
]
