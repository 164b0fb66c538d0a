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
from collections.abc import Callable, Hashable
from functools import partial
from typing import TYPE_CHECKING

from samplesim.model.reviewer_traits import review_se
from samplesim.model.round_limit import RoundLimit, review_round

if TYPE_CHECKING:
    from samplesim.model.world import World

Grant = Callable[[int], None]
Refuse = Callable[[], None]

__all__ = ["ReviewerPool", "Reviews", "review_deadline"]


class ReviewerPool:
    """Reviewer slots grouped by reviewer country (``""`` for reviewers with no conflicts)."""

    def __init__(self, countries: list[str], load: int, coi: bool, reuse: bool = True) -> None:
        self.coi = coi
        #: False: each slot serves one review only (``load`` reviews per reviewer in all).
        self.reuse = reuse
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
        #: Reviews per reviewer and round (None: no limit, the requests give no round).
        self.limit: RoundLimit | None = None
        # With a limit: each waiting request's round and refusal callback, by id of its grant.
        self._rounds: dict[int, tuple[Hashable, Refuse]] = {}

    def request(
        self,
        exclude: str,
        used: list[int],
        grant: Grant,
        rnd: Hashable = None,
        refuse: Refuse | None = None,
    ) -> None:
        """Call ``grant(reviewer_id)`` with a reviewer not from ``exclude`` (if COI applies)
        and not in ``used``, now if one is free, else when one is released (first come,
        first served among the requests it may serve). The granted id is appended to ``used``
        before ``grant`` is called; pass the same list for every review of a proposal.

        With a per-round limit, ``rnd`` names the request's round and ``refuse()`` is called
        instead of ``grant`` when every eligible reviewer has reached the limit in it."""
        # Releases serve waiters first and a waiter's eligibility only shrinks (``used``
        # grows), so no waiter can use a free slot: taking one now never jumps the queue.
        rid = self._take(exclude, used, rnd)
        if rid is not None:
            self._grant(grant, used, rid, rnd)
        elif self.limit is not None and refuse is not None:
            if self._stranded(exclude, used, rnd):
                refuse()
            else:
                self._rounds[id(grant)] = (rnd, refuse)
                self.waiting.append((grant, exclude, used))
        else:
            self.waiting.append((grant, exclude, used))

    def _grant(self, grant: Grant, used: list[int], rid: int, rnd: Hashable) -> None:
        used.append(rid)
        if self.limit is not None:
            self.limit.take(rnd, rid)
            grant(rid)
            self._refuse_stranded(rnd)
        else:
            grant(rid)

    def _stranded(self, exclude: str, used: list[int], rnd: Hashable) -> bool:
        """Whether no eligible reviewer (busy or free) is under the limit in round ``rnd``."""
        assert self.limit is not None
        full = self.limit.full
        return not any(
            not (self.coi and c and c == exclude) and rid not in used and not full(rnd, rid)
            for rid, c in enumerate(self.country_of)
        )

    def _refuse_stranded(self, rnd: Hashable) -> None:
        """Refuse the waiting requests of round ``rnd`` that no reviewer can serve any more."""
        stranded = [
            w for w in self.waiting
            if self._rounds[id(w[0])][0] == rnd and self._stranded(w[1], w[2], rnd)
        ]  # fmt: skip
        for w in stranded:
            if id(w[0]) in self._rounds:  # not served or refused meanwhile (re-entrant call)
                self.waiting.remove(w)
                self._rounds.pop(id(w[0]))[1]()

    def _take(self, exclude: str, used: list[int], rnd: Hashable = None) -> int | None:
        # Spent slots are never returned: take from the fullest group, so that no country's
        # reviewers run out early while others are left over.
        order = self.order if self.reuse else sorted(self.order, key=lambda g: -len(self.groups[g]))
        lim = self.limit
        for g in order:
            free = self.groups[g]
            if free and not (self.coi and g and g == exclude):
                if lim is None and free[0] not in used:
                    return free.popleft()
                for k, rid in enumerate(free):
                    if rid not in used and (lim is None or not lim.full(rnd, rid)):
                        del free[k]
                        return rid
        return None

    def release(self, rid: int, reviewed: bool = True, rnd: Hashable = None) -> None:
        """Return reviewer ``rid``'s slot (after a review, or a declined invitation when not
        ``reviewed``, which ``rnd``'s count gives back); the first waiter it may serve gets
        it."""
        self.reviews_done[rid] += reviewed
        lim = self.limit
        if lim is not None and not reviewed:
            lim.give_back(rnd, rid)
        if reviewed and not self.reuse:  # the slot is spent
            return
        country = self.country_of[rid]
        conflicts = self.coi and country
        for k, (grant, exclude, used) in enumerate(self.waiting):
            if rid not in used and not (conflicts and exclude == country):
                if lim is not None:
                    wrnd = self._rounds[id(grant)][0]
                    if lim.full(wrnd, rid):
                        continue
                    del self._rounds[id(grant)]
                else:
                    wrnd = None
                if k:
                    del self.waiting[k]
                else:
                    self.waiting.popleft()
                self._grant(grant, used, rid, wrnd)
                return
        self.groups[country].append(rid)


