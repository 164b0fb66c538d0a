"""The ``runs`` and per-call long tables of packed batches (:class:`samplesim.packing.Packed`).

Batches are combined as codes; the ``runs`` table is sorted on the codes (ranked as their
strings sort) and its string columns are decoded once, at the end. The tables are the ones
that one frame per batch, concatenated and sorted with
:func:`samplesim.results_dir.sort_runs`, would give.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from samplesim.metrics import METRIC_NAMES
from samplesim.packing import CALL_METRIC_NAMES, Packed, codes
from samplesim.results_dir import empty_runs

__all__ = ["calls_frame", "runs_frame", "sort_calls", "sorted_runs"]

_STR = pd.StringDtype(na_value=np.nan)  # pandas' default string dtype


def _strings(names: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``names[codes]`` as a column of pandas' default string dtype (through Arrow, without
    a Python object per row, when that dtype is Arrow-backed)."""
    if _STR.storage == "pyarrow":
        return pd.array(pa.array(list(names), pa.large_string()).take(codes), dtype=_STR)
    return pd.array(np.asarray(names, dtype=object)[codes], dtype=_STR)


def _rank(names: Sequence[str]) -> np.ndarray:
    """Per name: its position among the names sorted (as the table sorts strings)."""
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    return rank


def _combined(batches: Sequence[Packed], calls: bool) -> dict[str, object]:
    """The batches' rows (runs table, or per-call rows with ``calls``) in batch order, as
    integer and float columns and code columns with their name lists."""
    variants: dict[str, int] = {}
    names: dict[str, int] = {}
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("p", "v", "r", "s", "n", "m", "x")}
    for b in batches:
        rows = b.call_rows if calls else b.rows
        cols["p"].append(np.repeat(b.point, rows))
        cols["v"].append(np.repeat(codes(variants, b.variants, np.int64)[b.variant], rows))
        cols["r"].append(np.repeat(b.replication, rows))
        cols["s"].append(np.full(int(rows.sum()), b.seed, dtype=np.int64))
        if calls:
            cols["n"].append(codes(names, b.calls, np.int64)[b.call])
            cols["m"].append(b.call_metric)
            cols["x"].append(b.call_value)
        else:
            cols["n"].append(codes(names, b.labels, np.int64)[b.country])
            cols["m"].append(b.metric)
            cols["x"].append(b.value)
    out: dict[str, object] = {k: np.concatenate(v) for k, v in cols.items()}
    out["variants"], out["names"] = list(variants), list(names)
    return out


def _frame(c: dict, order: np.ndarray | None, name: str, metrics: Sequence[str]) -> pd.DataFrame:
    def take(k: str) -> np.ndarray:
        return c[k] if order is None else c[k][order]

    return pd.DataFrame(
        {
            "point": take("p").astype("int64"),
            "variant": _strings(c["variants"], take("v")),
            "replication": take("r").astype("int64"),
            "seed": take("s"),
            name: _strings(c["names"], take("n")),
            "metric": _strings(metrics, take("m")),
            "value": take("x").astype(float),
        }
    )


def runs_frame(batches: Sequence[Packed]) -> pd.DataFrame:
    """The ``runs`` long-table rows of the batches' finished runs, in batch order."""
    if not any(len(b.keys) for b in batches):
        return empty_runs()
    return _frame(_combined(batches, False), None, "country", METRIC_NAMES)


def sorted_runs(batches: Sequence[Packed]) -> pd.DataFrame:
    """The ``runs`` table of the batches: :func:`runs_frame` with duplicate rows (same point,
    variant, replication, country and metric) dropped, keeping the first, and stably sorted by
    those columns, as :func:`samplesim.results_dir.sort_runs` does."""
    if not any(len(b.keys) for b in batches):
        return empty_runs()
    c = _combined(batches, False)
    keys = (
        c["p"],
        _rank(c["variants"])[c["v"]],
        c["r"],
        _rank(c["names"])[c["n"]],
        _rank(METRIC_NAMES)[c["m"]],
    )
    order = np.lexsort(keys[::-1])  # stable; the first key is the primary one
    dup = np.zeros(len(order), dtype=bool)
    dup[1:] = True
    for k in keys:  # a row equal to the one before it in every key
        ks = k[order]
        dup[1:] &= ks[1:] == ks[:-1]
    return _frame(c, order[~dup], "country", METRIC_NAMES)


def calls_frame(batches: Sequence[Packed]) -> pd.DataFrame | None:
    """The per-call long rows (:data:`samplesim.experiment.call_tables.CALL_RUN_COLUMNS`) of the
    batches' finished runs in batch order; None when there are none."""
    if not any(int(b.call_rows.sum()) for b in batches):
        return None
    return _frame(_combined(batches, True), None, "call", CALL_METRIC_NAMES)


def sort_calls(rows: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per-call rows in run order (point, variant, replication; each run's rows as they were),
    so that the ``calls`` table's sums over replications never depend on the order in which
    batches finished (executor, workers) or on part file names."""
    if rows is None:
        return None
    return rows.sort_values(["point", "variant", "replication"], kind="stable", ignore_index=True)
