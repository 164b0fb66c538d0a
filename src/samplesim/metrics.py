"""Every metric of a run, declared once: name, label, unit, scope, description and the
pure-numpy function that computes it from the run record.

A metric is reported per lead country and for ``ALL`` (scope ``"country"``), or for the
whole run only (scope ``"all"``). Every table, report and plot takes its metric names,
labels, units and number formats from :data:`METRICS`; nothing else lists them.

:func:`summarize` is the one function that computes a run's metrics, for ``simulate()``'s
summary table and for the experiment workers alike (in the spirit of EMA Workbench's
``ScalarOutcome`` and Mesa's ``DataCollector`` reporters). It reads a
:class:`~samplesim.model.record.RunRecord` through a :class:`RunView` (rows grouped by lead
country) and imports neither pandas nor the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np

if TYPE_CHECKING:
    from samplesim.model.record import RunRecord

__all__ = [
    "ALL",
    "ALL_ONLY",
    "COUNT_METRICS",
    "DEFAULT_OUTCOMES",
    "HEADLINE",
    "METRICS",
    "METRIC_NAMES",
    "Metric",
    "RunView",
    "in_unit",
    "long_rows",
    "metric_label",
    "summarize",
    "to_long",
]

Scope = Literal["country", "all"]

#: The label of the whole-run row (after the sorted countries).
ALL = "ALL"


class RunView:
    """A run record with its rows grouped by lead country: what metric functions read.

    ``labels`` are the countries (every applicant's, with or without proposals, and every
    lead country) sorted, then ``ALL``; a metric's values are one float per label. Metrics
    are computed once and memoised, so ``view["approved"]`` inside another metric's
    function costs nothing the second time.
    """

    __slots__ = ("_values", "group", "k", "labels", "record")

    def __init__(self, record: RunRecord) -> None:
        self.record = record
        country = record.country
        countries = sorted(set(record.applicant_countries) | set(country.tolist()))
        code = {c: j for j, c in enumerate(countries)}
        #: Row -> position of its lead country in ``labels``.
        self.group = np.fromiter((code[c] for c in country), dtype=np.int64, count=len(country))
        self.k = len(countries)
        self.labels: list[str] = [*countries, ALL]
        self._values: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        """The values of metric ``name`` (one float per label)."""
        v = self._values.get(name)
        if v is None:
            v = self._values[name] = METRICS[name].compute(self)
        return v

    def total(self, x: np.ndarray) -> np.ndarray:
        """Per country and ``ALL``: the sum of ``x`` (one number per row; flags count 1)."""
        x = np.asarray(x, dtype=float)
        out = np.empty(self.k + 1)
        out[: self.k] = np.bincount(self.group, weights=x, minlength=self.k)
        out[self.k] = x.sum()
        return out

    def median(self, x: np.ndarray) -> np.ndarray:
        """Per country and ``ALL``: the median of ``x`` over rows where it is not NaN (NaN
        if there are none); the same numbers as ``np.median`` of each group."""
        keep = ~np.isnan(x)
        x = x[keep]
        g = self.group[keep]
        order = np.lexsort((x, g))  # by country, then value
        counts = np.bincount(g, minlength=self.k).tolist()
        per = _sorted_medians(x[order].tolist(), counts)
        return np.array(per + _sorted_medians(np.sort(x).tolist(), [len(x)]), dtype=float)

    def whole_run(self, value: float) -> np.ndarray:
        """A whole-run metric's values: NaN for every country, ``value`` for ``ALL``."""
        out = np.full(self.k + 1, np.nan)
        out[-1] = value
        return out


