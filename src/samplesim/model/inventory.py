"""The inventory: grams per sample type, conserved at every step.

``remaining + reserved + on_loan + consumed == initial`` for every sample type, always;
"allocated" is ``on_loan + consumed``. Every change is logged as a snapshot row so the
inventory over time can be plotted and audited.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Inventory"]

_TOL = 1e-9


class Inventory:
    """Grams per sample type with explicit moves between the four pools."""

    def __init__(self, names: list[str], grams: list[float], min_portion: list[float]) -> None:
        self.names = list(names)
        self.initial = np.asarray(grams, dtype=float)
        self.min_portion = np.asarray(min_portion, dtype=float)
        k = len(names)
        self.remaining = self.initial.copy()
        self.reserved = np.zeros(k)
        self.on_loan = np.zeros(k)
        self.consumed = np.zeros(k)
        self.log: list[tuple[float, int, float, float, float, float]] = []
        for t in range(k):
            self._snap(0.0, t)

    def _snap(self, day: float, t: int) -> None:
        self.log.append(
            (day, t, self.remaining[t], self.reserved[t], self.on_loan[t], self.consumed[t])
        )

    def reserve(self, day: float, fraction: float, types: list[int] | None = None) -> None:
        """Release earlier reserves, then hold back ``fraction`` of what remains (of the
        sample types ``types``; None: all)."""
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
        if np.any(grams > self.remaining + _TOL):
            raise RuntimeError("allocation beyond the remaining inventory")
        for t in np.flatnonzero(grams):
            self.remaining[t] = max(self.remaining[t] - grams[t], 0.0)
            self.on_loan[t] += grams[t]
            self._snap(day, t)

    def take_back(self, day: float, grams: np.ndarray) -> None:
        """A withdrawn grant or a returned loan: on loan back to remaining."""
        for t in np.flatnonzero(grams):
            self.on_loan[t] -= grams[t]
            self.remaining[t] += grams[t]
            self._snap(day, t)

    def consume(self, day: float, grams: np.ndarray) -> None:
        """Destructive analysis: on loan to consumed."""
        for t in np.flatnonzero(grams):
            self.on_loan[t] -= grams[t]
            self.consumed[t] += grams[t]
            self._snap(day, t)
