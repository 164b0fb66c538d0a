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

import numpy as np

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


def _median(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


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


def call_values(record: RunRecord) -> dict[str, np.ndarray]:
    """Each of :data:`CALL_METRICS`: one float per call of the run's scenario."""
    r, calls = record, record.scenario.calls
    days = r.days
    submitted = ~np.isnan(days["submitted"])
    approved = r.approved
    granted = r.granted.sum(axis=1) if r.n else np.zeros(0)
    call = np.asarray(r.call)
    apps, awards = call_countries(record)
    out = {name: np.full(len(calls), np.nan) for name in CALL_METRICS}
    for k, c in enumerate(calls):
        mine = call == k
        sub, app = mine & submitted, mine & approved
        n_sub, n_app = int(sub.sum()), int(app.sum())
        out["submitted"][k] = n_sub
        out["resubmitted"][k] = int((sub & (np.asarray(r.attempt) > 0)).sum())
        out["approved"][k] = n_app
        out["acceptance_rate"][k] = n_app / n_sub if n_sub else np.nan
        out["grams_granted"][k] = float(granted[mine].sum())
        # A rolling call has no one deadline: each request is timed from its submission.
        start = days["submitted"][app] if c.decision.mode == "rolling" else c.close_day
        out["median_days_deadline_to_decision"][k] = _median(days["decision"][app] - start)
        out["median_days_deadline_to_samples"][k] = _median(days["samples"][app] - start)
        out["applicant_countries"][k] = len(apps[k])
        out["awardee_countries"][k] = len(awards[k])
    return out


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
