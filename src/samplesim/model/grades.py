"""Grade scales: reviews reported on a discrete scale (1-5 in half steps, NIH's 1-9 with lower
better), the latent scale kept internal.

A latent score z (merit units) becomes the grade ``mid ± z·spread`` (``mid`` the middle of the
scale, ``spread`` a quarter of its range, so ±2 SD spans it; minus when lower is better),
rounded half-up to the nearest step from ``low`` and clipped to the scale. The engine ranks on
the internal score ``±(grade − mid)/spread``, an increasing function of how good the grade is,
so cut-offs and bars written on the scale are converted once (:meth:`GradeMap.bar`) and every
comparison stays "higher is better". Outputs convert back (:meth:`GradeMap.to_scale`).
"""

from __future__ import annotations

from typing import TypeVar

import attrs
import numpy as np

from samplesim.scenario.schema import Allocation, Review, Shortlist

__all__ = ["GradeMap", "grade_map", "on_scale", "reported"]

_Barred = TypeVar("_Barred", Shortlist, Allocation)

#: A grade equal to a bar passes it, whatever the rounding of the mean (internal units).
_BAR_TOLERANCE = 1e-9


@attrs.frozen
class GradeMap:
    """The map between latent scores and grades on ``[low, high]`` in steps of ``step``."""

    low: float
    high: float
    step: float
    lower_is_better: bool

    @property
    def sign(self) -> float:
        return -1.0 if self.lower_is_better else 1.0

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    @property
    def spread(self) -> float:
        return (self.high - self.low) / 4

    def grade(self, z: np.ndarray) -> np.ndarray:
        """The grade of latent score ``z``: rounded half-up to the step, clipped to the scale."""
        raw = self.mid + self.sign * np.asarray(z, dtype=float) * self.spread
        steps = np.floor((raw - self.low) / self.step + 0.5)
        return np.clip(self.low + steps * self.step, self.low, self.high)

    def internal(self, g: np.ndarray | float) -> np.ndarray | float:
        """The engine's score of grade ``g`` (higher is better)."""
        return self.sign * (g - self.mid) / self.spread

    def graded(self, z: np.ndarray) -> np.ndarray:
        """Latent ``z`` reported on the scale, back as internal scores (what the engine ranks)."""
        return self.internal(self.grade(z))

    def to_scale(self, x: np.ndarray | float) -> np.ndarray | float:
        """An internal score (a grade or a mean of grades) on the scale."""
        return self.mid + self.sign * x * self.spread

    def bar(self, b: float | None) -> float | None:
        """A cut-off written on the scale as an internal bar (reached by grades as good)."""
        if b is None:
            return None
        return float(self.internal(b)) - _BAR_TOLERANCE


def grade_map(rv: Review) -> GradeMap | None:
    """The grade scale of ``[review.scale]``; None when scores stay on the latent scale."""
    sc = rv.scale
    if sc.low is None or sc.high is None:
        return None
    return GradeMap(float(sc.low), float(sc.high), float(sc.step), sc.lower_is_better)


def on_scale(gm: GradeMap | None, settings: _Barred) -> _Barred:
    """``settings`` with its ``score_bar`` (written on the grade scale) made internal."""
    if gm is None or settings.score_bar is None:
        return settings
    return attrs.evolve(settings, score_bar=gm.bar(settings.score_bar))


def reported(gm: GradeMap | None, scores: np.ndarray) -> np.ndarray:
    """Internal scores as reported: on the grade scale if there is one."""
    return scores if gm is None else np.asarray(gm.to_scale(scores), dtype=float)
