"""The reviewer pool: a resource with O(1) acquire and release.

``simpy.Resource.release`` scans its list of users, which makes large pools slow, and each
request costs a scheduled event. This pool keeps free reviewer slots per reviewer country in
deques and a FIFO queue of waiting requests, each excluding at most one country (conflict of
interest with the lead institution's country). A request is a callback: it is called with
the reviewer id at once when a slot is free, or at the simulated time of the release that
frees one (the same instant a granted simpy request event would fire, one heap operation
cheaper). Each reviewer holds ``load`` concurrent slots.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

Grant = Callable[[int], None]

__all__ = ["ReviewerPool"]


class ReviewerPool:
    """Reviewer slots grouped by reviewer country (``""`` for reviewers with no conflicts)."""

    def __init__(self, countries: list[str], load: int, coi: bool) -> None:
        self.coi = coi
        self.groups: dict[str, deque[int]] = {}
        for rid, country in enumerate(countries):
            self.groups.setdefault(country, deque()).extend([rid] * load)
        self.order = list(self.groups)
        self.waiting: deque[tuple[Grant, str]] = deque()
        self.reviews_done = [0] * len(countries)
        self.country_of = list(countries)

    def request(self, exclude: str, grant: Grant) -> None:
        """Call ``grant(reviewer_id)`` with a reviewer not from ``exclude`` (if COI applies),
        now if one is free, else when one is released (first come, first served)."""
        # Releases serve waiters first, so no waiter can use a free slot: taking one now
        # never jumps a queue that could have used it.
        rid = self._take(exclude)
        if rid is not None:
            grant(rid)
        else:
            self.waiting.append((grant, exclude))

    def _take(self, exclude: str) -> int | None:
        for g in self.order:
            free = self.groups[g]
            if free and not (self.coi and g and g == exclude):
                return free.popleft()
        return None

    def release(self, rid: int) -> None:
        """Return reviewer ``rid``'s slot; the first waiter it may serve gets it."""
        self.reviews_done[rid] += 1
        country = self.country_of[rid]
        if self.waiting:
            if not self.coi or not country:
                grant, _ = self.waiting.popleft()
                grant(rid)
                return
            for k, (grant, exclude) in enumerate(self.waiting):
                if exclude != country:
                    del self.waiting[k]
                    grant(rid)
                    return
        self.groups[country].append(rid)
