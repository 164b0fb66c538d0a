"""Running one batch of an experiment in this process, and a run's summary as long rows.

:func:`samplesim.worker.run_batch` returns each finished run's summary arrays; the driver (and
:func:`run_task`) turn them into rows of the tidy ``runs`` long table (docs/tables.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from samplesim.metrics import to_long
from samplesim.results_dir import empty_runs
from samplesim.worker import RunSpec, Task, run_batch

__all__ = ["frame", "run_task"]


def frame(done: list[tuple[RunSpec, list[str], dict[str, np.ndarray]]], seed: int) -> pd.DataFrame:
    """The long-table rows of a batch's finished runs."""
    if not done:
        return empty_runs()
    frames = [(run, *to_long(labels, vals)) for run, labels, vals in done]
    sizes = [len(f[1]) for f in frames]
    return pd.DataFrame(
        {
            "point": np.repeat([f[0].point for f in frames], sizes).astype("int64"),
            "variant": np.repeat(np.asarray([f[0].variant for f in frames], dtype=object), sizes),
            "replication": np.repeat([f[0].replication for f in frames], sizes).astype("int64"),
            "seed": np.full(sum(sizes), seed, dtype="int64"),
            "country": np.concatenate([f[1] for f in frames]),
            "metric": np.concatenate([f[2] for f in frames]),
            "value": np.concatenate([f[3] for f in frames]),
        }
    )


def run_task(task: Task) -> tuple[pd.DataFrame, list[str], list[dict[str, Any]]]:
    """Run a batch in this process: its long-table rows, the keys of the runs that finished
    and one record per run that raised (see :func:`samplesim.worker.run_batch`)."""
    done, keys, errors = run_batch(task)
    return frame(done, task.seed), keys, errors
