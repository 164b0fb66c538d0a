"""Figures from result tables (never a live simulation).

Every function takes tables (a :class:`~samplesim.SimulationResult`, or DataFrames with the
columns of ``docs/tables.md``) and returns a :class:`matplotlib.figure.Figure`; nothing
changes matplotlib's global state. :func:`save_run_plots` writes one run's PNGs.
"""

from samplesim.plots._common import (
    COUNTRY_COLORS,
    METRIC_LABELS,
    PALETTE,
    RunTables,
    country_colors,
    metric_label,
    run_tables,
    save_figure,
)
from samplesim.plots.check import check_facts
from samplesim.plots.files import (
    detect_kind,
    dir_figures,
    load_experiment,
    load_run,
    read_manifest,
    save_dir_plots,
)
from samplesim.plots.many import (
    DEFAULT_METRICS,
    comparison_forest,
    morris_bars,
    replication_metrics,
    replication_trace,
    sensitivity_bars,
    sweep_response,
    variant_colors,
)
from samplesim.plots.run import (
    FUNNEL_STAGES,
    RUN_FIGURES,
    TIMING_ECDF_MIN,
    allocation,
    funnel,
    inventory_over_time,
    save_run_plots,
    timeline,
    timing,
    timing_form,
)

__all__ = [
    "COUNTRY_COLORS",
    "DEFAULT_METRICS",
    "FUNNEL_STAGES",
    "METRIC_LABELS",
    "PALETTE",
    "RUN_FIGURES",
    "TIMING_ECDF_MIN",
    "RunTables",
    "allocation",
    "check_facts",
    "comparison_forest",
    "country_colors",
    "detect_kind",
    "dir_figures",
    "funnel",
    "inventory_over_time",
    "load_experiment",
    "load_run",
    "metric_label",
    "morris_bars",
    "read_manifest",
    "replication_metrics",
    "replication_trace",
    "run_tables",
    "save_dir_plots",
    "save_figure",
    "save_run_plots",
    "sensitivity_bars",
    "sweep_response",
    "timeline",
    "timing",
    "timing_form",
    "variant_colors",
]
