"""Outcome tables of one run: proposals, reviews, events, inventory, rules, calls, summary.

Built from the run's :class:`~samplesim.model.record.RunRecord` after the run: proposals and
the summary at once, the events, reviews, inventory and rules tables on first access (a user
reading ``.proposals`` and ``.summary`` never pays for the event log). Column
meanings are documented in ``PROPOSAL_COLUMNS`` / ``REVIEW_COLUMNS`` / ``SUMMARY_COLUMNS``
(and in the README); the summary's metrics are computed by :func:`samplesim.metrics.summarize`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa

from samplesim.call_table import calls_frame
from samplesim.metrics import COUNT_METRICS, METRICS, summarize
from samplesim.model.record import RunRecord
from samplesim.scenario.panels import panel_reviews, route_rows
from samplesim.scenario.routes import institution_reviewers
from samplesim.scenario.schema import Scenario
from samplesim.scenario.units import scenario_unit
from samplesim.stages import STAGE_NAMES, TERMINAL_STATES

__all__ = [
    "LIST_COLUMNS",
    "PROPOSAL_COLUMNS",
    "REVIEW_COLUMNS",
    "SUMMARY_COLUMNS",
    "SimulationResult",
    "build_result",
    "summary_frame",
]

PROPOSAL_COLUMNS: dict[str, str] = {
    "proposal_id": "P<call>-<n>: unique within the run (one row per submission)",
    "attempt": "1 for a first submission, k for its (k-1)-th resubmission ([resubmission])",
    "first_proposal_id": "proposal_id of the proposal's first submission (its own if attempt 1)",
    "call": "name of the call the proposal answered",
    "institution": "lead institution",
    "country": "lead institution's country",
    "kind": "lead institution's kind (university, agency, ...)",
    "funders": "lead's funders (a list of strings; [] for none)",
    "team_countries": "every team member's country (a sorted list of strings)",
    **{
        f"{s}_day": f"simulation day the proposal reached '{s}' (NaN if never)" for s in STAGE_NAMES
    },
    "submitted_date": "calendar date of submission (NaT for a deterred application)",
    "decision_date": "calendar date of the decision (NaT if none)",
    "samples_date": "calendar date samples were in hand (NaT if none)",
    "days_to_decision": "decision_day - submitted_day",
    "days_to_samples": "samples_day - submitted_day",
    "state": "terminal state, one of: " + ", ".join(TERMINAL_STATES),
    "reason": "why it ended there (rule name and detail when a rule blocked it; NA if none)",
    "conditions": "conditions imposed by rules (e.g. without NASA funds; NA if none)",
    "panel": "the review panel the proposal went to (NA without [[review.panels]])",
    "destructive": "whether the analysis consumes the sample",
    "merit": "latent true merit ~ N(0, 1)",
    "review_score": "mean of the independent review scores",
    "final_score": "review score combined with the panel score (shortlisted only)",
    "review_wait_days": "mean wait for a reviewer over the proposal's reviews",
    "rule_delay_days": "days spent waiting on rules (up to the horizon)",
    "condition_delay_days": "days spent on conditions' extra_delay (up to the horizon)",
    "from_waiting_list": "approved from its call's waiting list (grams freed after approval)",
    "grams_requested": "grams requested over all sample types",
    "grams_feasible": "grams the feasibility review let through (only with [feasibility])",
    "grams_awarded": "grams granted at the decision (before any later withdrawal or cut)",
    "grams_granted": "grams finally granted (0 if the grant was withdrawn; less if cut)",
}

#: Proposal columns holding a list of strings per row (list columns in Parquet).
LIST_COLUMNS = ("funders", "team_countries")

REVIEW_COLUMNS: dict[str, str] = {
    "proposal_id": "the reviewed proposal",
    "review": "review number within the proposal, 1..reviews_per_proposal",
    "reviewer_id": "reviewer, 0..reviewers-1 (distinct within a proposal)",
    "reviewer_country": "reviewer's country (NA for reviewers listed under no country)",
    "start_day": "simulation day the reviewer took the review",
    "end_day": "simulation day the review was finished (NaN if under way at the horizon)",
    "score": "the review's score (NaN if unfinished); review_score is their mean",
    "panel": "the review panel of the reviewed proposal (NA without [[review.panels]])",
}

SUMMARY_COLUMNS: dict[str, str] = {
    "country": "lead country, or ALL for the whole run",
    **{n: ("ALL only: " if m.scope == "all" else "") + m.description for n, m in METRICS.items()},
}


class _Lazy:
    """A table not built yet: ``builder(record, *args)`` on first access (picklable)."""

    __slots__ = ("args", "builder", "record")

    def __init__(self, builder: Any, record: RunRecord, *args: Any) -> None:
        self.builder, self.record, self.args = builder, record, args

    def __call__(self) -> pd.DataFrame:
        return self.builder(self.record, *self.args)


@attrs.frozen(repr=False)
class SimulationResult:
    """One run's tables (pandas DataFrames) and what produced them.

    ``events``, ``inventory``, ``rules`` and ``reviews`` are built on first access (once).
    ``repr()`` is a short summary; in Jupyter the result shows as a card
    (:mod:`samplesim.cards`)."""

    scenario: str
    variant: str
    seed: int
    replication: int
    start_date: dt.date
    proposals: pd.DataFrame
    _events: pd.DataFrame | _Lazy = attrs.field(alias="events")
    summary: pd.DataFrame
    _inventory: pd.DataFrame | _Lazy = attrs.field(alias="inventory")
    _rules: pd.DataFrame | _Lazy = attrs.field(alias="rules")
    initial_grams: dict[str, float]
    n_events: int = 0
    _reviews: pd.DataFrame | _Lazy = attrs.field(alias="reviews", factory=pd.DataFrame)
    _calls: pd.DataFrame | _Lazy = attrs.field(alias="calls", factory=pd.DataFrame)
    #: The inventory's unit (``[[inventory]] unit``): what ``grams_*`` columns count.
    unit: str = "g"
    _periods: pd.DataFrame | _Lazy = attrs.field(alias="periods", factory=pd.DataFrame)

    def _table(self, name: str) -> pd.DataFrame:
        value = getattr(self, name)
        if isinstance(value, _Lazy):
            value = value()
            object.__setattr__(self, name, value)  # the cache of a frozen instance
        return value

    @property
    def events(self) -> pd.DataFrame:
        """One row per logged event, in time order."""
        return self._table("_events")

    @property
    def inventory(self) -> pd.DataFrame:
        """The inventory log: grams of each sample type over time."""
        return self._table("_inventory")

    @property
    def rules(self) -> pd.DataFrame:
        """One row per rule: how often it applied and what it decided."""
        return self._table("_rules")

    @property
    def reviews(self) -> pd.DataFrame:
        """One row per review started (``REVIEW_COLUMNS``)."""
        return self._table("_reviews")

    @property
    def calls(self) -> pd.DataFrame:
        """One row per call (:data:`samplesim.call_table.CALL_COLUMNS`)."""
        return self._table("_calls")

    @property
    def periods(self) -> pd.DataFrame:
        """Renewable resources: one row per sample type and period (``PERIOD_COLUMNS``)."""
        return self._table("_periods")

    def __repr__(self) -> str:
        from samplesim.cards import run_text

        return run_text(self)

    def _repr_html_(self) -> str:
        from samplesim.cards import run_html

        return run_html(self)


def _dates(start: dt.date, days: np.ndarray) -> pd.Series:
    base = np.datetime64(start.isoformat(), "s")
    secs = np.where(np.isnan(days), 0, np.round(days * 86400)).astype("int64")
    out = base + secs.astype("timedelta64[s]")
    out = np.where(np.isnan(days), np.datetime64("NaT"), out)
    return pd.Series(out.astype("datetime64[s]"))


def _na(values: Any) -> list[str | None]:
    """Strings with ``""`` (nothing to say) as a missing value."""
    return [v if v != "" else None for v in values]


def _text(values: list[str | None]) -> Any:
    """A text column (None: missing) of the dtype pandas would give ``values``. Arrow-backed
    strings (pandas 3's ``str``) are built in the system allocator: pyarrow's default pool
    holds about twice the text in memory for a large column, and malloc reuses what the run
    freed."""
    dtype = pd.Series(["x"]).dtype  # what pandas makes of strings (object before pandas 3)
    arrow = isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
    if not arrow or pd.api.types.infer_dtype(values, skipna=True) != "string":
        return values  # pandas' own choice (e.g. object for no text at all)
    pool = pa.system_memory_pool()
    arr = pa.array(values, type=pa.large_string(), from_pandas=True, memory_pool=pool)
    return pd.array(arr, dtype=dtype)


def _proposals(r: RunRecord) -> tuple[pd.DataFrame, list[str]]:
    """The proposals table and its proposal ids (as Python strings)."""
    sc, apps, n = r.scenario, r.applicants, r.n
    calls = [c.name for c in sc.calls]
    counters: dict[int, int] = {}
    ids = []
    for c in r.call:
        counters[c] = counters.get(c, 0) + 1
        ids.append(f"P{c + 1}-{counters[c]:04d}")
    first = np.asarray(r.proposal, dtype=np.int64)
    cols: dict[str, Any] = {
        "proposal_id": _text(ids),
        "attempt": np.asarray(r.attempt, dtype=np.int64) + 1,
        "first_proposal_id": _text([ids[k] for k in first.tolist()]),
        "call": _text([calls[c] for c in r.call]),
        "institution": _text([apps[a].name for a in r.applicant]),
        "country": _text(r.country.tolist()),
        "kind": _text([apps[a].kind for a in r.applicant]),
        "funders": [list(apps[a].funders) for a in r.applicant],
        "team_countries": [sorted(x) for x in r.team_countries],
    }
    days = r.days
    for s in STAGE_NAMES:
        cols[f"{s}_day"] = days[s]
    cols["submitted_date"] = _dates(sc.start_date, days["submitted"])
    cols["decision_date"] = _dates(sc.start_date, days["decision"])
    cols["samples_date"] = _dates(sc.start_date, days["samples"])
    cols["days_to_decision"] = days["decision"] - days["submitted"]
    cols["days_to_samples"] = days["samples"] - days["submitted"]
    cols["state"] = pd.Categorical(r.state, categories=list(TERMINAL_STATES))
    cols["reason"] = _text(_na(r.reason))
    cols["conditions"] = _text(_na(r.conditions))
    cols["panel"] = panel_column(r)
    cols["destructive"] = r.destructive
    cols["merit"] = r.merit
    cols["review_score"] = r.review_score
    cols["final_score"] = r.final_score
    cols["review_wait_days"] = r.review_wait
    cols["rule_delay_days"] = r.rule_delay
    cols["condition_delay_days"] = r.condition_delay
    cols["from_waiting_list"] = r.from_waiting_list
    cols["grams_requested"] = r.requested.sum(axis=1) if n else np.zeros(0)
    if r.feasible is not None:  # only with a feasibility review: the request it let through
        cols["grams_feasible"] = r.feasible.sum(axis=1) if n else np.zeros(0)
    cols["grams_awarded"] = r.awarded
    cols["grams_granted"] = r.granted.sum(axis=1) if n else np.zeros(0)
    for t, name in enumerate(sc.sample_types):
        cols[f"requested_g:{name}"] = r.requested[:, t]
        cols[f"granted_g:{name}"] = r.granted[:, t]
    return pd.DataFrame(cols), ids


def _events(r: RunRecord, ids: list[str]) -> pd.DataFrame:
    log = r.events
    idx, days, (kind, kinds), (name, names), detail, grams = log.table()  # in run order
    id_arr = np.asarray([*ids, None], dtype=object)  # row -1: a run-level event
    df = pd.DataFrame(
        {
            "proposal_id": id_arr[idx] if len(idx) else np.zeros(0, dtype=object),
            "day": days,
            "date": _dates(r.scenario.start_date, days),
            # Few distinct values in millions of rows: categoricals are smaller and faster.
            "kind": pd.Categorical.from_codes(kind, categories=kinds),
            "name": pd.Categorical.from_codes(name, categories=names),
            "detail": pd.Categorical(_na(detail)),
            "grams": grams,
        }
    )
    # Stable sort by time keeps each proposal's own order of equal-time events.
    return df.sort_values("day", kind="stable", ignore_index=True)


def _reviews(r: RunRecord, ids: list[str]) -> pd.DataFrame:
    """One row per review started, in the order reviewers took them (see REVIEW_COLUMNS)."""
    rv = r.reviews
    i, rid = rv.row, rv.reviewer
    df = pd.DataFrame(
        {
            "proposal_id": np.asarray(ids, dtype=object)[i] if len(i) else np.zeros(0, object),
            "review": rv.review + 1,
            "reviewer_id": rid,
            "reviewer_country": np.asarray(_na(rv.reviewer_country), dtype=object)[rid]
            if len(i)
            else np.zeros(0, object),
            "start_day": rv.start,
            "end_day": rv.end,
            "score": rv.score,
        }
    )
    panel = panel_column(r)
    df["panel"] = panel[i] if len(i) else np.zeros(0, object)
    if any(rv.reviewer_institutions for rv in panel_reviews(r.scenario.review)):
        df["reviewer_institution"] = reviewer_institution_column(r.scenario, rid)
    return df


def reviewer_institution_column(sc: Scenario, rid: np.ndarray) -> np.ndarray:
    """The institution of each reviewer id in ``rid`` (None for reviewers listed by none;
    with several panels, ids run over the panels in order)."""
    names: list[str | None] = []
    for rv in panel_reviews(sc.review):
        mine: list[str | None] = [None] * sum(rv.reviewer_countries.values())
        mine += institution_reviewers(attrs.evolve(sc, review=rv))[0]
        names += mine + [None] * (rv.reviewers - len(mine))
    return np.asarray(names, dtype=object)[rid] if len(rid) else np.zeros(0, object)


def panel_column(r: RunRecord) -> np.ndarray:
    """Each row's review panel (missing, None, without ``[[review.panels]]``)."""
    sc = r.scenario
    if not sc.review.panels:
        return np.full(r.n, None, dtype=object)
    kinds = [r.applicants[a].kind for a in r.applicant]
    calls = [sc.calls[c].name for c in r.call]
    of = route_rows(sc, calls, kinds, r.country.tolist(), r.requested)
    return np.asarray([pn.name for pn in sc.review.panels], dtype=object)[of]


def _inventory(r: RunRecord) -> pd.DataFrame:
    inv = r.inventory
    log = np.asarray(inv.log, dtype=float).reshape(-1, 6)
    names = np.asarray(inv.names, dtype=object)
    return pd.DataFrame(
        {
            "day": log[:, 0],
            "sample_type": names[log[:, 1].astype(int)],
            "remaining_g": log[:, 2],
            "reserved_g": log[:, 3],
            "on_loan_g": log[:, 4],
            "consumed_g": log[:, 5],
        }
    )


#: Columns of :attr:`SimulationResult.periods`: offered = granted + expired + left_g.
PERIOD_COLUMNS = ("sample_type", "period", "start_day", "offered_g", "granted_g", "expired_g",
                  "left_g")  # fmt: skip


def _periods(r: RunRecord) -> pd.DataFrame:
    rows = r.inventory.periods
    data = np.asarray([row[1:] for row in rows], dtype=float).reshape(-1, 6)
    names = np.asarray(r.inventory.names, dtype=object)
    out = pd.DataFrame(dict(zip(PERIOD_COLUMNS[1:], data.T, strict=True)))
    out.insert(0, "sample_type", names[[row[0] for row in rows]])
    return out.astype({"period": "int64"})


RULE_COLUMNS = (
    "rule", "gate", "effect", "applied", "passed", "conditioned", "blocked", "mean_delay_days",
    "scope", "from_day", "until_day", "shared_outcome", "resolution_day", "withdrew",
)  # fmt: skip


def _shared(rows: tuple[tuple[str, str, float], ...]) -> tuple[str | None, float]:
    """(shared_outcome, resolution_day) of a rule's shared resolutions: the outcome and day
    of a single one; several (one per call): ``call: outcome (day d)`` joined, day NaN."""
    if not rows:
        return None, float("nan")
    if len(rows) == 1:
        return rows[0][1], rows[0][2]
    return "; ".join(f"{who}: {outcome} (day {day:g})" for who, outcome, day in rows), np.nan


def _rules(r: RunRecord) -> pd.DataFrame:
    rows = []
    nan = float("nan")
    for rule in r.scenario.rules:
        applied, passed, cond, blocked, delay_sum, n_delay = r.rule_stats.get(
            rule.name, (0, 0, 0, 0, 0.0, 0)
        )
        lo, hi = rule.in_force_from, rule.in_force_until
        rows.append(
            (rule.name, rule.gate, rule.effect, applied, passed, cond, blocked,
             delay_sum / n_delay if n_delay else 0.0, rule.scope,
             nan if lo is None else lo, nan if hi is None else hi,
             *_shared(r.rule_shared.get(rule.name, ())),
             r.rule_withdrew.get(rule.name, 0))
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(RULE_COLUMNS))


def summary_frame(record: RunRecord) -> pd.DataFrame:
    """The summary table of one run (``SUMMARY_COLUMNS``; counts as integers): the values of
    :func:`samplesim.metrics.summarize`, one row per country, then ``ALL``."""
    labels, values = summarize(record)
    cols: dict[str, np.ndarray] = {"country": np.asarray(labels, dtype=object)}
    for name, v in values.items():
        cols[name] = v.astype(np.int64) if name in COUNT_METRICS else v
    return pd.DataFrame(cols)


def build_result(record: RunRecord) -> SimulationResult:
    """Turn a run's :class:`~samplesim.model.record.RunRecord` into its tables (the
    proposals and summary now, the others on first access)."""
    sc = record.scenario
    props, ids = _proposals(record)
    return SimulationResult(
        scenario=sc.name,
        variant=sc.variant,
        seed=record.seed,
        replication=record.replication,
        start_date=sc.start_date,
        proposals=props,
        events=_Lazy(_events, record, ids),
        summary=summary_frame(record),
        inventory=_Lazy(_inventory, record),
        rules=_Lazy(_rules, record),
        initial_grams={s.name: s.grams for s in sc.inventory},
        n_events=record.n_events,
        reviews=_Lazy(_reviews, record, ids),
        calls=_Lazy(calls_frame, record),
        unit=scenario_unit(sc),
        periods=_Lazy(_periods, record),
    )
