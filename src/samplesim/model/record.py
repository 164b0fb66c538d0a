"""The run record: everything one run produced, frozen and in columns.

:func:`samplesim.model.run_world` returns a :class:`RunRecord`; the outcome tables
(:mod:`samplesim.outcomes`) and the metrics (:mod:`samplesim.metrics`) are built from it and
from nothing else. It holds numpy arrays (one entry per row), the raw event log and a few
small run-level tables.

Rows are ``proposal × attempt``: row ``r`` is attempt ``attempt[r]`` (0 = the first
submission) of proposal ``proposal[r]`` (the row of its first submission). First attempts come
first, in submission order; each resubmission (``[resubmission]``) follows, in the order it
was made. Every per-row column, the event log's first field and the reviews' ``row`` index
rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np

from samplesim.model.arrivals import Applicant
from samplesim.scenario.schema import Scenario

__all__ = ["EventLog", "EventRow", "InventoryRecord", "ReviewRecord", "RunRecord"]

#: One event log row: (row, day, kind, name, detail, grams); row -1 for run-level events.
EventRow = tuple[int, float, str, str, str, float]


class EventLog:
    """The event log as six columns (lists: row, day, kind, name, detail, grams), appended to
    while the run goes on: a row costs no tuple. Iterating gives :data:`EventRow` tuples."""

    __slots__ = ("day", "detail", "grams", "kind", "name", "row")

    def __init__(self) -> None:
        self.row: list[int] = []
        self.day: list[float] = []
        self.kind: list[str] = []
        self.name: list[str] = []
        self.detail: list[str] = []
        self.grams: list[float] = []

    def columns(self) -> tuple[list, list, list, list, list, list]:
        """(row, day, kind, name, detail, grams)."""
        return self.row, self.day, self.kind, self.name, self.detail, self.grams

    def __len__(self) -> int:
        return len(self.row)

    def __iter__(self):
        return zip(*self.columns(), strict=True)


@attrs.frozen(slots=True)
class ReviewRecord:
    """One entry per review started, in the order reviewers took them."""

    row: np.ndarray  # int: the reviewed row (proposal × attempt)
    review: np.ndarray  # int: review number within the row, from 0
    reviewer: np.ndarray  # int: reviewer id
    start: np.ndarray  # float: day the reviewer took it
    end: np.ndarray  # float: day it was finished (NaN if under way at the horizon)
    score: np.ndarray  # float: its score (NaN if unfinished)
    reviewer_country: tuple[str, ...]  # by reviewer id ('' for no listed country)


@attrs.frozen(slots=True)
class InventoryRecord:
    """The inventory's history: one snapshot row per change of one sample type."""

    names: tuple[str, ...]  # sample types, in scenario order
    initial: tuple[float, ...]  # grams at the start, by type
    reserved: np.ndarray  # grams held in reserve at the end, by type
    log: list[tuple[float, int, float, float, float, float]]
    """(day, type index, remaining, reserved, on loan, consumed) snapshots, in order."""
    periods: tuple[tuple[int, int, float, float, float, float, float], ...] = ()
    """Renewable resources: ``(type index, period, start day, offered, granted, expired,
    left at the horizon)`` per period, in start order (empty when none is renewable)."""


@attrs.frozen(slots=True)
class RunRecord:
    """One run of one scenario with one seed and replication, as columns.

    Per-row arrays (length ``n``): ``proposal``, ``attempt``, ``call`` (index into
    ``scenario.calls``), ``applicant`` (index into ``applicants``), ``country`` (lead
    country), ``merit``, ``requested`` and ``granted`` (``n × sample types``, grams),
    ``destructive``, ``team_countries``, ``days`` (stage name -> day reached, NaN if never;
    keys :data:`samplesim.stages.STAGE_NAMES`), ``state``, ``reason``, ``conditions``,
    ``review_score``, ``final_score``, ``review_wait``, ``rule_delay``, ``awarded`` (grams
    granted at the decision, before any withdrawal), ``condition_delay`` (days spent on a
    condition's ``extra_delay``), ``from_waiting_list`` (approved from the call's waiting list).
    """

    scenario: Scenario
    seed: int
    replication: int
    n: int
    proposal: np.ndarray
    attempt: np.ndarray
    call: np.ndarray
    applicant: np.ndarray
    country: np.ndarray  # object (str)
    merit: np.ndarray
    requested: np.ndarray
    destructive: np.ndarray
    team_countries: tuple[frozenset[str], ...]
    days: Mapping[str, np.ndarray]
    state: np.ndarray  # object (str), one of samplesim.stages.TERMINAL_STATES
    reason: np.ndarray  # object (str)
    conditions: np.ndarray  # object (str)
    review_score: np.ndarray
    final_score: np.ndarray
    review_wait: np.ndarray
    rule_delay: np.ndarray
    awarded: np.ndarray
    granted: np.ndarray
    reviews: ReviewRecord
    events: EventLog
    """The raw event log in the order events happened (equal days in causal order)."""
    inventory: InventoryRecord
    rule_stats: Mapping[str, tuple[int, int, int, int, float, int]]
    """rule name -> (applied, passed, conditioned, blocked, delay sum, delays counted)."""
    applicants: tuple[Applicant, ...]
    applicant_countries: tuple[str, ...]
    """Every applying institution's country, sorted (with or without proposals)."""
    n_events: int
    """simpy events scheduled during the run."""
    condition_delay: np.ndarray
    from_waiting_list: np.ndarray  # bool
    rule_withdrew: Mapping[str, int]
    """rule name -> proposals that withdrew under the rule's condition."""
    invitations: np.ndarray | None = None
    """Per row: review invitations issued (None in records built without them: zeros)."""
    declines: np.ndarray | None = None
    """Per row: review invitations declined."""
    late_reviews: np.ndarray | None = None
    """Per row: reviews finished after the review deadline (not in the score)."""
    unassigned_reviews: np.ndarray | None = None
    """Per row: reviews no reviewer could take within the per-round limit."""
    rule_shared: Mapping[str, tuple[tuple[str, str, float], ...]] = attrs.Factory(dict)
    """rule name -> the shared outcomes of a call- or run-scoped rule that applied:
    (call name or ``run``, with the destination for a licence with ``by_country``; outcome;
    resolution day)."""
    feasible: np.ndarray | None = None
    """Rows × sample types: the request after the feasibility review (NaN: not assessed);
    None without ``[feasibility]``."""

    @property
    def approved(self) -> np.ndarray:
        """Per row: approved at a decision (granted grams, or a data-only request approved,
        state ``approved_no_material``), whatever happened after."""
        awarded = np.asarray(self.awarded, dtype=float) > 0
        return awarded | (np.asarray(self.state, dtype=object) == "approved_no_material")
