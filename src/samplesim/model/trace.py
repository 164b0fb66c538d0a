"""The trace: what happened during a run, recorded in columns while the run goes on.

Per-proposal stage timestamps live in preallocated typed arrays (``array('d')``: NaN until
reached; setting one item costs what it costs on a list, and holds no float object); reaching
a stage stores its sequence number in the event log, other state changes and rule decisions
are appended to the log in columns (:class:`EventLog`). At the end of the run
:class:`~samplesim.model.world.World` freezes the trace into a
:class:`~samplesim.model.record.RunRecord` (numpy columns). Nothing here builds DataFrames.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from samplesim.model.record import EventLog, EventRow
from samplesim.stages import STAGE_NAMES, TERMINAL_STATES

__all__ = ["STAGES", "TERMINAL_STATES", "Trace"]

#: Stage timestamp columns (``<stage>_day`` in the proposals table), in workflow order
#: (re-exported from :data:`samplesim.stages.STAGE_NAMES`).
STAGES: tuple[str, ...] = STAGE_NAMES


class Trace:
    """Columnar record of one run, written by the model's processes."""

    def __init__(self, n: int, n_types: int) -> None:
        self.n = n
        nan = float("nan")
        self.days: dict[str, array] = {s: array("d", [nan]) * n for s in STAGE_NAMES}
        self.state: list[str] = ["pending"] * n
        self.reason: list[str] = [""] * n
        self.conditions: list[str] = [""] * n
        #: Why a proposal waits, if not simply for the horizon (set by the call's desk).
        self.pending_reason: list[str] = [""] * n
        self.granted = np.zeros((n, n_types))
        #: Grams granted at the decision (before any later withdrawal).
        self.awarded = np.zeros(n)
        self.review_score = np.full(n, np.nan)
        self.final_score = np.full(n, np.nan)
        self.review_wait = np.full(n, np.nan)
        self.rule_delay = np.zeros(n)
        #: Days spent on a condition's ``extra_delay`` (up to the horizon).
        self.condition_delay = np.zeros(n)
        #: Approved from the call's waiting list (grams freed after another's approval).
        self.from_waiting_list = np.zeros(n, dtype=bool)
        #: rule name -> proposals that withdrew under the rule's condition.
        self.rule_withdrew: dict[str, int] = {}
        # rule name -> (applied, passed, conditioned, blocked, delay sum, delays counted)
        self.rule_stats: dict[str, tuple[int, int, int, int, float, int]] = {}
        # event log: (proposal index, day, code, detail, grams) in columns; stages by number
        self.log = log = EventLog(self.days, n)
        # One copy of each text the log and the columns keep (most repeat): strings made one
        # by one amid the processes' short-lived objects and kept to the end would each pin
        # the allocator's memory around them once those are freed (the run's peak stays).
        self._texts: dict[str, str] = {}
        self._ev = log.appenders()
        self._staged = 0  # stage events so far (their numbers share one counter with the log)
        self._codes = log.codes
        self._seq = log.stage_seq
        # one entry per review started: proposal index, review index j, reviewer id, start and
        # end day (NaN while the review is under way)
        self.rv_i = array("q")
        self.rv_j = array("q")
        self.rv_rid = array("q")
        self.rv_start = array("d")
        self.rv_end = array("d")
        #: Review invitations issued (a typed array: one item added to per review), declined,
        #: and reviews finished after the deadline.
        self.invitations = array("q", [0]) * n
        self.declines = np.zeros(n, dtype=np.int64)
        self.late_reviews = np.zeros(n, dtype=np.int64)
        #: Reviews no reviewer could take within ``review.max_reviews_per_round``.
        self.unassigned_reviews = np.zeros(n, dtype=np.int64)

    def stamp(self, i: int, stage: str, day: float) -> None:
        """Record that proposal ``i`` reached ``stage`` at ``day`` and log the state change."""
        seq, days = self._seq[stage], self.days[stage]
        if seq[i] >= 0:  # reached again: the first time keeps its place in the log
            self.log.restamped.append((seq[i], i, stage, days[i]))
        days[i] = day
        seq[i] = self._staged + self.log.logged
        self._staged += 1

    def review_started(self, i: int, j: int, rid: int, day: float) -> int:
        """Record that review ``j`` of proposal ``i`` went to reviewer ``rid`` at ``day``;
        returns its row, whose ``rv_end`` the caller sets when the review is done."""
        self.rv_i.append(i)
        self.rv_j.append(j)
        self.rv_rid.append(rid)
        self.rv_start.append(day)
        self.rv_end.append(math.nan)
        return len(self.rv_end) - 1

    def event(
        self,
        i: int,
        day: float,
        kind: str,
        name: str,
        detail: str = "",
        grams: float = 0.0,
        affix: tuple[str, str] = ("", ""),
    ) -> None:
        """Append one row to the event log (``i = -1`` for run-level events); its detail is
        ``affix[0] + detail + affix[1]``, joined when a table is built."""
        key = (kind, name, *affix)
        c = self._codes.get(key)
        if c is None:
            c = self.log.code(key)
        a, b, cc, d, e = self._ev
        a(i), b(day), cc(c), d(self._texts.setdefault(detail, detail)), e(grams)

    def text(self, s: str) -> str:
        """The trace's one copy of the text ``s`` (a detail, reason or condition)."""
        return self._texts.setdefault(s, s)

    @property
    def events(self) -> list[EventRow]:
        """The event log as rows (a copy; the run appends to :attr:`log`)."""
        return list(self.log)

    def rule_decision(self, name: str, outcome: str, delay: float) -> None:
        """Count one decision of rule ``name`` (for the rules table)."""
        a, p, c, b, d, k = self.rule_stats.get(name, (0, 0, 0, 0, 0.0, 0))
        self.rule_stats[name] = (
            a + 1,
            p + (outcome == "pass"),
            c + (outcome == "condition"),
            b + (outcome == "block"),
            d + delay,
            k + (delay > 0),
        )

    def finish(self, i: int, day: float, state: str, reason: str = "") -> None:
        """Put proposal ``i`` in its terminal ``state``."""
        self.state[i] = state
        self.reason[i] = reason = self._texts.setdefault(reason, reason)
        self.event(i, day, "terminal", state, reason)
