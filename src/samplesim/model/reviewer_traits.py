"""Reviewers who differ: each reviewer's leniency, precision and expertise, and the score of
one review given who wrote it.

A review of proposal ``i`` by reviewer ``r`` scores

    leniency[r] + √ρ·merit[i] + √(1−ρ)·scale[r]·ε

where ρ is ``review.reliability`` when ``r`` is expert in the proposal's subject (its main
sample type) and ``review.reliability_outside_expertise`` otherwise, and ε is the proposal's
own noise draw for that review (stream ``review``, attribute 0, as before). ``leniency[r]`` ~
N(0, ``leniency_sd``), ``scale[r]`` = exp(``precision_sd``·z), and ``r`` is expert in each
sample type with probability ``expertise``. Every trait comes from reviewer ``r``'s own
entity stream (``("reviewer", r)``), so adding reviewers leaves the others' traits unchanged.
With the defaults (no leniency, equal precision, everyone expert) :func:`draw_traits` returns
None and the score is exactly the old ``√ρ·merit + √(1−ρ)·ε``.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from samplesim.rng import Streams
from samplesim.scenario.schema import Review

__all__ = ["ReviewerTraits", "draw_traits"]

#: Attribute numbers of a reviewer's entity stream (block ``("review", attribute)``).
LENIENCY, PRECISION, EXPERTISE = 0, 1, 2


@attrs.define
class ReviewerTraits:
    """Per reviewer id: ``leniency`` (added to every score), ``scale`` (multiplies the noise)
    and ``expert`` (reviewers × sample types, bool); ``rho_in``/``rho_out``: reliability of a
    review inside / outside the reviewer's expertise."""

    leniency: list[float]
    scale: list[float]
    expert: np.ndarray
    rho_in: float
    rho_out: float

    def score(self, rid: int, subject: int, merit: float, noise: float) -> float:
        """The score reviewer ``rid`` gives a proposal of main sample type ``subject``."""
        rho = self.rho_in if self.expert[rid, subject] else self.rho_out
        return (
            self.leniency[rid]
            + math.sqrt(rho) * merit
            + math.sqrt(1 - rho) * (self.scale[rid] * noise)
        )


def is_trivial(rv: Review) -> bool:
    """True when every reviewer is alike (the defaults): no traits are needed."""
    out = rv.reliability_outside_expertise
    return (
        rv.leniency_sd == 0
        and rv.precision_sd == 0
        and (rv.expertise == 1 or out is None or out == rv.reliability)
    )


def draw_traits(
    rv: Review, n_reviewers: int, n_types: int, streams: Streams
) -> ReviewerTraits | None:
    """Every reviewer's traits from their own streams; None if all reviewers are alike."""
    if is_trivial(rv):
        return None
    leniency, scale = [], []
    expert = np.ones((n_reviewers, max(n_types, 1)), dtype=bool)
    for rid in range(n_reviewers):
        ent = streams.entity("reviewer", str(rid))
        leniency.append(rv.leniency_sd * float(ent.block("review", LENIENCY).standard_normal()))
        scale.append(
            math.exp(rv.precision_sd * float(ent.block("review", PRECISION).standard_normal()))
        )
        expert[rid] = ent.block("review", EXPERTISE).random(expert.shape[1]) < rv.expertise
    rho_in = rv.reliability
    if rv.source == "distributed" and rv.distributed_reliability is not None:
        rho_in = rv.distributed_reliability
    out = rv.reliability_outside_expertise
    rho_out = rho_in if out is None else out
    return ReviewerTraits(leniency, scale, expert, rho_in, rho_out)


def subjects(requested: np.ndarray) -> list[int]:
    """Each proposal's subject: the sample type it requests most grams of (first on ties)."""
    if requested.shape[0] == 0 or requested.shape[1] == 0:
        return [0] * requested.shape[0]
    return requested.argmax(axis=1).tolist()


def review_se(scores: np.ndarray, rho: float) -> list[float]:
    """Standard error of each row's mean review: the reviews' spread (SD, ddof 1) / √k; with a
    single review, the alike-reviewers noise √(1−ρ)."""
    n, k = scores.shape
    if k < 2:
        return [math.sqrt(1 - rho)] * n
    return (scores.std(axis=1, ddof=1) / math.sqrt(k)).tolist()
