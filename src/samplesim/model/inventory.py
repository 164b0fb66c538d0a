"""The inventory: grams per sample type, conserved at every step.

``remaining + reserved + on_loan + consumed == initial`` for every sample type, always;
"allocated" is ``on_loan + consumed``. Every change is logged as a snapshot row so the
inventory over time can be plotted and audited.

A renewable, perishable resource (``renewable = true``: beam shifts, telescope hours) has no
standing stock: at each period start what is left of the last period (remaining and reserved)
expires and ``per_period`` is offered afresh; what is granted is used up (a loan's end or a
withdrawn grant moves it to ``consumed``: never back to stock). For such a type
``remaining + reserved + on_loan + consumed + expired == offered`` (cumulative), and per period
``offered == granted + expired`` (+ what is left at the horizon, for the last one).
Periods start lazily: every change first opens the periods that started by its day.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from samplesim.scenario.schema import Scenario

__all__ = ["Inventory", "Renewal", "renewals"]

_TOL = 1e-9

#: A renewable type's (first period day, period length in days, amount offered per period).
Renewal = tuple[float, float, float]


class Inventory:
    """Grams per sample type with explicit moves between the four pools."""

    def __init__(
        self,
        names: list[str],
        grams: list[float],
        min_portion: list[float],
        renewal: list[Renewal | None] | None = None,
    ) -> None:
        self.names = list(names)
        self.initial = np.asarray(grams, dtype=float)
        self.min_portion = np.asarray(min_portion, dtype=float)
        k = len(names)
        self.remaining = self.initial.copy()
        self.reserved = np.zeros(k)
        self.on_loan = np.zeros(k)
        self.consumed = np.zeros(k)
        #: (day, type index, remaining, reserved, on loan, consumed) snapshots, flat.
        self.snapshots = array("d")
        #: Renewal of each type (None: a stock that is not renewable).
        self.renewal: list[Renewal | None] = list(renewal) if renewal else [None] * k
        self.renewable = np.array([r is not None for r in self.renewal], dtype=bool)
        self.offered = np.zeros(k)
        self.expired = np.zeros(k)
        #: Per period of a renewable type: [type, period, start day, offered, granted, expired].
        self.periods: list[list[float]] = []
        self._current: list[int | None] = [None] * k  # row in ``periods`` of the open period
        self._next = [math.inf if r is None else r[0] for r in self.renewal]
        self._count = [0] * k
        self._any = bool(self.renewable.any())
        for t in range(k):
            self._snap(0.0, t)

    def _snap(self, day: float, t: int) -> None:
        self.snapshots.extend(
            (day, t, self.remaining[t], self.reserved[t], self.on_loan[t], self.consumed[t])
        )

    @property
    def log(self) -> list[tuple[float, int, float, float, float, float]]:
        """The snapshots as (day, type index, remaining, reserved, on loan, consumed)."""
        x = self.snapshots
        return [(x[k], int(x[k + 1]), *x[k + 2 : k + 6]) for k in range(0, len(x), 6)]

    # -- renewable resources ---------------------------------------------------------------
    def advance(self, day: float, inclusive: bool = True) -> None:
        """Open every period that starts by ``day`` (before it, if not ``inclusive``), in day
        order across types: what is left of the previous period expires."""
        while self._any:
            t = int(np.argmin(self._next))
            start = self._next[t]
            if not (start <= day if inclusive else start < day):
                return
            first, every, amount = self.renewal[t]  # type: ignore[misc]
            row = self._current[t]
            left = self.remaining[t] + self.reserved[t]
            if row is not None:
                self.periods[row][5] = left
            self.expired[t] += left
            self.remaining[t] = amount
            self.reserved[t] = 0.0
            self.offered[t] += amount
            self._current[t] = len(self.periods)
            self.periods.append([t, self._count[t], start, amount, 0.0, 0.0])
            self._count[t] += 1
            self._next[t] = first + self._count[t] * every
            self._snap(start, t)

    def close(
        self, horizon: float
    ) -> tuple[tuple[int, int, float, float, float, float, float], ...]:
        """Open the periods that start before ``horizon``; every period as ``(type, period,
        start day, offered, granted, expired, left at the horizon)``."""
        self.advance(horizon, inclusive=False)
        out = []
        for row in self.periods:
            t = int(row[0])
            left = self.remaining[t] + self.reserved[t] if self._current[t] == len(out) else 0.0
            out.append((t, int(row[1]), row[2], row[3], row[4], row[5], float(left)))
        return tuple(out)

    # -- the pools -------------------------------------------------------------------------
    def reserve(self, day: float, fraction: float, types: list[int] | None = None) -> None:
        """Release earlier reserves, then hold back ``fraction`` of what remains (of the
        sample types ``types``; None: all)."""
        self.advance(day)
        for t in range(len(self.names)) if types is None else types:
            self.remaining[t] += self.reserved[t]
            self.reserved[t] = self.remaining[t] * fraction
            self.remaining[t] -= self.reserved[t]
            self._snap(day, t)

    def budget(self, types: list[int] | None = None) -> dict[str, float]:
        """Grams that may be granted now, per sample type name (of ``types``; None: all)."""
        ts = range(len(self.names)) if types is None else types
        return {self.names[t]: float(self.remaining[t]) for t in ts}

    def lend(self, day: float, grams: np.ndarray) -> None:
        """Move granted grams (array by type) from remaining to on loan."""
        self.advance(day)
        if np.any(grams > self.remaining + _TOL):
            raise RuntimeError("allocation beyond the remaining inventory")
        for t in np.flatnonzero(grams):
            self.remaining[t] = max(self.remaining[t] - grams[t], 0.0)
            self.on_loan[t] += grams[t]
            row = self._current[t]
            if row is not None:
                self.periods[row][4] += grams[t]
            self._snap(day, t)

    def take_back(self, day: float, grams: np.ndarray) -> None:
        """A withdrawn grant or a returned loan: on loan back to remaining (a renewable
        resource's: to consumed, it never goes back to stock)."""
        self.advance(day)
        for t in np.flatnonzero(grams):
            self.on_loan[t] -= grams[t]
            if self.renewable[t]:
                self.consumed[t] += grams[t]
            else:
                self.remaining[t] += grams[t]
            self._snap(day, t)

    def consume(self, day: float, grams: np.ndarray) -> None:
        """Destructive analysis: on loan to consumed."""
        self.advance(day)
        for t in np.flatnonzero(grams):
            self.on_loan[t] -= grams[t]
            self.consumed[t] += grams[t]
            self._snap(day, t)


def renewals(sc: Scenario) -> list[Renewal | None] | None:
    """Each sample type's :data:`Renewal` (None if it is not renewable); None if none is."""
    if not any(s.renewable for s in sc.inventory):
        return None
    return [
        (s.first_period_day or 0.0, s.period_days, s.per_period)  # type: ignore[misc]
        if s.renewable
        else None
        for s in sc.inventory
    ]
