"""Every metric of a run, declared once: name, label, unit, scope and description.

A metric is reported per lead country and for ``ALL`` (scope ``"country"``), or for the
whole run only (scope ``"all"``). The summary table, the experiment's long ``runs`` table,
the terminal tables, the report and the plots take their metric names, labels, units and
number formats from :data:`METRICS`; nothing else lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

__all__ = [
    "ALL_ONLY",
    "COUNT_METRICS",
    "DEFAULT_OUTCOMES",
    "HEADLINE",
    "METRICS",
    "METRIC_NAMES",
    "Metric",
    "metric_label",
]

Scope = Literal["country", "all"]


@attrs.frozen
class Metric:
    """The declaration of one metric.

    Attributes:
        name: column of the summary table / ``metric`` of the runs table.
        label: short human label (no unit), e.g. "approved".
        unit: unit shown on axes, e.g. "count", "g", "days", "fraction".
        description: one sentence for docs and tables.
        scope: ``"country"`` (per lead country and ``ALL``) or ``"all"`` (whole run only).
        decimals: digits shown in terminal and report tables for one run's value.
    """

    name: str
    label: str
    unit: str
    description: str
    scope: Scope = "country"
    decimals: int = 0

    @property
    def axis_label(self) -> str:
        """``label (unit)``, for axes."""
        return f"{self.label} ({self.unit})"


def _m(*args, **kw) -> tuple[str, Metric]:
    m = Metric(*args, **kw)
    return m.name, m


#: Every metric, in the summary table's column order.
METRICS: Mapping[str, Metric] = dict(
    [
        _m("submitted", "proposals submitted", "count", "proposals submitted"),
        _m("screened_out", "screened out", "count", "incomplete or ineligible"),
        _m("blocked", "blocked by a rule", "count", "blocked by a rule (any gate)"),
        _m("blocked_after_approval", "blocked after approval", "count",
           "approved, then blocked at the agreement or shipping gate"),
        _m("cleared", "legally cleared", "count", "passed screening and screening-gate rules"),
        _m("reviewed", "reviewed", "count", "completed peer review"),
        _m("shortlisted", "shortlisted", "count",
           "shortlisted (interviewed when there is a panel)"),
        _m("approved", "approved", "count", "granted grams at the decision"),
        _m("delivered", "samples in hand", "count", "samples in hand"),
        _m("pending", "pending at horizon", "count", "unfinished at the horizon"),
        _m("grams_requested", "grams requested", "g", "grams requested", decimals=3),
        _m("grams_granted", "grams granted", "g", "grams finally granted", decimals=3),
        _m("approval_rate", "approval rate", "fraction", "approved / submitted", decimals=3),
        _m("median_days_to_decision", "median time to decision", "days",
           "median of decision_day - submitted_day"),
        _m("median_days_to_samples", "median time to samples", "days",
           "median of samples_day - submitted_day"),
        _m("grams_share", "share of grams granted", "fraction", "share of all grams granted",
           decimals=3),
        _m("inventory_used_fraction", "inventory used", "fraction",
           "grams granted / initial inventory", scope="all", decimals=3),
        _m("inventory_reserved_g", "inventory in reserve", "g",
           "grams held in reserve at the end", scope="all", decimals=3),
        _m("merit_efficiency", "merit efficiency", "fraction",
           "share of the top-m true-merit proposals among the m approved", scope="all",
           decimals=3),
        _m("fairness_index", "fairness, Jain's index", "0-1",
           "Jain's index of approval rates across applying countries", scope="all",
           decimals=3),
    ]
)  # fmt: skip

#: Metric names in order.
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
#: Metrics defined for the whole run only (the runs table holds them for ALL only).
ALL_ONLY: tuple[str, ...] = tuple(n for n, m in METRICS.items() if m.scope == "all")
#: Count metrics (integers in one run's summary).
COUNT_METRICS: tuple[str, ...] = tuple(
    n for n, m in METRICS.items() if m.unit == "count" and m.scope == "country"
)
#: What experiments report when no outcomes are asked for.
DEFAULT_OUTCOMES: tuple[str, ...] = ("approved", "grams_granted", "median_days_to_samples")
#: The headline metrics of reports and terminal tables, in order.
HEADLINE: tuple[str, ...] = (
    "submitted",
    "approved",
    "delivered",
    "blocked",
    "grams_granted",
    "approval_rate",
    "median_days_to_decision",
    "median_days_to_samples",
    "inventory_used_fraction",
    "merit_efficiency",
    "fairness_index",
)


def metric_label(name: str) -> str:
    """A readable axis label with its unit (``metric@CC`` keeps the country)."""
    base, _, cc = str(name).partition("@")
    m = METRICS.get(base)
    label = m.axis_label if m else f"{base} (value)"
    return f"{label} [{cc}]" if cc else label
