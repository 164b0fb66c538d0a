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

from array import array
from collections.abc import Mapping, Sequence

import attrs
import numpy as np

from samplesim.model.arrivals import Applicant
from samplesim.scenario.schema import Scenario

__all__ = ["EventLog", "EventRow", "InventoryRecord", "ReviewRecord", "RunRecord"]

#: One event log row: (row, day, kind, name, detail, grams); row -1 for run-level events.
EventRow = tuple[int, float, str, str, str, float]

#: What an event code stands for: (kind, name, detail prefix, detail suffix).
EventKey = tuple[str, str, str, str]


class EventLog:
    """The event log in columns (typed arrays and integer codes), appended to while the run
    goes on; stage rows are not logged but rebuilt from the stage day columns.

    A logged event stores its row, day, grams, a code (:attr:`keys`: kind, name and the
    prefix and suffix of its detail, so that a detail is formatted when a table is built)
    and the variable part of its detail (usually a shared string). A stage reached stores
    only its sequence number in :attr:`stage_seq`: every event, logged or stage, takes the
    next number of one counter, so :meth:`columns` rebuilds the exact order of the run.
    Iterating gives :data:`EventRow` tuples.
    """

    __slots__ = ("_code", "_day", "_detail", "_grams", "_row", "codes", "keys", "restamped",
                 "stage_day", "stage_seq")  # fmt: skip

    def __init__(self, stage_day: dict[str, array] | None = None, n: int = 0) -> None:
        self._row = array("i")  # rows (and -1), 32-bit like the codes
        self._day = array("d")
        self._code = array("i")
        self._detail: list[str] = []
        self._grams = array("d")
        self.keys: list[EventKey] = []
        self.codes: dict[EventKey, int] = {}
        #: stage -> per row: the day reached (the trace's own columns), NaN if never.
        self.stage_day = stage_day if stage_day is not None else {}
        #: stage -> per row: the stage event's sequence number, -1 if never reached (32-bit:
        #: a run of over 2**31 events, ~10**8 proposals, fails loudly with OverflowError).
        self.stage_seq = {s: array("i", [-1]) * n for s in self.stage_day}
        #: (sequence number, row, stage, day) of a stage reached again (its first time).
        self.restamped: list[tuple[int, int, str, float]] = []

    def code(self, key: EventKey) -> int:
        """The code of ``key`` (a new one the first time)."""
        c = self.codes.get(key)
        if c is None:
            c = self.codes[key] = len(self.keys)
            self.keys.append(key)
        return c

    def _merged(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(row, day, code, grams, logged position or -1) of every event, in run order."""
        n_log = len(self._row)
        seqs, rows, days, codes = [], [], [], []
        for s, seq in self.stage_seq.items():
            q = np.frombuffer(seq, dtype=np.int32) if len(seq) else np.zeros(0, np.int32)
            at = np.flatnonzero(q >= 0)
            seqs.append(q[at].astype(np.int64))
            rows.append(at)
            days.append(np.frombuffer(self.stage_day[s], dtype=float)[at])
            codes.append(np.full(len(at), self.code(("stage", s, "", ""))))
        for q, i, s, d in self.restamped:
            seqs.append(np.array([q]))
            rows.append(np.array([i]))
            days.append(np.array([d]))
            codes.append(np.array([self.code(("stage", s, "", ""))]))
        seq = np.concatenate([np.zeros(0, np.int64), *seqs]).astype(np.int64)
        total = n_log + len(seq)
        logged = np.ones(total, dtype=bool)
        logged[seq] = False
        at = np.flatnonzero(logged)
        row = np.empty(total, dtype=np.int64)
        day = np.empty(total, dtype=float)
        code = np.empty(total, dtype=np.int64)
        grams = np.zeros(total, dtype=float)
        pos = np.full(total, -1, dtype=np.int64)
        row[at] = np.frombuffer(self._row, dtype=np.int32) if n_log else 0
        day[at] = np.frombuffer(self._day, dtype=float) if n_log else 0.0
        code[at] = np.frombuffer(self._code, dtype=np.int32) if n_log else 0
        grams[at] = np.frombuffer(self._grams, dtype=float) if n_log else 0.0
        pos[at] = np.arange(n_log)
        if len(seq):
            row[seq] = np.concatenate(rows)
            day[seq] = np.concatenate(days)
            code[seq] = np.concatenate(codes)
        return row, day, code, grams, pos

    def details(self, code: np.ndarray, pos: np.ndarray) -> list[str]:
        """Every event's detail, formatted (``""`` for a stage)."""
        keys, detail = self.keys, self._detail
        out = []
        for c, k in zip(code.tolist(), pos.tolist(), strict=True):
            if k < 0:
                out.append("")
                continue
            _, _, pre, suf = keys[c]
            d = detail[k]
            out.append(f"{pre}{d}{suf}" if pre or suf else d)
        return out

    def table(self) -> tuple[np.ndarray, np.ndarray, tuple, tuple, list[str], np.ndarray]:
        """(row, day, (kind codes, kinds), (name codes, names), details, grams) of every
        event in run order; kinds and names are the sorted values that occur."""
        row, day, code, grams, pos = self._merged()
        used = [self.keys[c] for c in np.unique(code).tolist()]
        out = []
        for f in (0, 1):  # kind, name
            cats = sorted({k[f] for k in used})
            of = {v: n for n, v in enumerate(cats)}
            by_code = np.asarray([of.get(k[f], -1) for k in self.keys] or [0], dtype=np.int64)
            out.append((by_code[code], cats))
        return row, day, out[0], out[1], self.details(code, pos), grams

    def columns(self) -> tuple[list, list, list, list, list, list]:
        """(row, day, kind, name, detail, grams) of every event in run order, as lists."""
        row, day, code, grams, pos = self._merged()
        keys = [self.keys[c] for c in code.tolist()]
        return (row.tolist(), day.tolist(), [k[0] for k in keys], [k[1] for k in keys],
                self.details(code, pos), grams.tolist())  # fmt: skip

    def appenders(self) -> tuple:
        """The bound ``append`` of the five logged columns (row, day, code, detail, grams)."""
        return (self._row.append, self._day.append, self._code.append, self._detail.append,
                self._grams.append)  # fmt: skip

    @property
    def logged(self) -> int:
        """Events logged so far (stage events not counted)."""
        return len(self._row)

    @property
    def row(self) -> list[int]:
        """Every event's row, in run order."""
        return self.columns()[0]

    @property
    def kind(self) -> list[str]:
        """Every event's kind, in run order."""
        return self.columns()[2]

    def __len__(self) -> int:
        staged = sum(int((np.frombuffer(q, np.int32) >= 0).sum()) for q in self.stage_seq.values()
                     if len(q))  # fmt: skip
        return len(self._row) + len(self.restamped) + staged

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
    log: Sequence[float]
    """(day, type index, remaining, reserved, on loan, consumed) snapshots, in order, flat
    (six numbers each: ``np.asarray(log).reshape(-1, 6)``)."""
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
