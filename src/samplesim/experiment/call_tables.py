"""An experiment's per-call table: the per-call metrics of every run
(:mod:`samplesim.call_metrics`) over replications, with 95 % intervals of the same kinds as
the country metrics (:mod:`samplesim.intervals`): counts Garwood/t, the acceptance rate
Wilson/t, the rest t. Written as ``calls.csv`` and held as ``ExperimentResult.calls``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from samplesim.call_metrics import CALL_METRICS, unpack
from samplesim.intervals import hull_interval
from samplesim.stats import CONFIDENCE

__all__ = ["CALL_RUN_COLUMNS", "call_rows", "calls_replications", "experiment_calls"]

#: Columns of an experiment's per-call long rows (one value per run, call and metric).
CALL_RUN_COLUMNS = ("point", "variant", "replication", "seed", "call", "metric", "value")


def call_rows(done: list, seed: int) -> pd.DataFrame:
    """The per-call long rows (``CALL_RUN_COLUMNS``) of a batch's finished runs (``(spec,
    labels, values)`` as :func:`samplesim.worker.run_batch` returns them): runs in ``done``
    order, then metrics in table order, then calls in scenario order; one frame per batch."""
    runs, names, metrics, values = [], [], [], []
    for run, _labels, vals in done:
        call_names, per = unpack(vals)
        if not per:
            continue
        runs.append(run)
        names.append(np.tile(np.asarray(call_names, dtype=object), len(per)))
        metrics.append(np.repeat(np.asarray(list(per), dtype=object), len(call_names)))
        values.append(np.concatenate([np.asarray(v, dtype=float) for v in per.values()]))
    if not runs:
        return pd.DataFrame({c: [] for c in CALL_RUN_COLUMNS})
    sizes = [len(v) for v in values]
    return pd.DataFrame(
        {
            "point": np.repeat([r.point for r in runs], sizes).astype("int64"),
            "variant": np.repeat(np.asarray([r.variant for r in runs], dtype=object), sizes),
            "replication": np.repeat([r.replication for r in runs], sizes).astype("int64"),
            "seed": np.full(sum(sizes), seed, dtype="int64"),
            "call": np.concatenate(names),
            "metric": np.concatenate(metrics),
            "value": np.concatenate(values),
        }
    )


def calls_replications(
    rows: pd.DataFrame, by: tuple[str, ...] = ("variant", "call", "metric")
) -> pd.DataFrame:
    """An experiment's ``calls`` table: per ``by`` group ``n`` (replications with a value),
    ``mean``, ``std``, ``ci_low``, ``ci_high`` (95 %, the interval of the metric's kind in
    :data:`samplesim.call_metrics.CALL_METRICS`) and ``interval``; calls in scenario order,
    metrics in table order."""
    cols = [*by, "n", "mean", "std", "ci_low", "ci_high", "interval"]
    if rows is None or not len(rows):
        return pd.DataFrame({c: [] for c in cols})
    rows = rows.assign(
        call=pd.Categorical(rows["call"], categories=list(dict.fromkeys(rows["call"]))),
        metric=pd.Categorical(rows["metric"], categories=list(CALL_METRICS)),
    )
    g = rows.groupby(list(by), sort=True, observed=True)["value"]
    out = g.agg(n="count", mean="mean", std="std").reset_index()
    kind = np.array([CALL_METRICS[m] for m in out["metric"]], dtype=object)
    lo, hi = hull_interval(kind, out["mean"], out["std"], out["n"], CONFIDENCE)
    out["ci_low"], out["ci_high"] = lo, hi
    out["interval"] = np.select(
        [kind == "count", kind == "proportion"], ["t+garwood", "t+wilson"], "t"
    )
    out["n"] = out["n"].astype("int64")
    for c in ("call", "metric"):
        out[c] = out[c].astype(str)
    return out[cols]


def experiment_calls(store: Any, runs: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame | None:
    """The ``calls`` table of an experiment from its store's per-call rows, for the runs of
    the final ``runs`` table only (a resumed directory may hold more); None without rows."""
    rows = store.calls()
    if rows is None or not len(runs):
        return None
    ids = ["point", "variant", "replication"]
    kept = rows.merge(runs[ids].drop_duplicates(), on=ids, how="inner")
    return calls_replications(kept, by)
