"""Named subsets of :data:`samplesim.metrics.METRICS`: what each table, report and figure
shows. The consumers list no metric themselves; a new view of the metrics is one tuple here."""

from __future__ import annotations

from collections.abc import Mapping

from samplesim.metrics import HEADLINE

__all__ = [
    "CARD",
    "EXPERIMENT_COUNTRY_TABLE",
    "EXPERIMENT_TABLE",
    "PLOT_DEFAULTS",
    "REPORT_COUNTRY_COLUMNS",
    "REPORT_EXPERIMENT",
    "REPORT_RUN",
    "RUN_TABLE",
]


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
#: The key metrics of a result's card and ``repr()`` (:mod:`samplesim.cards`), at ALL.
CARD: tuple[str, ...] = (
    "submitted",
    "approved",
    "delivered",
    "grams_granted",
    "median_days_to_decision",
    "median_days_to_samples",
)
#: ``samplesim run``'s table by lead country: metric -> column header (digits: ``decimals``).
RUN_TABLE: Mapping[str, str] = {
    "submitted": "submitted",
    "deterred": "deterred",
    "screened_out": "screened out",
    "blocked": "blocked",
    "reviewed": "reviewed",
    "shortlisted": "shortlisted",
    "approved": "approved",
    "delivered": "in hand",
    "grams_granted": "grams",
    "median_days_to_decision": "median days to decision",
    "median_days_to_samples": "median days to samples",
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
