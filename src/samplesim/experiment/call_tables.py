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
    labels, values)`` as :func:`samplesim.worker.run_batch` returns them)."""
    parts = []
    for run, _labels, values in done:
        names, per = unpack(values)
        for metric, v in per.items():
            parts.append(
                pd.DataFrame(
                    {
                        "point": run.point,
                        "variant": run.variant,
                        "replication": run.replication,
                        "seed": seed,
                        "call": names,
                        "metric": metric,
                        "value": np.asarray(v, dtype=float),
                    }
                )
            )
    if not parts:
        return pd.DataFrame({c: [] for c in CALL_RUN_COLUMNS})
    return pd.concat(parts, ignore_index=True)


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