def review_deadline(days: float | None, day: float | None, now: float) -> float | None:
    """Days from ``now`` (the reviews start) to the review deadline: ``days`` after the
    start, or the absolute simulation ``day`` (0 when it has passed), whichever comes first;
    None without either."""
    left = [d for d in (days, None if day is None else max(day - now, 0.0)) if d is not None]
    return min(left) if left else None


class Reviews:
    """The independent reviews of proposal ``i`` in world ``w``: callbacks, no simpy process
    (``done`` fires when the last is finished, or at the review deadline with the reviews in
    hand).

    Invitations: a granted reviewer declines with ``review.decline_probability`` (the draw is
    the proposal's, per review slot and invitation); the slot goes back to the pool and the
    invitation is re-issued ``review.invitation_days`` later. Deadline: ``review.deadline_days``
    after the reviews started the panel proceeds with the finished reviews (at least one); the
    others finish late (their reviewers stay busy) and do not count.

    Per-round limit: a review no eligible reviewer can take within
    ``review.max_reviews_per_round`` is unassigned (counted) and the panel goes ahead with
    the others; a proposal left with no review at all has no review score (NaN) and is not
    shortlisted (:mod:`samplesim.model.decisions`).
    """

    __slots__ = (
        "closed", "done", "env", "exclude", "finished", "first", "i", "invited", "k", "left",
        "offset", "overdue", "pool", "round", "rv", "start", "started", "trace", "used", "wait",
        "world",
    )  # fmt: skip

    def __init__(self, w: World, i: int, exclude: str) -> None:
        self.world = w
        self.env = env = w.env
        self.trace = w.trace
        panels = w.panels  # several panels: the proposal's own pool, keys and reviewer ids
        if panels is None:
            self.pool = pool = w.pool
            self.rv = rv = w.call_review[w.props.call[i]]
            self.offset = 0
        else:
            g = int(panels.of[i])
            self.pool = pool = panels.pools[g]
            self.rv = rv = panels.reviews[g]
            self.offset = panels.offset[g]
        self.i = i
        self.exclude = exclude
        self.done = env.event()
        self.start = now = env.now
        self.first = math.inf
        self.wait = 0.0
        self.started = 0  # reviews accepted (their waits are in ``wait``)
        # Reviewers assigned so far (the pool skips them); with distributed review, also the
        # proposal's own applicants (its PI and its institution's other PIs).
        self.used: list[int] = list(w.conflicted[i]) if w.conflicted is not None else []
        # Its reviews: the first k of its row of review_durations (k: its panel's, with panels).
        k = self.k = self.left = rv.reviews_per_proposal
        self.invited = [0] * k  # invitations issued per review slot
        self.finished: list[int] = []  # slots whose review is in
        self.closed = False  # the panel went ahead (all in, or the deadline)
        self.overdue = False  # the deadline passed with no review in: go with the first
        if pool.limit is None:
            self.round = None
            request, used, granted = pool.request, self.used, self._granted
            for j in range(k):  # _invite, inlined (no closure per review: a partial)
                request(exclude, used, partial(granted, j))
        else:
            self.round = review_round(w.desks[w.props.call[i]], now)
            for j in range(k):
                self._invite(j)
        if rv.deadline_days is not None or rv.deadline_day is not None:
            deadline = review_deadline(rv.deadline_days, rv.deadline_day, now)
            if deadline is not None:
                env.timeout(deadline).callbacks.append(self._deadline)

    def _invite(self, j: int) -> None:
        grant = partial(self._granted, j)  # no closure per review: a partial is smaller
        if self.pool.limit is None:
            self.pool.request(self.exclude, self.used, grant)
        else:
            self.pool.request(self.exclude, self.used, grant, self.round, self._unassigned)

    def _unassigned(self) -> None:
        """No eligible reviewer is left under the per-round limit: this review is not done."""
        if self.closed:
            return
        self.trace.unassigned_reviews[self.i] += 1
        self.left -= 1
        if self.left == 0:
            self._close()
        elif self.overdue and self.finished:
            self._close_soon()

    def _granted(self, j: int, rid: int) -> None:
        env, w, i = self.env, self.world, self.i
        if self.closed:  # the panel went ahead without this review: nobody is invited
            self.used.remove(rid)
            self.pool.release(rid, reviewed=False, rnd=self.round)
            return
        attempt = self.invited[j]
        self.invited[j] += 1
        self.trace.invitations[i] += 1
        if w.declines is not None and w.declines[i, j, attempt]:  # declined: re-invite later
            self.trace.declines[i] += 1
            self.used.remove(rid)
            self.pool.release(rid, reviewed=False, rnd=self.round)
            env.timeout(self.rv.invitation_days).callbacks.append(partial(self._reinvite, j))
            return
        now = env.now
        self.wait += now - self.start
        self.started += 1
        if now < self.first:
            self.first = now
        row = self.trace.review_started(i, j, rid + self.offset, now)
        if w.traits is not None:  # reviewers who differ: the score depends on who reviews
            score = w.traits.score(
                rid, w.subject[i], float(w.seen_merit[i]), float(w.review_noise[i, j])
            )
            w.review_scores[i, j] = score if w.grades is None else float(w.grades.graded(score))
        t = env.timeout(float(w.review_durations[i, j]))
        t.callbacks.append(partial(self._finished, rid, row, j))

    def _reinvite(self, j: int, _e: object = None) -> None:
        if not self.closed:
            self._invite(j)

    def _finished(self, rid: int, row: int, j: int, _e: object = None) -> None:
        tr = self.trace
        tr.rv_end[row] = self.env.now
        self.pool.release(rid)
        self.left -= 1
        if self.closed:  # a late review: in the table, not in the score
            tr.late_reviews[self.i] += 1
            return
        self.finished.append(j)
        if self.left == 0:
            self._close()
        elif self.overdue:
            self._close_soon()

    def _deadline(self, _e: object) -> None:
        if self.closed:
            return
        if self.finished:
            self._close_soon()
        else:
            self.overdue = True

    def _close_soon(self) -> None:
        """Close at this instant, after every review that also ends now (they count)."""
        self.overdue = False
        self.env.timeout(0).callbacks.append(self._close_if_open)

    def _close_if_open(self, _e: object) -> None:
        if not self.closed:
            self._close()

    def _close(self) -> None:
        """The panel goes ahead with the reviews in hand."""
        self.closed = True
        w, i, tr = self.world, self.i, self.trace
        k = self.k
        tr.review_wait[i] = self.wait / (k if self.started == k else max(self.started, 1))
        if not self.finished:  # every review unassigned (per-round limit): no score
            w.review_mean[i] = w.review_se[i] = math.nan
        elif len(self.finished) < k:  # deadline or unassigned: the finished reviews count
            row = w.review_scores[i, sorted(self.finished)]
            w.review_mean[i] = float(row.mean())
            w.review_se[i] = review_se(row[None, :], self.rv.reliability)[0]
        elif w.traits is not None:
            w.review_mean[i] = float(w.review_scores[i].mean())
            w.review_se[i] = review_se(w.review_scores[i : i + 1], self.rv.reliability)[0]
        tr.days["review_start"][i] = self.first if self.first < math.inf else math.nan
        self.done.succeed()
