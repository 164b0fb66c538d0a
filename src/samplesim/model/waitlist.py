"""The waiting list of one call: grams freed after approval go to the next in rank.

With ``reallocation = "waiting_list"`` (``[allocation]`` or the call's own key), a decision
puts the shortlisted proposals above the allocation score bar that the policy did not grant
(inventory or award limit) on the call's waiting list, ranked by final score, instead of
declining them. They wait undecided (state ``pending`` with a reason if the horizon comes):

* Grams freed after approval (a grant withdrawn or blocked at the agreement or shipping gate,
  or the part cut by a condition's ``grant_factor``) go back to stock at once, and are offered
  to the list at the call's next meeting (strictly after the day they were freed; a call
  without meetings offers them the same day), up to what is still in stock, through the
  call's allocation policy (a decision of its own: ``max_awards``, ``partial`` and quotas apply
  to the offer). A proposal granted grams this way is *approved from the waiting list*: its
  decision is that day, and it goes on to the agreement and shipping gates like any other.
  Freed grams nobody can use stay on offer for later meetings (they are in stock meanwhile:
  any decision may take them).
* The list closes at the first meeting (without meetings: at once) when nothing more can be
  freed (every grant of the call has shipped or ended, and the call has nothing left to
  decide), or at its last meeting before the horizon: the proposals still on it end
  ``declined`` with their decision that day. Grams freed after that stay in stock.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

import numpy as np
import simpy

from samplesim.policies import check_grants

if TYPE_CHECKING:
    from samplesim.model.decisions import CallDesk

__all__ = ["WaitingList"]

_EPS = 1e-12


class WaitingList:
    """The waiting list of one :class:`~samplesim.model.decisions.CallDesk`."""

    def __init__(self, desk: CallDesk, rng: np.random.Generator) -> None:
        self.desk = desk
        self.env = desk.env
        self.trace = desk.trace
        self.rng = rng
        #: Proposals on the list, best final score first.
        self.ranked: list[int] = []
        #: Proposal -> the event its process waits on: None (approved) or (state, reason).
        self.events: dict[int, simpy.Event] = {}
        #: Grams freed after approval and not yet given out again, by sample type.
        self.freed = np.zeros(len(desk.inventory.names))
        #: The call's approved proposals that may still free grams (not shipped nor ended).
        self.at_risk = 0
        self.wake_pending = False
        self.closed = False

    # -- called by the desk and the world --------------------------------------------
    def add(self, waiting: list[int], approved: int) -> None:
        """A decision approved ``approved`` proposals and put ``waiting`` on the list."""
        self.at_risk += approved
        tr = self.trace
        for i in waiting:
            self.events[i] = self.env.event()
            tr.pending_reason[i] = f"on the waiting list of {self.desk.call.name}"
            tr.event(i, self.env.now, "decision", "waitlisted", self.desk.call.name)
        score = tr.final_score
        tie = self.desk.tiebreak
        self.ranked = sorted(self.ranked + waiting, key=lambda i: (-score[i], tie[i], i))
        self._schedule()

    def wait(self, i: int) -> simpy.Event:
        """The event proposal ``i`` (on the list) waits on."""
        return self.events[i]

    def release(self, grams: np.ndarray) -> None:
        """``grams`` (by type), granted earlier, went back to stock: offer them."""
        if self.closed or not self.ranked:
            return
        self.freed += grams
        self._schedule()

    def settled(self) -> None:
        """An approved proposal of the call shipped or ended: it can free nothing more."""
        self.at_risk -= 1
        self._schedule()

    # -- the list's own steps ----------------------------------------------------------
    def _done(self) -> bool:
        return self.at_risk == 0 and self.desk.all_decided()

    def _schedule(self) -> None:
        if self.closed or not self.ranked or self.wake_pending:
            return
        env, desk = self.env, self.desk
        if desk.has_meetings:
            k = bisect_right(desk.meetings, env.now)
            if k == len(desk.meetings):
                self._close()
                return
            delay = desk.meetings[k] - env.now
        elif self.freed.sum() > _EPS or self._done():
            delay = 0.0
        else:
            return
        self.wake_pending = True
        env.timeout(delay).callbacks.append(self._act)

    def _act(self, _event: simpy.Event) -> None:
        self.wake_pending = False
        if self.closed or not self.ranked:
            return
        if self.freed.sum() > _EPS:
            self._offer()
        desk = self.desk
        last = desk.has_meetings and bisect_right(desk.meetings, self.env.now) == len(desk.meetings)
        if self.ranked and (last or self._done()):
            self._close()
        elif not self.ranked:
            self.freed[:] = 0.0  # nobody left to offer them to: they stay in stock
        elif desk.has_meetings:  # wake at every meeting; else only when grams are freed
            self._schedule()

    def _offer(self) -> None:
        desk, tr, env = self.desk, self.trace, self.env
        inv = desk.inventory
        inv.advance(env.now)  # a renewable resource offers the current period's stock
        budget = {n: float(min(self.freed[t], inv.remaining[t])) for t, n in enumerate(inv.names)}
        cands = [desk.candidate(i) for i in self.ranked]
        grants = desk.run_policy(cands, budget, self.rng)
        check_grants(grants, cands, budget)
        won = desk.lend(grants)
        for i in [i for i in self.ranked if i in won]:
            self.freed = np.maximum(self.freed - tr.granted[i], 0.0)
            tr.from_waiting_list[i] = True
            tr.pending_reason[i] = ""
            tr.stamp(i, "decision", env.now)
            detail = f"from the waiting list of {desk.call.name}"
            tr.event(i, env.now, "decision", "approved", detail, float(tr.granted[i].sum()))
            self.ranked.remove(i)
            end = desk.ends_approved(i)  # data only: it ends approved and frees nothing
            self.at_risk += end is None
            self.events[i].succeed(end)

    def _close(self) -> None:
        """No more grams can come (or no meeting is left): the rest are declined today."""
        self.closed = True
        tr, now = self.trace, self.env.now
        for i in self.ranked:
            tr.pending_reason[i] = ""
            tr.stamp(i, "decision", now)
            why = f"{self.desk.decline_reason(i)}; the waiting list closed"
            self.events[i].succeed(("declined", why))
        self.ranked = []
        self.freed[:] = 0.0
