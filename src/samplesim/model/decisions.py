"""Decisions of one call: shortlist, panel/interview, agency approval and allocation.

A :class:`CallDesk` collects the call's reviewed proposals and decides them in batches:
the whole call at once (``decision.mode = "batch"``), or whatever is ready at each meeting
(``"rolling"``). Every proposal waiting on a batch waits on one shared simpy event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from samplesim.policies import POLICIES, Candidate, check_grants
from samplesim.scenario.schema import Call

if TYPE_CHECKING:
    from samplesim.model.world import World

__all__ = ["CallDesk"]


class CallDesk:
    """Shortlisting, panel and allocation for one call."""

    def __init__(self, world: World, index: int, call: Call, n_expected: int) -> None:
        self.w = world
        self.index = index
        self.call = call
        self.n_expected = n_expected
        self.settled = 0
        self.ready: list[int] = []
        self.event = world.env.event()
        streams = world.streams
        self.alloc_rng = streams.named("allocation", call.name)
        self.decision_rng = streams.named("decision", call.name)
        self.meetings = self._meeting_days()
        if call.decision.mode == "rolling" and n_expected:
            world.env.process(self._rolling())

    # -- bookkeeping, called by proposal processes ------------------------------------
    def drop(self) -> None:
        """A proposal of this call left the workflow before review."""
        self.settled += 1
        self._maybe_batch()

    def reviewed(self, i: int) -> simpy.Event:
        """Proposal ``i`` finished review; returns the event its decision will trigger."""
        self.ready.append(i)
        self.settled += 1
        ev = self.event
        self._maybe_batch()
        return ev

    def _maybe_batch(self) -> None:
        if self.call.decision.mode == "batch" and self.settled == self.n_expected and self.ready:
            batch, self.ready = self.ready, []
            self.w.env.process(self._decide(batch, self.event, align=True))

    # -- schedules --------------------------------------------------------------------
    def _meeting_days(self) -> list[float]:
        d = self.call.decision
        days = list(d.meeting_days)
        if d.meeting_every_days:
            start = days[-1] if days else (d.first_meeting_day or self.call.close_day)
            t = start + (d.meeting_every_days if days else 0.0)
            while t <= self.w.horizon:
                days.append(t)
                t += d.meeting_every_days
        return days

    def _rolling(self) -> Iterator[simpy.Event]:
        env = self.w.env
        for m in self.meetings:
            if m > env.now:
                yield env.timeout(m - env.now)
            if self.ready:
                batch, self.ready = self.ready, []
                ev, self.event = self.event, env.event()
                env.process(self._decide(batch, ev, align=False))
            if self.settled == self.n_expected and not self.ready:
                return

    # -- one decision -----------------------------------------------------------------
    def _decide(self, batch: list[int], done: simpy.Event, align: bool) -> Iterator[simpy.Event]:
        w, env, tr, sc = self.w, self.w.env, self.w.trace, self.w.sc
        score = tr.review_score
        sl = sc.review.shortlist
        batch = sorted(batch, key=lambda i: (-score[i], i))
        keep = len(batch)
        if sl.top_k is not None:
            keep = min(keep, sl.top_k)
        if sl.top_fraction is not None:
            keep = min(keep, max(1, int(np.ceil(sl.top_fraction * len(batch)))))
        short = batch[:keep]
        if sl.score_bar is not None:
            short = [i for i in short if score[i] >= sl.score_bar]
        short_set = set(short)
        for i in short:
            tr.stamp(i, "shortlisted", env.now)

        pn = sc.panel
        if pn.enabled and short:
            if align and self.call.panel_day is not None:
                panel_at = max(self.call.panel_day, env.now)
            else:
                panel_at = env.now + float(pn.delay.sample(self.decision_rng, 1)[0])
            if panel_at > env.now:
                yield env.timeout(panel_at - env.now)
            for i in short:
                tr.stamp(i, "panel", env.now)
                tr.final_score[i] = (1 - pn.weight) * score[i] + pn.weight * w.panel_score[i]
        else:
            for i in short:
                tr.final_score[i] = score[i]

        t = env.now + float(sc.allocation.approval_delay.sample(self.decision_rng, 1)[0])
        if align and self.meetings:
            later = [m for m in self.meetings if m >= t]
            t = later[0] if later else t
        if t > env.now:
            yield env.timeout(t - env.now)

        granted = self._allocate(short)
        for i in batch:
            tr.stamp(i, "decision", env.now)
            if i in granted:
                tr.event(i, env.now, "decision", "approved", "", float(tr.granted[i].sum()))
            elif i not in short_set:
                w.outcome[i] = ("not_shortlisted", "review score below the shortlist cut")
            else:
                w.outcome[i] = ("declined", self._decline_reason(i))
        done.succeed()

    def _decline_reason(self, i: int) -> str:
        al = self.w.sc.allocation
        if al.score_bar is not None and self.w.trace.final_score[i] < al.score_bar:
            return f"final score below the allocation bar ({al.score_bar:g})"
        return f"not selected by {al.policy} (inventory or award limit)"

    def _allocate(self, short: list[int]) -> set[int]:
        w, tr, inv, al = self.w, self.w.trace, self.w.inventory, self.w.sc.allocation
        now = w.env.now
        inv.reserve(now, self.call.reserve_fraction)
        budget = inv.budget()
        names = inv.names
        cands = []
        for i in short:
            fs = tr.final_score[i]
            if al.score_bar is not None and fs < al.score_bar:
                continue
            req = w.props.requested[i]
            cands.append(
                Candidate(
                    index=i,
                    country=w.country_of[i],
                    score=float(fs),
                    requested={names[t]: float(req[t]) for t in np.flatnonzero(req)},
                    min_portion={n: float(inv.min_portion[t]) for t, n in enumerate(names)},
                )
            )
        grants = POLICIES[al.policy](cands, budget, al, self.alloc_rng)
        check_grants(grants, cands, budget)
        col = {n: t for t, n in enumerate(names)}
        for i, grant in grants.items():
            vec = np.zeros(len(names))
            for name, g in grant.items():
                vec[col[name]] = g
            if vec.sum() <= 0:
                continue
            inv.lend(now, vec)
            tr.granted[i] = vec
            w.awarded[i] = vec.sum()
        return {i for i in grants if w.awarded[i] > 0}
