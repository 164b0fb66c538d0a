"""The reviewer pool: a resource with O(1)-ish acquire and release.

``simpy.Resource.release`` scans its list of users, which makes large pools slow, and each
request costs a scheduled event. This pool keeps free reviewer slots per reviewer country in
deques and a FIFO queue of waiting requests. A request excludes at most one country (conflict
of interest with the lead institution's country) and the reviewers already assigned to the
same proposal (its ``used`` list: a proposal's k reviews go to k distinct reviewers). A
request is a callback: it is called with the reviewer id at once when a slot is free, or at
the simulated time of the release that frees one (the same instant a granted simpy request
event would fire, one heap operation cheaper). Each reviewer holds ``load`` concurrent slots.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from samplesim.model.reviewer_traits import review_se

if TYPE_CHECKING:
    from samplesim.model.world import World

Grant = Callable[[int], None]

__all__ = ["ReviewerPool", "Reviews"]


class ReviewerPool:
    """Reviewer slots grouped by reviewer country (``""`` for reviewers with no conflicts)."""

    def __init__(self, countries: list[str], load: int, coi: bool) -> None:
        self.coi = coi
        members: dict[str, list[int]] = {}
        for rid, country in enumerate(countries):
            members.setdefault(country, []).append(rid)
        # Slots interleaved (0, 1, .., 0, 1, ..): a reviewer's second slot comes after every
        # other reviewer's first, so taking for a proposal rarely has to skip a used reviewer.
        self.groups: dict[str, deque[int]] = {g: deque(rids * load) for g, rids in members.items()}
        self.order = list(self.groups)
        self.waiting: deque[tuple[Grant, str, list[int]]] = deque()
        self.reviews_done = [0] * len(countries)
        self.country_of = list(countries)

    def request(self, exclude: str, used: list[int], grant: Grant) -> None:
        """Call ``grant(reviewer_id)`` with a reviewer not from ``exclude`` (if COI applies)
        and not in ``used``, now if one is free, else when one is released (first come,
        first served among the requests it may serve). The granted id is appended to ``used``
        before ``grant`` is called; pass the same list for every review of a proposal."""
        # Releases serve waiters first and a waiter's eligibility only shrinks (``used``
        # grows), so no waiter can use a free slot: taking one now never jumps the queue.
        rid = self._take(exclude, used)
        if rid is not None:
            used.append(rid)
            grant(rid)
        else:
            self.waiting.append((grant, exclude, used))

    def _take(self, exclude: str, used: list[int]) -> int | None:
        for g in self.order:
            free = self.groups[g]
            if free and not (self.coi and g and g == exclude):
                if free[0] not in used:
                    return free.popleft()
                for k, rid in enumerate(free):
                    if rid not in used:
                        del free[k]
                        return rid
        return None

    def release(self, rid: int) -> None:
        """Return reviewer ``rid``'s slot; the first waiter it may serve gets it."""
        self.reviews_done[rid] += 1
        country = self.country_of[rid]
        conflicts = self.coi and country
        for k, (grant, exclude, used) in enumerate(self.waiting):
            if rid not in used and not (conflicts and exclude == country):
                if k:
                    del self.waiting[k]
                else:
                    self.waiting.popleft()
                used.append(rid)
                grant(rid)
                return
        self.groups[country].append(rid)


class Reviews:
    """The independent reviews of proposal ``i`` in world ``w``: callbacks, no simpy process
    (``done`` fires when the last is finished)."""

    __slots__ = (
        "done", "durations", "env", "first", "i", "left", "pool", "start", "trace", "used",
        "wait", "world",
    )  # fmt: skip

    def __init__(self, w: World, i: int, exclude: str) -> None:
        self.world = w
        self.env = env = w.env
        self.trace = w.trace
        self.pool = pool = w.pool
        self.i = i
        self.done = env.event()
        self.durations = w.review_durations[i]
        self.start = env.now
        self.first = math.inf
        self.wait = 0.0
        self.used: list[int] = []  # reviewers assigned so far: the pool skips them
        k = self.left = len(self.durations)
        request = pool.request
        for j in range(k):
            request(exclude, self.used, lambda rid, j=j: self._granted(rid, j))

    def _granted(self, rid: int, j: int) -> None:
        env = self.env
        now = env.now
        self.wait += now - self.start
        if now < self.first:
            self.first = now
        row = self.trace.review_started(self.i, j, rid, now)
        w = self.world
        if w.traits is not None:  # reviewers who differ: the score depends on who reviews
            i = self.i
            score = w.traits.score(
                rid, w.subject[i], float(w.props.merit[i]), float(w.review_noise[i, j])
            )
            w.review_scores[i, j] = score if w.grades is None else float(w.grades.graded(score))
        t = env.timeout(self.durations[j])
        t.callbacks.append(lambda _e: self._finished(rid, row))

    def _finished(self, rid: int, row: int) -> None:
        tr = self.trace
        tr.rv_end[row] = self.env.now
        self.pool.release(rid)
        self.left -= 1
        if self.left == 0:
            tr.review_wait[self.i] = self.wait / len(self.durations)
            w = self.world
            if w.traits is not None:
                w.review_mean[self.i] = float(w.review_scores[self.i].mean())
                w.review_se[self.i] = review_se(
                    w.review_scores[self.i : self.i + 1], w.sc.review.reliability
                )[0]
            tr.days["review_start"][self.i] = self.first
            self.done.succeed()
