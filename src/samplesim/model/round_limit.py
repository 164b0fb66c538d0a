"""Reviewer load limits per round (``review.max_reviews_per_round``).

A round is one call's review of its proposals: the whole call for a batch call; for a
rolling call, the proposals whose reviews start between two of its decision meetings (the
count resets after each meeting). A proposal's reviews all belong to the round in which its
reviews started, re-issued invitations included. A reviewer counts a review when the
invitation is granted; a declined invitation does not count.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from samplesim.model.decisions import CallDesk

__all__ = ["RoundLimit", "review_round"]


def review_round(desk: CallDesk, day: float) -> tuple[int, int]:
    """The round of reviews starting on ``day`` at ``desk``: (call index, decision meetings
    of a rolling call held by then; 0 for a batch call)."""
    if desk.call.decision.mode != "rolling":
        return (desk.index, 0)
    return (desk.index, bisect_right(desk.meetings, day))


class RoundLimit:
    """Reviews taken per (round, reviewer); ``limit`` reviews at most per reviewer and round."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken: dict[Hashable, dict[int, int]] = {}

    def full(self, rnd: Hashable, rid: int) -> bool:
        """Whether reviewer ``rid`` has reached the limit in round ``rnd``."""
        counts = self.taken.get(rnd)
        return counts is not None and counts.get(rid, 0) >= self.limit

    def take(self, rnd: Hashable, rid: int) -> None:
        """Count one review of reviewer ``rid`` in round ``rnd``."""
        counts = self.taken.setdefault(rnd, {})
        counts[rid] = counts.get(rid, 0) + 1

    def give_back(self, rnd: Hashable, rid: int) -> None:
        """Uncount a review that was not done (a declined invitation)."""
        self.taken[rnd][rid] -= 1
