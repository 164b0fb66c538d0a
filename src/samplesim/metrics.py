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
    "EXPERIMENT_COUNTRY_TABLE",
    "EXPERIMENT_TABLE",
    "HEADLINE",
    "METRICS",
    "METRIC_NAMES",
    "PLOT_DEFAULTS",
    "REPORT_COUNTRY_COLUMNS",
    "REPORT_EXPERIMENT",
    "REPORT_RUN",
    "RUN_TABLE",
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

# --- what each consumer shows (named subsets; the consumers list no metric themselves) ----

#: Metrics the many-run figures show when none are asked for (those present, in order).
PLOT_DEFAULTS: tuple[str, ...] = (
    "approval_rate",
    "grams_granted",
    "median_days_to_decision",
    "median_days_to_samples",
    "fairness_index",
    "merit_efficiency",
)
#: The report's whole-run (ALL) table of one run.
REPORT_RUN: tuple[str, ...] = (
    "submitted",
    "blocked",
    "shortlisted",
    "approved",
    "delivered",
    "pending",
    "grams_requested",
    "grams_granted",
    "approval_rate",
    "median_days_to_decision",
    "median_days_to_samples",
    "inventory_used_fraction",
    "merit_efficiency",
    "fairness_index",
)
#: The report's by-country table of one run (after the ``country`` column).
REPORT_COUNTRY_COLUMNS: tuple[str, ...] = (
    "submitted",
    "screened_out",
    "blocked",
    "cleared",
    "shortlisted",
    "approved",
    "delivered",
    "grams_granted",
    "approval_rate",
    "median_days_to_decision",
    "median_days_to_samples",
)
#: The report's experiment tables (replications, comparison, sweep points): the headline
#: metrics but ``submitted``.
REPORT_EXPERIMENT: tuple[str, ...] = tuple(m for m in HEADLINE if m != "submitted")
#: ``samplesim run``'s table by lead country: metric -> column header (digits: ``decimals``).
RUN_TABLE: Mapping[str, str] = {
    "submitted": "submitted",
    "screened_out": "screened out",
    "blocked": "blocked",
    "reviewed": "reviewed",
    "shortlisted": "shortlisted",
    "approved": "approved",
    "delivered": "in hand",
    "grams_granted": "grams",
    "median_days_to_decision": "days to decision",
    "median_days_to_samples": "days to samples",
}
#: The experiment commands' terminal tables (whole run): metric -> digits of a mean over
#: replications (a mean of counts keeps a decimal or two).
EXPERIMENT_TABLE: Mapping[str, int] = {
    "submitted": 1,
    "approved": 2,
    "delivered": 2,
    "blocked": 2,
    "grams_granted": 3,
    "approval_rate": 3,
    "median_days_to_decision": 0,
    "median_days_to_samples": 0,
    "merit_efficiency": 3,
    "fairness_index": 3,
}
#: The experiment commands' by-country table (digits as in :data:`EXPERIMENT_TABLE`).
EXPERIMENT_COUNTRY_TABLE: tuple[str, ...] = ("submitted", "approved", "grams_granted")


def metric_label(name: str) -> str:
    """A readable axis label with its unit (``metric@CC`` keeps the country)."""
    base, _, cc = str(name).partition("@")
    m = METRICS.get(base)
    label = m.axis_label if m else f"{base} (value)"
    return f"{label} [{cc}]" if cc else label
