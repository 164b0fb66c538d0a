"""The reviewer pool: a simpy-compatible resource with O(1) acquire and release.

``simpy.Resource.release`` scans its list of users, which makes large pools slow. This pool
keeps free reviewer slots per reviewer country in deques and a FIFO queue of waiting
requests, each excluding at most one country (conflict of interest with the lead
institution's country). Each reviewer holds ``load`` concurrent slots.
"""

from __future__ import annotations

from collections import deque

import simpy

__all__ = ["ReviewerPool"]


class ReviewerPool:
    """Reviewer slots grouped by reviewer country (``""`` for reviewers with no conflicts)."""

    def __init__(self, env: simpy.Environment, countries: list[str], load: int, coi: bool) -> None:
        self.env = env
        self.coi = coi
        self.groups: dict[str, deque[int]] = {}
        for rid, country in enumerate(countries):
            self.groups.setdefault(country, deque()).extend([rid] * load)
        self.order = list(self.groups)
        self.waiting: deque[tuple[simpy.Event, str]] = deque()
        self.reviews_done = [0] * len(countries)
        self.country_of = list(countries)

    def request(self, exclude: str) -> simpy.Event:
        """An event that succeeds with a reviewer id not from ``exclude`` (if COI applies)."""
        ev = self.env.event()
        # Releases serve waiters first, so no waiter can use a free slot: taking one now
        # never jumps a queue that could have used it.
        rid = self._take(exclude)
        if rid is not None:
            ev.succeed(rid)
            return ev
        self.waiting.append((ev, exclude))
        return ev

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
                ev, _ = self.waiting.popleft()
                ev.succeed(rid)
                return
            for k, (ev, exclude) in enumerate(self.waiting):
                if exclude != country:
                    del self.waiting[k]
                    ev.succeed(rid)
                    return
        self.groups[country].append(rid)
