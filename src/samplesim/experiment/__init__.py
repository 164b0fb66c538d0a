"""Experiments: replications, paired variant comparisons and parameter sweeps.

Every experiment is a list of runs ``(point, variant, replication)`` with one root ``seed``.
Replication ``r`` of every variant and every sweep point uses the same random streams
(common random numbers), so differences between variants or points are paired.

The package is split by job:

* :mod:`~samplesim.experiment.resolve`: the raw data behind a path, dict or Scenario object,
  and the plugins worker processes need;
* :mod:`~samplesim.experiment.plan`: the plan (scenario, seed, variants, points), its runs,
  its identity and manifest;
* :mod:`~samplesim.experiment.task`: one batch run in this process, summaries as long rows;
* :mod:`~samplesim.experiment.driver`: batches through an executor into a store, the
  sequential precision loop, the final tables;
* :mod:`~samplesim.experiment.api`: :func:`replicate`, :func:`compare`, :func:`sweep`.

It draws no figures (:mod:`samplesim.plots` does, asked by the command line) and parses no
command-line options (:mod:`samplesim.commands`).
"""

from samplesim.experiment.api import ExperimentResult, compare, replicate, sweep
from samplesim.experiment.plan import DEFAULT_PRECISION_CAP, parse_precision
from samplesim.experiment.task import run_task
from samplesim.metrics import ALL_ONLY, COUNT_METRICS, DEFAULT_OUTCOMES, METRIC_NAMES
from samplesim.store import sort_runs
from samplesim.worker import run_summary

#: Numeric summary metrics (every summary column but ``country``), from samplesim.metrics.
METRICS: list[str] = list(METRIC_NAMES)

__all__ = [
    "ALL_ONLY",
    "COUNT_METRICS",
    "DEFAULT_OUTCOMES",
    "DEFAULT_PRECISION_CAP",
    "METRICS",
    "ExperimentResult",
    "compare",
    "parse_precision",
    "replicate",
    "run_summary",
    "run_task",
    "sort_runs",
    "sweep",
]
