"""Unit tests of the model's pieces on their own: the call desk (with a simpy environment and
fake collaborators), the inventory and the reviewer pool."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import simpy

from samplesim.distributions import Fixed
from samplesim.model.decisions import NO_MEETING, CallDesk
from samplesim.model.inventory import Inventory
from samplesim.model.reviewers import ReviewerPool
from samplesim.model.trace import Trace
from samplesim.scenario.schema import Allocation, Call, Decision, Panel, Shortlist

# --------------------------------------------------------------------------------------------
# CallDesk


class GrantAll:
    """A fake policy: grants every candidate its request; records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[int], dict[str, float]]] = []

    def __call__(self, cands, budget, settings, rng):
        self.calls.append(([c.index for c in cands], dict(budget)))
        return {c.index: dict(c.requested) for c in cands}


class Bench:
    """A desk for one call with ``n`` proposals, driven by proposal processes that finish
    review on given days (or drop out), as the world's proposal processes do."""

    def __init__(
        self,
        n: int,
        decision: Decision | None = None,
        *,
        approval: float = 0.0,
        shortlist: Shortlist | None = None,
        panel: Panel | None = None,
        horizon: float = 1000.0,
        grams: float = 10.0,
        close_day: float = 0.0,
        policy: Any = None,
    ) -> None:
        self.env = simpy.Environment()
        self.trace = Trace(n, 1)
        self.inventory = Inventory(["rock"], [grams], [0.01])
        self.policy = policy or GrantAll()
        call = Call("c", 0.0, close_day, decision=decision or Decision())
        self.desk = CallDesk(
            self.env,
            0,
            call,
            n,
            trace=self.trace,
            inventory=self.inventory,
            policy=self.policy,
            alloc_rng=np.random.default_rng(1),
            decision_rng=np.random.default_rng(2),
            horizon=horizon,
            shortlist=shortlist or Shortlist(),
            panel=panel or Panel(enabled=False),
            allocation=Allocation(approval_delay=Fixed(approval)),
            panel_score=np.zeros(n),
            requested=np.ones((n, 1)),
            country=["AA"] * n,
        )
        #: proposal -> (day its decision arrived, what it said about it)
        self.decided: dict[int, tuple[float, Any]] = {}

    def _proposal(self, i: int, day: float, score: float) -> Any:
        yield self.env.timeout(day)
        if np.isnan(score):
            self.desk.drop()
            return
        self.trace.review_score[i] = score
        decisions = yield self.desk.reviewed(i)
        self.decided[i] = (self.env.now, decisions.get(i))

    def run(self, days: list[float], scores: list[float]) -> Bench:
        for i, (d, s) in enumerate(zip(days, scores, strict=True)):
            self.env.process(self._proposal(i, d, s))
        self.env.run(until=self.desk.horizon)
        return self


def test_batch_decides_the_whole_call_after_the_last_review():
    b = Bench(3, approval=5.0, shortlist=Shortlist(top_k=2)).run([10, 30, 20], [0.1, 0.9, 0.5])
    # One decision for everybody, approval_delay after the last review (day 30).
    assert b.decided == {
        0: (35.0, ("not_shortlisted", "review score below the shortlist cut")),
        1: (35.0, None),
        2: (35.0, None),
    }
    assert b.policy.calls == [([1, 2], {"rock": 10.0})]  # by score, shortlisted only
    assert list(b.trace.days["decision"]) == [35.0] * 3
    np.testing.assert_array_equal(b.trace.days["shortlisted"], [np.nan, 30.0, 30.0])
    assert list(b.trace.awarded) == [0.0, 1.0, 1.0]
    assert b.trace.granted[:, 0].tolist() == [0.0, 1.0, 1.0]
    assert b.inventory.remaining[0] == pytest.approx(8.0)


def test_batch_waits_for_dropped_proposals_to_settle():
    b = Bench(3).run([10, 40, 20], [0.3, float("nan"), 0.2])
    assert {i: d for i, (d, _) in b.decided.items()} == {0: 40.0, 2: 40.0}


def test_declined_when_the_policy_grants_nothing():
    def nothing(cands, budget, settings, rng):
        return {}

    b = Bench(2, policy=nothing).run([1, 2], [0.4, 0.2])
    state, reason = b.decided[0][1]
    assert state == "declined" and "not selected by merit_rank" in reason
    assert list(b.trace.awarded) == [0.0, 0.0]


def test_batch_meeting_is_the_first_on_or_after_panel_plus_approval():
    b = Bench(2, Decision(meeting_days=[50.0, 100.0]), approval=5.0).run([10, 30], [1, 2])
    assert [b.decided[i][0] for i in (0, 1)] == [50.0, 50.0]
    # A longer approval delay moves the decision to the next meeting.
    b = Bench(2, Decision(meeting_days=[50.0, 100.0]), approval=25.0).run([10, 30], [1, 2])
    assert [b.decided[i][0] for i in (0, 1)] == [100.0, 100.0]


def test_panel_day_and_panel_delay():
    panel = Panel(enabled=True, weight=0.5, delay=Fixed(7))
    b = Bench(2, panel=panel).run([10, 20], [1.0, 3.0])
    assert list(b.trace.days["panel"]) == [27.0, 27.0]  # the panel delay after the last review
    np.testing.assert_allclose(b.trace.final_score, [0.5, 1.5])  # panel scores are 0


def test_rolling_decides_what_is_ready_at_each_meeting():
    b = Bench(3, Decision(mode="rolling", meeting_every_days=20.0))
    b.run([10, 15, 30], [0.1, 0.2, 0.3])
    assert {i: d for i, (d, _) in b.decided.items()} == {0: 20.0, 1: 20.0, 2: 40.0}
    assert [c[0] for c in b.policy.calls] == [[1, 0], [2]]


