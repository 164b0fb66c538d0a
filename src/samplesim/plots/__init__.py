"""Figures from result tables (never a live simulation).

Every function takes tables (a :class:`~samplesim.SimulationResult`, or DataFrames with the
columns of ``docs/tables.md``) and returns a :class:`matplotlib.figure.Figure`; nothing
changes matplotlib's global state. :func:`save_run_plots` writes one run's PNGs.
"""

from samplesim.plots._common import (
    COUNTRY_COLORS,
    METRIC_LABELS,
    RunTables,
    country_colors,
    metric_label,
    run_tables,
    save_figure,
)
from samplesim.plots.run import (
    FUNNEL_STAGES,
    RUN_FIGURES,
    allocation,
    funnel,
    inventory_over_time,
    save_run_plots,
    timeline,
    timing,
)

__all__ = [
    "COUNTRY_COLORS",
    "FUNNEL_STAGES",
    "METRIC_LABELS",
    "RUN_FIGURES",
    "RunTables",
    "allocation",
    "country_colors",
    "funnel",
    "inventory_over_time",
    "metric_label",
    "run_tables",
    "save_figure",
    "save_run_plots",
    "timeline",
    "timing",
]
