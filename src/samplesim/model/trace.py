"""The trace: what happened during a run, recorded in columns (numpy arrays and lists).

Per-proposal stage timestamps live in preallocated float arrays (NaN until reached); state
changes and rule decisions are appended to an event log as plain tuples. Nothing here
builds DataFrames: :mod:`samplesim.outcomes` does that once, after the run.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STAGES", "TERMINAL_STATES", "Trace"]

#: Stage timestamp columns (``<stage>_day`` in the proposals table), in workflow order.
STAGES: tuple[str, ...] = (
    "submitted",
    "screened",
    "cleared",
    "review_start",
    "reviewed",
    "shortlisted",
    "panel",
    "decision",
    "agreement",
    "shipped",
    "samples",
    "returned",
)

#: Every proposal ends in exactly one of these.
TERMINAL_STATES: dict[str, str] = {
    "incomplete": "failed the completeness check at screening",
    "ineligible": "not eligible for the call (country or institution kind)",
    "blocked": "stopped by a legal/export rule (the reason names the rule)",
    "not_shortlisted": "reviewed but not shortlisted for the panel",
    "declined": "shortlisted (or reviewed) but not granted samples",
    "delivered": "samples in hand (the loan may since have been returned)",
    "pending": "still in the workflow when the run's horizon was reached",
}


class Trace:
    """Columnar record of one run."""

    def __init__(self, n: int, n_types: int) -> None:
        self.n = n
        self.days = {s: np.full(n, np.nan) for s in STAGES}
        self.state: list[str] = ["pending"] * n
        self.reason: list[str] = [""] * n
        self.conditions: list[str] = [""] * n
        self.granted = np.zeros((n, n_types))
        self.review_score = np.full(n, np.nan)
        self.final_score = np.full(n, np.nan)
        self.review_wait = np.full(n, np.nan)
        self.rule_delay = np.zeros(n)
        # event log columns
        self.ev_proposal: list[int] = []
        self.ev_day: list[float] = []
        self.ev_kind: list[str] = []
        self.ev_name: list[str] = []
        self.ev_detail: list[str] = []
        self.ev_grams: list[float] = []

    def stamp(self, i: int, stage: str, day: float) -> None:
        """Record that proposal ``i`` reached ``stage`` at ``day`` and log the state change."""
        self.days[stage][i] = day
        self.event(i, day, "stage", stage)

    def event(
        self, i: int, day: float, kind: str, name: str, detail: str = "", grams: float = 0.0
    ) -> None:
        """Append one row to the event log (``i = -1`` for run-level events)."""
        self.ev_proposal.append(i)
        self.ev_day.append(day)
        self.ev_kind.append(kind)
        self.ev_name.append(name)
        self.ev_detail.append(detail)
        self.ev_grams.append(grams)

    def finish(self, i: int, day: float, state: str, reason: str = "") -> None:
        """Put proposal ``i`` in its terminal ``state``."""
        self.state[i] = state
        self.reason[i] = reason
        self.event(i, day, "terminal", state, reason)