def test_rolling_approval_delay_moves_to_the_next_meeting():
    b = Bench(2, Decision(mode="rolling", meeting_every_days=20.0), approval=5.0)
    b.run([10, 15], [0.1, 0.2])
    assert {i: d for i, (d, _) in b.decided.items()} == {0: 40.0, 1: 40.0}


@pytest.mark.parametrize("mode", ["batch", "rolling"])
def test_no_meeting_left_leaves_proposals_pending_with_a_reason(mode):
    b = Bench(2, Decision(mode=mode, meeting_days=[50.0]), horizon=500.0)
    b.run([60, 70], [0.1, 0.2])
    assert b.decided == {}  # the decision event never triggers
    assert b.trace.pending_reason == [NO_MEETING, NO_MEETING]
    assert np.isnan(b.trace.days["decision"]).all()
    logged = [e for e in b.trace.events if e[2] == "decision" and e[3] == "no_meeting"]
    assert sorted(e[0] for e in logged) == [0, 1]
    assert "horizon (day 500)" in logged[0][4]
    assert b.policy.calls == []


# --------------------------------------------------------------------------------------------
# Inventory


def _pools(inv: Inventory) -> np.ndarray:
    return inv.remaining + inv.reserved + inv.on_loan + inv.consumed


def test_inventory_moves_conserve_grams_and_log_each_change():
    inv = Inventory(["rock", "dust"], [4.0, 2.0], [0.01, 0.01])
    assert inv.log == [(0.0, 0, 4.0, 0.0, 0.0, 0.0), (0.0, 1, 2.0, 0.0, 0.0, 0.0)]
    inv.reserve(1.0, 0.25)
    assert inv.budget() == {"rock": 3.0, "dust": 1.5}
    inv.lend(2.0, np.array([1.0, 0.0]))
    assert inv.log[-1] == (2.0, 0, 2.0, 1.0, 1.0, 0.0)  # only the type that moved
    inv.lend(3.0, np.array([1.0, 0.5]))
    inv.take_back(4.0, np.array([1.0, 0.0]))
    inv.consume(5.0, np.array([1.0, 0.5]))
    np.testing.assert_allclose(_pools(inv), inv.initial)
    assert list(inv.consumed) == [1.0, 0.5] and list(inv.on_loan) == [0.0, 0.0]
    for _day, t, *pools in inv.log:  # every snapshot conserves its type's grams
        assert sum(pools) == pytest.approx(inv.initial[t])
    assert [row[0] for row in inv.log] == sorted(row[0] for row in inv.log)
    assert len(inv.log) == 2 + 2 + 1 + 2 + 1 + 2


def test_inventory_reserve_releases_the_previous_reserve():
    inv = Inventory(["rock"], [4.0], [0.01])
    inv.reserve(0.0, 0.5)
    inv.reserve(1.0, 0.0)
    assert (inv.remaining[0], inv.reserved[0]) == (4.0, 0.0)


def test_inventory_refuses_to_lend_beyond_the_budget():
    inv = Inventory(["rock"], [1.0], [0.01])
    inv.reserve(0.0, 0.5)
    with pytest.raises(RuntimeError, match="beyond the remaining"):
        inv.lend(1.0, np.array([0.75]))
    np.testing.assert_allclose(_pools(inv), inv.initial)


# --------------------------------------------------------------------------------------------
# ReviewerPool


def test_pool_gives_a_proposal_distinct_reviewers():
    pool = ReviewerPool(["", ""], load=2, coi=False)
    a: list[int] = []
    b: list[int] = []
    pool.request("", a, lambda rid: None)
    pool.request("", b, lambda rid: None)
    pool.request("", a, lambda rid: None)  # reviewer 0's second slot is first: skipped
    assert a == [0, 1] and b == [1]
    pool.request("", a, lambda rid: None)  # nobody new for a: it waits
    assert a == [0, 1] and len(pool.waiting) == 1


@pytest.mark.parametrize(("coi", "expected"), [(True, [1]), (False, [0])])
def test_pool_excludes_the_conflicted_country(coi, expected):
    pool = ReviewerPool(["AA", ""], load=1, coi=coi)
    used: list[int] = []
    pool.request("AA", used, lambda rid: None)
    assert used == expected


def test_pool_waiters_are_served_first_come_first_served():
    pool = ReviewerPool([""], load=1, coi=True)
    got: list[tuple[str, int]] = []
    pool.request("", [], lambda rid: got.append(("A", rid)))
    pool.request("", [], lambda rid: got.append(("B", rid)))
    pool.request("", [], lambda rid: got.append(("C", rid)))
    assert got == [("A", 0)] and len(pool.waiting) == 2
    pool.release(0)
    pool.release(0)
    assert got == [("A", 0), ("B", 0), ("C", 0)] and not pool.waiting
    pool.release(0)
    assert list(pool.groups[""]) == [0] and pool.reviews_done == [3]


def test_pool_release_serves_the_first_eligible_waiter():
    pool = ReviewerPool(["AA", "BB"], load=1, coi=True)
    got: list[tuple[str, int]] = []
    pool.request("", [], lambda rid: got.append(("X", rid)))  # takes 0 (AA)
    pool.request("", [], lambda rid: got.append(("Y", rid)))  # takes 1 (BB)
    pool.request("AA", [], lambda rid: got.append(("P", rid)))  # waits, conflicted with 0
    pool.request("", [], lambda rid: got.append(("Q", rid)))  # waits behind P
    pool.release(0)  # AA's slot: P may not take it, Q may
    assert got[-1] == ("Q", 0) and [w[1] for w in pool.waiting] == ["AA"]
    pool.release(1)
    assert got[-1] == ("P", 1) and not pool.waiting