def _sorted_medians(xs: list[float], counts: list[int]) -> list[float]:
    """Medians of consecutive groups of sorted ``xs`` with ``counts`` values each (NaN for an
    empty group): the middle value, or the mean of the two middle values as ``np.median``
    computes it, ``(a + b) / 2`` (in Python floats: a handful of groups of a few values)."""
    out, start = [], 0
    for c in counts:
        out.append((xs[start + (c - 1) // 2] + xs[start + c // 2]) / 2 if c else math.nan)
        start += c
    return out


def _jain(x: np.ndarray) -> float:
    """Jain's fairness index of ``x`` (NaN entries dropped; NaN if none is positive)."""
    x = x[~np.isnan(x)]
    if len(x) == 0 or not np.any(x > 0):
        return float("nan")
    return float(x.sum() ** 2 / (len(x) * (x**2).sum()))


# --------------------------------------------------------------------------------------------
# The metric functions: RunView -> one float per label (countries, then ALL).


def _in_state(*states: str) -> Callable[[RunView], np.ndarray]:
    def count(v: RunView) -> np.ndarray:
        s = v.record.state
        hit = s == states[0]
        for other in states[1:]:
            hit = hit | (s == other)
        return v.total(hit)

    return count


def _reached(stage: str) -> Callable[[RunView], np.ndarray]:
    def count(v: RunView) -> np.ndarray:
        return v.total(~np.isnan(v.record.days[stage]))

    return count


def _median_days(stage: str) -> Callable[[RunView], np.ndarray]:
    def median(v: RunView) -> np.ndarray:
        days = v.record.days
        return v.median(days[stage] - days["submitted"])

    return median


def _blocked_after_approval(v: RunView) -> np.ndarray:
    r = v.record
    return v.total((r.state == "blocked") & (r.awarded > 0))


def _withdrawn_after_approval(v: RunView) -> np.ndarray:
    r = v.record
    return v.total(((r.state == "blocked") | (r.state == "withdrawn")) & (r.awarded > 0))


def _approved(v: RunView) -> np.ndarray:
    return v.total(v.record.approved)


def _signed_at_decision(v: RunView) -> np.ndarray:
    # Same calendar day: decisions fall on meeting days; NaN (not reached) compares False.
    d = v.record.days
    return v.total(np.floor(d["agreement"]) == np.floor(d["decision"]))


def _grams_requested(v: RunView) -> np.ndarray:
    return v.total(v.record.requested.sum(axis=1))


def _grams_granted(v: RunView) -> np.ndarray:
    return v.total(v.record.granted.sum(axis=1))


def _approval_rate(v: RunView) -> np.ndarray:
    sub = v["submitted"]
    return np.divide(v["approved"], sub, out=np.full_like(sub, np.nan), where=sub > 0)


def _grams_share(v: RunView) -> np.ndarray:
    g = v["grams_granted"]
    return g / g[-1] if g[-1] > 0 else np.full(v.k + 1, np.nan)


def _inventory_used_fraction(v: RunView) -> np.ndarray:
    inv = v.record.inventory  # a renewable resource counts what its periods offered
    initial = float(sum(inv.initial)) + sum(p[3] for p in inv.periods)
    return v.whole_run(v["grams_granted"][-1] / initial if initial else np.nan)


def _inventory_reserved_g(v: RunView) -> np.ndarray:
    return v.whole_run(float(v.record.inventory.reserved.sum()))


def _merit_efficiency(v: RunView) -> np.ndarray:
    r = v.record
    approved = r.approved
    m = int(approved.sum())
    if not m:
        return v.whole_run(np.nan)
    top = np.argsort(-np.asarray(r.merit, dtype=float), kind="stable")[:m]
    return v.whole_run(approved[top].sum() / m)


def _fairness_index(v: RunView) -> np.ndarray:
    k = v.k
    rates = v["approval_rate"][:k][v["submitted"][:k] > 0]
    return v.whole_run(_jain(rates))


def _per_row(name: str) -> Callable[[RunView], np.ndarray]:
    """Per country and ALL: the sum of the record's per-row count ``name`` (0 if absent)."""

    def count(v: RunView) -> np.ndarray:
        x = getattr(v.record, name)
        return v.total(np.zeros(v.record.n) if x is None else x)

    return count


def _decline_rate(v: RunView) -> np.ndarray:
    inv = v["review_invitations"]
    return np.divide(v["review_declines"], inv, out=np.full_like(inv, np.nan), where=inv > 0)


def _max_reviewer_load(v: RunView) -> np.ndarray:
    rid = v.record.reviews.reviewer
    return v.whole_run(float(np.bincount(rid).max()) if len(rid) else 0.0)


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
        compute: the pure-numpy function of a :class:`RunView` giving the metric's values
            (one per label: countries, then ``ALL``; NaN for every country when the scope is
            ``"all"``). Read it through :func:`summarize` or ``RunView(record)[name]``.
    """

    name: str
    label: str
    unit: str
    description: str
    scope: Scope = "country"
    decimals: int = 0
    compute: Callable[[RunView], np.ndarray] | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False
    )

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
        _m("submitted", "proposals submitted", "count", "proposals submitted",
           compute=_reached("submitted")),  # deterred rows were never submitted
        _m("deterred", "deterred by rules", "count",
           "applications a rule prevented (deterrence at the application gate)",
           compute=_in_state("deterred")),
        _m("screened_out", "screened out", "count", "incomplete or ineligible",
           compute=_in_state("incomplete", "ineligible")),
        _m("blocked", "blocked by a rule", "count", "blocked by a rule (any gate)",
           compute=_in_state("blocked")),
        _m("blocked_after_approval", "blocked after approval", "count",
           "approved, then blocked at the agreement or shipping gate",
           compute=_blocked_after_approval),
        _m("withdrawn", "withdrew under a condition", "count",
           "withdrew under a rule's condition (any gate)", compute=_in_state("withdrawn")),
        _m("withdrawn_after_approval", "withdrawn after approval", "count",
           "approved, then blocked or withdrawn at the agreement or shipping gate",
           compute=_withdrawn_after_approval),
        _m("cleared", "legally cleared", "count", "passed screening and screening-gate rules",
           compute=_reached("cleared")),
        _m("reviewed", "reviewed", "count", "completed peer review",
           compute=_reached("reviewed")),
        _m("shortlisted", "shortlisted", "count",
           "shortlisted (interviewed when there is a panel)", compute=_reached("shortlisted")),
        _m("approved", "approved", "count",
           "approved at a decision: granted grams or a data-only request", compute=_approved),
        _m("approved_from_waiting_list", "approved from the waiting list", "count",
           "granted grams freed after another's approval", compute=_per_row("from_waiting_list")),
        _m("signed_at_decision", "signed on decision day", "count",
           "loan agreements signed on the day of the decision (e.g. on site at the announcement)",
           compute=_signed_at_decision),
        _m("delivered", "samples in hand", "count", "samples in hand",
           compute=_in_state("delivered")),
        _m("pending", "pending at horizon", "count", "unfinished at the horizon",
           compute=_in_state("pending")),
        _m("grams_requested", "grams requested", "g", "grams requested", decimals=3,
           compute=_grams_requested),
        _m("grams_granted", "grams granted", "g", "grams finally granted", decimals=3,
           compute=_grams_granted),
        _m("approval_rate", "approval rate", "fraction", "approved / submitted", decimals=3,
           compute=_approval_rate),
        _m("median_days_to_decision", "median time to decision", "days",
           "median of decision_day - submitted_day", compute=_median_days("decision")),
        _m("median_days_to_samples", "median time to samples", "days",
           "median of samples_day - submitted_day", compute=_median_days("samples")),
        _m("grams_share", "share of grams granted", "fraction", "share of all grams granted",
           decimals=3, compute=_grams_share),
        _m("inventory_used_fraction", "granted / initial inventory", "fraction",
           "grams granted / initial inventory (above 1 when returned loans are lent again)",
           scope="all", decimals=3, compute=_inventory_used_fraction),
        _m("inventory_reserved_g", "inventory in reserve", "g",
           "grams held in reserve at the end", scope="all", decimals=3,
           compute=_inventory_reserved_g),
        _m("merit_efficiency", "merit efficiency", "fraction",
           "share of the top-m true-merit proposals among the m approved", scope="all",
           decimals=3, compute=_merit_efficiency),
        _m("fairness_index", "fairness, Jain's index", "0-1",
           "Jain's index of approval rates across applying countries", scope="all",
           decimals=3, compute=_fairness_index),
        _m("review_invitations", "review invitations", "count",
           "review invitations issued (declined ones included)",
           compute=_per_row("invitations")),
        _m("review_declines", "review invitations declined", "count",
           "review invitations declined (re-issued after review.invitation_days)",
           compute=_per_row("declines")),
        _m("decline_rate", "review decline rate", "fraction",
           "declined / issued review invitations", decimals=3, compute=_decline_rate),
        _m("late_reviews", "late reviews", "count",
           "reviews finished after the review deadline (not counted in the score)",
           compute=_per_row("late_reviews")),
        _m("unassigned_reviews", "unassigned reviews", "count",
           "reviews no eligible reviewer could take within review.max_reviews_per_round",
           compute=_per_row("unassigned_reviews")),
        _m("max_reviewer_load", "largest reviewer load", "count",
           "most reviews taken by one reviewer", scope="all", compute=_max_reviewer_load),
    ]
)  # fmt: skip
assert all(m.compute is not None for m in METRICS.values()), "every metric needs a compute"

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


def in_unit(name: str, unit: str = "g") -> tuple[str, str]:
    """(label, unit) of metric ``name`` when the inventory is counted in ``unit``: an amount
    metric (unit ``g``) says ``unit`` and, past masses, names it ("shifts granted")."""
    m = METRICS[name]
    if m.unit != "g" or unit == "g":
        return m.label, m.unit
    noun = "grams" if unit in ("mg", "kg") else unit
    return m.label.replace("grams", noun), unit


def metric_label(name: str, unit: str = "g") -> str:
    """A readable axis label with its unit (``metric@CC`` keeps the country); amounts in the
    inventory's ``unit``."""
    base, _, cc = str(name).partition("@")
    m = METRICS.get(base)
    label = "{} ({})".format(*in_unit(base, unit)) if m else f"{base} (value)"
    return f"{label} [{cc}]" if cc else label


# --------------------------------------------------------------------------------------------
# One run's metrics


def summarize(record: RunRecord) -> tuple[list[str], dict[str, np.ndarray]]:
    """Every metric of one run: the row labels (countries sorted, applicant countries without
    proposals included, then ``ALL``) and one float array per metric, in :data:`METRICS`
    order (``ALL``-only metrics are NaN for every country).

    The one computation of a run's metrics: :func:`samplesim.simulate`'s summary table and the
    experiment workers both call it.
    """
    v = RunView(record)
    return v.labels, {name: v[name] for name in METRICS}


def to_long(
    labels: list[str], values: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(country, metric, value) arrays of one run's :func:`summarize` output, in
    :data:`METRICS` order, ``ALL``-only metrics for ``ALL`` only (the runs table's rows)."""
    c = len(labels)
    cs, ms, vs = [], [], []
    lab = np.asarray(labels, dtype=object)
    for metric, m in METRICS.items():
        v = values[metric]
        if m.scope == "all":
            cs.append(lab[-1:])
            ms.append(np.asarray([metric], dtype=object))
            vs.append(v[-1:])
        else:
            cs.append(lab)
            ms.append(np.full(c, metric, dtype=object))
            vs.append(v)
    return np.concatenate(cs), np.concatenate(ms), np.concatenate(vs).astype(float)


def long_rows(record: RunRecord) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One run's rows of the experiment's long ``runs`` table: (country, metric, value)."""
    return to_long(*summarize(record))
