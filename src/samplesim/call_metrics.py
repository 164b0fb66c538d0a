"""Per-call values of one run, in numpy (no pandas: experiment workers compute them).

One entry per call of the scenario, in scenario order. Rows of the run record are
``proposal × attempt``; each counts for the call it answered. "Approved" is the summary's
``approved`` (granted grams, or approved data-only: ``RunRecord.approved``), so the calls
add up to the summary's ``ALL`` row.
:mod:`samplesim.call_table` turns these into the ``calls`` table of a run; experiments
aggregate them over replications (:func:`samplesim.call_table.calls_replications`).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise

import numpy as np

from samplesim.metrics import _sorted_medians
from samplesim.model.record import RunRecord

__all__ = ["CALL_METRICS", "CALL_PREFIX", "call_countries", "call_values", "pack", "unpack"]

#: The per-call metrics and the kind of interval their replicated mean gets
#: (:func:`samplesim.intervals.hull_interval`).
CALL_METRICS: Mapping[str, str] = {
    "submitted": "count",
    "approved": "count",
    "acceptance_rate": "proportion",
    "grams_granted": "continuous",
    "median_days_deadline_to_decision": "continuous",
    "median_days_deadline_to_samples": "continuous",
    "applicant_countries": "count",
    "awardee_countries": "count",
    "resubmitted": "count",
}
#: Prefix of the per-call entries a worker adds to a run's metric arrays.
CALL_PREFIX = "call:"


def call_countries(record: RunRecord) -> tuple[list[list[str]], list[list[str]]]:
    """Per call: the sorted lead countries of the submitted and of the approved."""
    submitted = ~np.isnan(record.days["submitted"])
    approved = record.approved
    country = np.asarray(record.country, dtype=object)
    call = np.asarray(record.call)
    apps, awards = [], []
    for k in range(len(record.scenario.calls)):
        mine = call == k
        apps.append(sorted(set(country[mine & submitted].tolist())))
        awards.append(sorted(set(country[mine & approved].tolist())))
    return apps, awards


def _distinct(call: np.ndarray, country: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Per call (``n`` of them): the number of distinct ``country`` codes among ``rows``."""
    k = int(country.max()) + 1 if len(country) else 1
    pairs = np.unique(call[rows] * k + country[rows])
    return np.bincount(pairs // k, minlength=n)[:n].astype(float)


def _per_call_medians(x: np.ndarray, call: np.ndarray, n: int) -> np.ndarray:
    """Per call: the median of ``x`` over its rows where it is not NaN (NaN if none): the
    numbers ``np.median`` gives for each call's rows."""
    keep = ~np.isnan(x)
    x, g = x[keep], call[keep]
    order = np.lexsort((x, g))  # by call, then value
    counts = np.bincount(g, minlength=n)[:n].tolist()
    return np.array(_sorted_medians(x[order].tolist(), counts), dtype=float)


def call_values(record: RunRecord) -> dict[str, np.ndarray]:
    """Each of :data:`CALL_METRICS`: one float per call of the run's scenario."""
    r, calls = record, record.scenario.calls
    n = len(calls)
    days = r.days
    call = np.asarray(r.call, dtype=np.int64)
    mine = (call >= 0) & (call < n)  # rows that answered one of the calls
    submitted = mine & ~np.isnan(days["submitted"])
    approved = mine & r.approved

    def count(rows: np.ndarray) -> np.ndarray:
        return np.bincount(call[rows], minlength=n)[:n].astype(float)

    out = {"submitted": count(submitted)}
    out["approved"] = n_app = count(approved)
    n_sub = out["submitted"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["acceptance_rate"] = np.where(n_sub > 0, n_app / np.where(n_sub > 0, n_sub, 1), np.nan)
    granted = r.granted.sum(axis=1) if r.n else np.zeros(0)
    order = np.argsort(np.where(mine, call, n), kind="stable")  # rows by call, in row order
    bounds = np.searchsorted(call[order], np.arange(n + 1)).tolist() if n else [0]
    g = granted[order]
    # Summed call by call (the same additions, in the same order, as summing each call's rows).
    out["grams_granted"] = np.array([float(g[a:b].sum()) for a, b in pairwise(bounds)])
    # A rolling call has no one deadline: each request is timed from its submission.
    rolling = np.array([c.decision.mode == "rolling" for c in calls], dtype=bool)
    close = np.array([c.close_day for c in calls], dtype=float)
    safe = np.where(mine, call, 0)
    start = np.where(rolling[safe], days["submitted"], close[safe]) if n else days["submitted"]
    for metric, stage in (("decision", "decision"), ("samples", "samples")):
        x = (days[stage] - start)[approved]
        out[f"median_days_deadline_to_{metric}"] = _per_call_medians(x, call[approved], n)
    codes = {c: j for j, c in enumerate(dict.fromkeys(r.country.tolist()))}
    country = np.fromiter((codes[c] for c in r.country), dtype=np.int64, count=len(r.country))
    out["applicant_countries"] = _distinct(call, country, submitted, n)
    out["awardee_countries"] = _distinct(call, country, approved, n)
    out["resubmitted"] = count(submitted & (np.asarray(r.attempt) > 0))
    return {name: out[name] for name in CALL_METRICS}


def pack(record: RunRecord) -> dict[str, np.ndarray]:
    """The per-call values as entries of a run's metric arrays (``call:<metric>``, and
    ``call:`` for the call names), which the long ``runs`` table leaves out."""
    out = {CALL_PREFIX + k: v for k, v in call_values(record).items()}
    out[CALL_PREFIX] = np.asarray([c.name for c in record.scenario.calls], dtype=object)
    return out


def unpack(values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(call names, metric -> values) of what :func:`pack` put in ``values`` (no calls: an
    empty name array)."""
    names = values.get(CALL_PREFIX)
    if names is None:
        return np.zeros(0, dtype=object), {}
    return names, {k: values[CALL_PREFIX + k] for k in CALL_METRICS}
