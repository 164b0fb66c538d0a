"""The report's per-call sections: a run's ``calls`` table and an experiment's (means with
95 % intervals). The report's table and interval-cell renderers are handed in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from samplesim.metrics import in_unit

__all__ = ["experiment_calls_html", "run_calls_html"]

#: The experiment metrics the report shows per call (of ``call_metrics.CALL_METRICS``).
_SHOWN = (
    "submitted",
    "approved",
    "acceptance_rate",
    "grams_granted",
    "median_days_deadline_to_decision",
    "median_days_deadline_to_samples",
)
#: How each is formatted (a metric name the report's number format knows).
_FMT = {"acceptance_rate": "approval_rate"}


def _amount(unit: str) -> str:
    return "{} ({})".format(*in_unit("grams_granted", unit))


def run_calls_html(calls: pd.DataFrame | None, unit: str, table: Callable[..., str]) -> str:
    """A run's per-call table ("" when the run has none: outputs of older versions)."""
    if calls is None or not len(calls):
        return ""
    df = calls.drop(columns=[c for c in ("unit",) if c in calls.columns]).copy()
    df["deadline_date"] = pd.to_datetime(df["deadline_date"]).dt.date.astype(str)
    df = df.rename(columns={"grams_granted": _amount(unit)})
    fmt = {_amount(unit): "grams_granted", "acceptance_rate": "approval_rate"}
    left = ["call", "deadline_date", "applicant_country_list", "awardee_country_list"]
    return "<h3>By call</h3>" + table(df, left=left, fmt=fmt)


def experiment_calls_html(
    calls: pd.DataFrame | None,
    unit: str,
    table: Callable[..., str],
    ci: Callable[[float, float, float, str], Any],
) -> str:
    """An experiment's per-call means with 95 % intervals, one row per variant and call (a
    sweep's first point only)."""
    if calls is None or not len(calls):
        return ""
    c = calls
    note = ""
    if "point" in c and c["point"].nunique() > 1:
        c = c[c["point"] == c["point"].min()]
        note = "<p class='note'>First point of the sweep; calls.csv has every point.</p>"
    rows = []
    for (variant, call), g in c.groupby(["variant", "call"], sort=False):
        by = g.set_index("metric")
        row: dict[str, Any] = {"variant": variant, "call": call}
        for m in _SHOWN:
            name = _amount(unit) if m == "grams_granted" else m
            if m in by.index:
                r = by.loc[m]
                row[name] = ci(r["mean"], r["ci_low"], r["ci_high"], _FMT.get(m, m))
            else:
                row[name] = "–"
        rows.append(row)
    return (
        "<h3>By call (mean over replications, 95 % interval)</h3>"
        + note
        + table(pd.DataFrame(rows, dtype=object), left=["variant", "call"])
    )
