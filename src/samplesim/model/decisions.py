"""Decisions of one call: shortlist, panel/interview, agency approval and allocation.

A :class:`CallDesk` collects the call's reviewed proposals and decides them in batches:
the whole call at once (``decision.mode = "batch"``), or whatever is ready at each meeting
(``"rolling"``). Every proposal waiting on a batch waits on one shared simpy event, whose
value is the batch's :data:`Decisions`. The desk works with explicit collaborators (the
environment, the trace it writes, the inventory, the allocation policy and its random
streams), never with the whole model.

A call with decision meetings decides only on meeting days: the first meeting on or after the
panel plus the approval delay. When no meeting is left before the horizon, its proposals stay
``pending`` with the reason :data:`NO_MEETING`. A batch call without any meeting is decided the
approval delay after its panel (or shortlist).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import simpy

from samplesim.model.allocate import array_allocate, lend_rows, ranked
from samplesim.model.inventory import Inventory
from samplesim.model.ledger import BalanceLedger
from samplesim.model.meetings import considered, meeting_schedule
from samplesim.model.trace import Trace
from samplesim.model.trim import trim_request
from samplesim.model.waitlist import WaitingList
from samplesim.policies import Candidate, Policy, check_grants
from samplesim.scenario.schema import Allocation, Call, Panel, Shortlist

__all__ = ["NO_MATERIAL", "NO_MEETING", "WAITLISTED", "CallDesk", "Decisions"]

#: Reason of a proposal left pending because its call has no decision meeting left.
NO_MEETING = "no decision meeting left before the horizon"
#: Terminal state of an approved proposal that requested no material (data only).
NO_MATERIAL = "approved_no_material"
DATA_ONLY = (NO_MATERIAL, "approved: data-only request, no material")
#: Reason of a proposal none of whose reviews could be assigned (per-round limit).
NO_REVIEW = "no review: every eligible reviewer at review.max_reviews_per_round"

#: The value of a decision event: proposal -> (terminal state, reason) for every proposal of
#: the batch that ends at the decision; approved proposals are absent (they go on).
Decisions = dict[int, tuple[str, str]]

#: The state in :data:`Decisions` of a proposal put on the call's waiting list (not terminal:
#: its process then waits on ``desk.waitlist.wait(i)``; see :mod:`samplesim.model.waitlist`).
WAITLISTED = "waitlisted"


class CallDesk:
    """Shortlisting, panel and allocation for one call.

    Args:
        env: the simulation environment.
        index: the call's index in the scenario.
        call: the call's settings; ``n_expected``: how many proposals it will receive.
        trace: where the desk records stages, events, scores and grants.
        inventory: the grams it allocates from.
        policy: the allocation policy (``POLICIES[allocation.policy]``).
        alloc_rng: the call's ``allocation`` stream (passed to the policy).
        decision_rng: the call's ``decision`` stream (panel and approval delays).
        horizon: the run's last day.
        shortlist, panel, allocation: the scenario's settings.
        panel_score, requested, country: per-proposal panel scores, grams requested by
            sample type (``n × types``) and lead countries.
        types: the sample types the call allocates (its agency's; None: all).
        reallocation: where grams freed after approval go (``"stock"`` or
            ``"waiting_list"``); ``waitlist_rng``: the stream its offers' policy draws from.
    """

    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        call: Call,
        n_expected: int,
        *,
        trace: Trace,
        inventory: Inventory,
        policy: Policy,
        alloc_rng: np.random.Generator,
        decision_rng: np.random.Generator,
        horizon: float,
        shortlist: Shortlist,
        panel: Panel,
        allocation: Allocation,
        panel_score: np.ndarray,
        requested: np.ndarray,
        country: Sequence[str],
        types: list[int] | None = None,
        reallocation: str = "stock",
        waitlist_rng: np.random.Generator | None = None,
        review_se: Sequence[float] | None = None,
        tiebreak: Sequence[float] | None = None,
        discussion: Sequence[float] | None = None,
        submit: Sequence[float] | None = None,
        ledger: BalanceLedger | None = None,
    ) -> None:
        #: Submission days (for ``decision.request_deadline_days``; None: not needed).
        self.submit = submit if call.decision.request_deadline_days is not None else None
        #: Each proposal's decision event when ``submit`` is set (else the shared one).
        self.own: dict[int, simpy.Event] = {}
        #: Amounts granted per country across calls (None: no policy accounts them).
        self.ledger = ledger
        #: The discussion's shift of each discussed proposal's review mean (panel only).
        self.discussion = discussion
        #: The allocation bar as the scenario writes it (the world sets it on a grade scale).
        self.bar_label = "" if allocation.score_bar is None else f"{allocation.score_bar:g}"
        #: Order among equal scores (submission order unless ``review.ties = "random"``).
        self.tiebreak = tiebreak if tiebreak is not None else range(len(requested))
        self.env = env
        self.review_se = review_se
        #: Why the policy drew or did not draw each candidate (lottery family), by proposal.
        self.reasons: dict[int, str] = {}
        self._said: dict[str, tuple[str, str]] = {}  # see _say
        self._not_selected: str | None = None  # see decline_reason
        self.index = index
        self.call = call
        self.n_expected = n_expected
        self.trace = trace
        self.inventory = inventory
        self.policy = policy
        self.alloc_rng = alloc_rng
        self.decision_rng = decision_rng
        self.horizon = horizon
        self.shortlist = shortlist
        self.panel = panel
        self.allocation = allocation
        self.panel_score = panel_score
        self.requested = requested
        self.country = country
        self.types = types
        self.settled = 0
        self.ready: list[int] = []
        self.event = env.event()
        d = call.decision
        #: Whether decisions wait for meetings at all (else: approval_delay after the panel).
        self.has_meetings = bool(d.meeting_days or d.meeting_every_days)
        #: Meeting days before the horizon, increasing.
        self.meetings = self._meeting_days()
        #: Rolling call whose last meeting has passed: nothing more will be decided.
        self.closed = False
        #: Decisions under way (shortlisted, not yet decided).
        self.deciding = 0
        #: review.normalise_panels: (batch, scores) -> the scores the batch is ranked on.
        self.normalise: Callable[[list[int], Sequence[float]], Mapping[int, float]] | None = None
        self.waitlist: WaitingList | None = None
        if reallocation == "waiting_list":
            assert waitlist_rng is not None
            self.waitlist = WaitingList(self, waitlist_rng)
        #: A batch call waits for ``close_day``; a rolling call's meeting process runs.
        self.waiting_close = self.meeting = False
        if call.decision.mode == "rolling" and n_expected:
            env.process(self._rolling())

    # -- bookkeeping, called by proposal processes ------------------------------------
    def drop(self) -> None:
        """A proposal of this call left the workflow before review."""
        self.settled += 1
        self._maybe_batch()

    def reviewed(self, i: int) -> simpy.Event:
        """Proposal ``i`` finished review; returns the event its decision will trigger.

        The event's value is the :data:`Decisions` of the batch ``i`` was decided in; it
        never triggers when no meeting is left for ``i`` (it stays pending).
        """
        self.settled += 1
        ev = self.event
        if self.submit is not None:  # its own event: it may wait past the next meeting
            ev = self.own[i] = self.env.event()
        if self.closed:
            self._no_meeting(i, self.env.now)
            return ev
        self.ready.append(i)
        self._maybe_batch()
        return ev

    def expect(self) -> None:
        """One more proposal will come (a resubmission, announced before it arrives and, for
        a batch call, before ``close_day``): the call waits for it."""
        self.n_expected += 1
        if self.call.decision.mode == "rolling" and not self.meeting and not self.closed:
            self.env.process(self._rolling())

    def all_decided(self) -> bool:
        """Whether every proposal the call will decide has been decided."""
        return self.settled == self.n_expected and not self.ready and not self.deciding

    def _no_meeting(self, i: int, ready_day: float) -> None:
        """Leave proposal ``i`` pending: no meeting on or after ``ready_day`` before the horizon."""
        tr = self.trace
        tr.pending_reason[i] = NO_MEETING
        detail = (
            f"{self.call.name}: ready for a decision on day {ready_day:g}, "
            f"no meeting from then to the horizon (day {self.horizon:g})"
        )
        tr.event(i, self.env.now, "decision", "no_meeting", detail)

    def _maybe_batch(self) -> None:
        """Decide a batch call once all are reviewed, never before ``close_day`` (more may come)."""
        batch = self.call.decision.mode == "batch"
        if batch and self.settled == self.n_expected and self.ready and not self.waiting_close:
            self.deciding += 1
            self.waiting_close = True
            self.env.process(self._decide_after_close())

    def _decide_after_close(self) -> Iterator[simpy.Event]:
        """Wait for ``close_day`` if needed, then decide the whole call; if a proposal was
        announced meanwhile (a resubmission), its settling starts the decision instead."""
        wait = self.call.close_day - self.env.now
        if wait > 0:
            yield self.env.timeout(wait)
        self.waiting_close = False
        if self.settled < self.n_expected:
            self.deciding -= 1
            return
        batch, self.ready = self.ready, []
        yield from self._decide(batch, self.event, whole_call=True)

    # -- schedules --------------------------------------------------------------------
    def _meeting_days(self) -> list[float]:
        """The call's meeting days before the horizon (a meeting on the horizon is not held)."""
        return meeting_schedule(self.call, self.horizon)

    def _rolling(self) -> Iterator[simpy.Event]:
        env = self.env
        self.meeting = True
        start = env.now  # a restart (a resubmission announced) skips the meetings held
        for m in self.meetings:
            if m < start:
                continue
            if m > env.now:
                yield env.timeout(m - env.now)
            if self.ready:
                batch, later = self._take(m)
                if batch:  # the others wait for the next meeting (request deadline)
                    self.ready = later
                    ev, self.event = self.event, env.event()
                    self.deciding += 1
                    env.process(self._decide(batch, ev, whole_call=False))
            if self.settled == self.n_expected and not self.ready:
                self.meeting = False
                return
        self.meeting = False
        self.closed = True
        for i in self.ready:
            self._no_meeting(i, env.now)
        self.ready = []

    def _take(self, meeting: float) -> tuple[list[int], list[int]]:
        """(the ready proposals considered at ``meeting``, those that wait for the next)."""
        if self.submit is None or self.call.decision.request_deadline_days is None:
            return self.ready, []
        now = [i for i in self.ready if considered(self.submit[i], meeting, self.call)]
        return now, [i for i in self.ready if not considered(self.submit[i], meeting, self.call)]

    # -- one decision -----------------------------------------------------------------
    def _decide(
        self, batch: list[int], done: simpy.Event, whole_call: bool
    ) -> Iterator[simpy.Event]:
        """Shortlist ``batch`` now, hold the panel, then decide at the next meeting, and
        trigger ``done`` with the :data:`Decisions` of the batch.

        ``whole_call``: the batch is the whole call (batch mode), so the panel is held on the
        call's ``panel_day`` (or when the last review is in, if that is later).
        """
        env, tr = self.env, self.trace
        score = tr.review_score
        if self.normalise is not None:  # review.normalise_panels: z-scores within each panel
            score = self.normalise(batch, score)  # type: ignore[assignment]
        sl = self.shortlist
        tie = self.tiebreak
        # Proposals with no review (every review unassigned) have no score and come last.
        batch, unscored = ranked(batch, score, tie)
        keep = len(batch) - len(unscored)
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

        pn = self.panel
        if pn.enabled and short:
            planned = self.call.panel_day if whole_call else None
            if planned is not None:
                panel_at = max(planned, env.now)
                if env.now > planned:
                    detail = (
                        f"{self.call.name}: planned for day {planned:g}, held on day "
                        f"{env.now:g} when the last review was in"
                    )
                    tr.event(-1, env.now, "panel", "postponed", detail)
            else:
                panel_at = env.now + float(pn.delay.sample(self.decision_rng, 1)[0])
            if panel_at > env.now:
                yield env.timeout(panel_at - env.now)
            for i in short:
                tr.stamp(i, "panel", env.now)
                discussed = score[i] if self.discussion is None else score[i] + self.discussion[i]
                tr.final_score[i] = (1 - pn.weight) * discussed + pn.weight * self.panel_score[i]
        else:
            for i in short:
                tr.final_score[i] = score[i]

        t = env.now + float(self.allocation.approval_delay.sample(self.decision_rng, 1)[0])
        gap = self.call.decision.request_deadline_days
        if gap is not None and self.submit is not None and self.has_meetings:
            t = max(t, max(self.submit[i] for i in batch) + gap)
        if self.has_meetings:
            k = bisect_left(self.meetings, t)
            if k == len(self.meetings):
                self.deciding -= 1
                for i in batch:
                    self._no_meeting(i, t)
                return
            t = self.meetings[k]
        if t > env.now:
            yield env.timeout(t - env.now)

        granted = self._allocate(short)
        decisions: Decisions = {}
        waiting: list[int] = []
        bar = self.allocation.score_bar
        for i in batch:
            if i in granted:
                tr.stamp(i, "decision", env.now)
                why = self.reasons.get(i, "")
                tr.event(i, env.now, "decision", "approved", why, float(tr.granted[i].sum()))
                if (end := self.ends_approved(i)) is not None:
                    decisions[i] = end
            elif i in unscored:
                tr.stamp(i, "decision", env.now)
                decisions[i] = ("not_shortlisted", NO_REVIEW)
            elif i not in short_set:
                tr.stamp(i, "decision", env.now)
                decisions[i] = ("not_shortlisted", "review score below the shortlist cut")
            elif self.waitlist is not None and (bar is None or tr.final_score[i] >= bar):
                decisions[i] = (WAITLISTED, "")  # decided later (waitlist.py)
                waiting.append(i)
            else:
                tr.stamp(i, "decision", env.now)
                decisions[i] = self._declined(self.decline_reason(i))
        self.deciding -= 1
        if self.waitlist is not None:
            data_only = sum(1 for i in granted if i in decisions)
            self.waitlist.add(waiting, len(granted) - data_only)
        done.succeed(decisions)
        for i in batch:
            if i in self.own:
                self.own.pop(i).succeed(decisions)

    def _declined(self, why: str) -> tuple[str, str]:
        """The decision ``("declined", why)``: one shared tuple for a reason the desk says."""
        return self._said.get(why) or ("declined", why)

    def _say(self, why: str) -> str:
        """``why``, a reason the desk says itself: kept once, with its decision."""
        return self._said.setdefault(why, ("declined", why))[1]

    def ends_approved(self, i: int) -> tuple[str, str] | None:
        """How approved row ``i`` ends at once: data only (nothing to lend or ship), else None."""
        return None if self.requested[i].any() else DATA_ONLY

    def decline_reason(self, i: int) -> str:
        """Why shortlisted proposal ``i`` was not granted samples."""
        al = self.allocation
        if al.score_bar is not None and self.trace.final_score[i] < al.score_bar:
            return self._say(f"final score below the allocation bar ({self.bar_label})")
        if i in self.reasons:
            return self.reasons[i]
        if self._not_selected is None:  # said once per desk
            why = f"not selected by {al.policy} (inventory or award limit)"
            self._not_selected = self._say(why)
        return self._not_selected

    def candidate(self, i: int) -> Candidate:
        """Proposal ``i`` as a candidate of an allocation decision."""
        inv, names = self.inventory, self.inventory.names
        req = self.requested[i]
        se = 0.0 if self.review_se is None else float(self.review_se[i])
        pn = self.panel
        if pn.enabled:  # final = (1-w) review + w panel: the panel's noise adds its share
            se = math.hypot((1 - pn.weight) * se, pn.weight * math.sqrt(1 - pn.reliability))
        portions = {n: float(inv.min_portion[t]) for t, n in enumerate(names)}
        al = self.allocation
        asked = {names[t]: float(req[t]) for t in np.flatnonzero(req)}
        return Candidate(
            index=i,
            country=self.country[i],
            score=float(self.trace.final_score[i]),
            requested=trim_request(asked, portions, al.trim_fraction, al.award_cap),
            min_portion=portions,
            score_se=se,
            tiebreak=float(self.tiebreak[i]),
        )

    def _allocate(self, short: list[int]) -> set[int]:
        tr, inv, al = self.trace, self.inventory, self.allocation
        inv.reserve(self.env.now, self.call.reserve_fraction, self.types)
        budget = inv.budget(self.types)
        rows = [i for i in short if al.score_bar is None or tr.final_score[i] >= al.score_bar]
        if (approved := array_allocate(self, rows, budget)) is not None:
            return approved  # a built-in policy, on arrays (samplesim.policy_arrays)
        cands = [self.candidate(i) for i in rows]
        grants = self.run_policy(cands, budget, self.alloc_rng)
        check_grants(grants, cands, budget)
        self.reasons = getattr(grants, "reasons", {})
        return self.lend(grants)

    def run_policy(
        self, cands: list[Candidate], budget: dict[str, float], rng: np.random.Generator
    ) -> dict[int, dict[str, float]]:
        """The policy's grants; a policy that ``wants_history`` (``balanced``) gets the amounts
        granted per country in this call's accounting window."""
        al = self.allocation
        if self.ledger is not None and getattr(self.policy, "wants_history", False):
            history = self.ledger.window(self.index, al.balance.rounds)
            return self.policy(cands, budget, al, rng, history=history)  # type: ignore[call-arg]
        return self.policy(cands, budget, al, rng)

    def lend(self, grants: dict[int, dict[str, float]]) -> set[int]:
        """Lend checked ``grants`` (grams by sample-type name), as ``allocate.lend_rows``."""
        col = {n: t for t, n in enumerate(self.inventory.names)}
        return lend_rows(self, ((i, {col[n]: g for n, g in v.items()}) for i, v in grants.items()))
