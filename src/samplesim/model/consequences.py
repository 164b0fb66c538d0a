"""Consequences of a rule's condition: withdrawal, an extra delay, a reduced grant.

A rule outcome ``condition`` (effect ``condition``, or a certification or licence that failed
with ``on_failure = "condition"``) may carry, on the rule:

* ``withdraw_probability``: the team withdraws rather than proceed under the condition. The
  proposal ends ``withdrawn``; after approval its grant goes back (see
  :mod:`samplesim.model.waitlist` for where).
* ``grant_factor``: the grant is cut to this fraction, rounded down to whole
  ``min_portion_g`` of each sample type; what is cut goes back like a withdrawn grant. Before
  approval (screening gate) the request is cut instead (the policy then grants at most that;
  ``grams_requested`` keeps the original request). Nothing left: the team withdraws.
* ``extra_delay``: days the team then needs (e.g. to find alternative funding), served right
  after the rule's decision and counted in ``condition_delay_days`` (not in
  ``rule_delay_days``: ``fallback_delay`` is the rule's own wait after a failure, before its
  decision; ``extra_delay`` is the team's, after it, and applies to every condition outcome).

Each is drawn, per proposal, from the rule's own blocks (3: withdrawal, 4: extra delay) of the
proposal's entity stream (see :mod:`samplesim.model.gates`),
drawn only for rules that use these keys, so every other draw is unchanged. Every
consequence is an event of kind ``condition`` (name: the rule) and withdrawals are counted per
rule (the rules table's ``withdrew``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import simpy

from samplesim.model.arrivals import ProposalTable, draw_keyed
from samplesim.model.decisions import CallDesk
from samplesim.model.inventory import Inventory
from samplesim.model.trace import Trace
from samplesim.rng import Streams, name_key
from samplesim.scenario.schema import Rule

__all__ = ["Consequences", "has_consequences"]


def has_consequences(rule: Rule) -> bool:
    """Whether ``rule`` sets any consequence key."""
    return rule.withdraw_probability > 0 or rule.grant_factor < 1 or rule.extra_delay is not None


class Consequences:
    """The consequences of conditions for one run.

    Args:
        env, trace, inventory: the run's environment, trace and inventory.
        rules: the scenario's rules; ``streams``: the run's random streams.
        props: the proposals (their entities key the draws).
        desks: the call desks, and ``call_of``: each proposal's call index.
        asked: grams each proposal asks for, by type (the desks' ``requested``; cut here).
        horizon: the run's last day.
    """

    def __init__(
        self,
        env: simpy.Environment,
        trace: Trace,
        inventory: Inventory,
        rules: Sequence[Rule],
        streams: Streams,
        props: ProposalTable,
        desks: Sequence[CallDesk],
        call_of: np.ndarray,
        asked: np.ndarray,
        horizon: float,
    ) -> None:
        self.env, self.trace, self.inventory = env, trace, inventory
        self.desks, self.call_of, self.asked, self.horizon = desks, call_of, asked, horizon
        self.rules, self.streams = rules, streams
        #: rule name -> (uniforms for withdrawal, extra delays) per proposal.
        self.draws: dict[str, tuple[np.ndarray, np.ndarray]] = self._draw(props)
        #: Proposals that withdrew under a condition (their terminal state is ``withdrawn``).
        self.withdrew: set[int] = set()
        #: proposal -> (rule name, days) of the extra delay it is to serve now.
        self.owed: dict[int, tuple[str, float]] = {}

    def _draw(self, props: ProposalTable) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for rule in self.rules:
            if not has_consequences(rule):
                continue
            # The proposal's entity blocks 3 and 4 of this rule (see model/gates.py).
            x, n, streams = name_key(rule.name), len(props), self.streams
            u = draw_keyed(props, streams, "rules", 3, lambda r, m: r.random(m), extra=x)
            extra = (
                draw_keyed(props, streams, "rules", 4, rule.extra_delay.sample, extra=x)
                if rule.extra_delay
                else np.zeros(n)
            )
            out[rule.name] = (u, extra)
        return out

    def add_row(self, j: int, q: ProposalTable) -> None:
        """Draw row ``j``'s consequences (the one proposal of ``q``, a resubmission)."""
        for name, (u, extra) in self._draw(q).items():
            self.draws[name][0][j], self.draws[name][1][j] = u[0], extra[0]

    def state(self, i: int) -> str:
        """The terminal state of proposal ``i`` stopped at a gate: withdrawn or blocked."""
        return "withdrawn" if i in self.withdrew else "blocked"

    def on_condition(self, i: int, rule: Rule) -> str | None:
        """Apply ``rule``'s consequences to proposal ``i`` (its outcome was a condition);
        returns why the team withdrew, or None."""
        draw = self.draws.get(rule.name)
        if draw is None:
            return None
        u, extra = draw
        text = rule.condition or rule.reason or "the condition"
        if u[i] < rule.withdraw_probability:
            return self._withdrew(i, rule, f"withdrew rather than proceed under: {text}")
        if rule.grant_factor < 1 and not self._cut(i, rule):
            return self._withdrew(i, rule, "withdrew: the reduced grant is below one portion")
        if extra[i] > 0:
            self.owed[i] = (rule.name, float(extra[i]))
        return None

    def _withdrew(self, i: int, rule: Rule, why: str) -> str:
        tr = self.trace
        self.withdrew.add(i)
        tr.rule_withdrew[rule.name] = tr.rule_withdrew.get(rule.name, 0) + 1
        tr.event(i, self.env.now, "condition", rule.name, why)
        return f"{rule.name}: {why}"

    def _cut(self, i: int, rule: Rule) -> bool:
        """Cut the grant (or, before approval, the request) of ``i`` to ``grant_factor`` in
        whole portions; False if nothing is left."""
        tr, inv, now = self.trace, self.inventory, self.env.now
        f, mp = rule.grant_factor, inv.min_portion
        approved = tr.granted[i].sum() > 0
        had = tr.granted[i] if approved else self.asked[i]
        new = np.minimum(np.floor(had * f / mp + 1e-9) * mp, had)
        if new.sum() <= 0:
            return False
        cut = had - new
        if approved:
            tr.granted[i] = new
            inv.take_back(now, cut)
            detail = f"grant cut to {f:g}: {new.sum():g} g kept"
            tr.event(i, now, "condition", rule.name, detail, float(cut.sum()))
            self.release(i, cut)
        else:
            self.asked[i] = new
            detail = f"request cut to {f:g}: asks for {new.sum():g} g"
            tr.event(i, now, "condition", rule.name, detail, float(cut.sum()))
        return True

    def serve(self, i: int) -> Iterator[simpy.Event]:
        """Serve the extra delay proposal ``i`` owes (if any), up to the horizon."""
        owed = self.owed.pop(i, None)
        if owed is None:
            return
        name, days = owed
        env, tr = self.env, self.trace
        wait = min(days, self.horizon - env.now)
        tr.condition_delay[i] += wait
        tr.event(i, env.now, "condition", name, f"extra delay: waits {days:.4f} d")
        if env.now + days >= self.horizon:
            tr.pending_reason[i] = f"horizon reached during the extra delay of rule {name}"
        yield env.timeout(wait)

    # -- grants freed after approval -------------------------------------------------
    def release(self, i: int, grams: np.ndarray) -> None:
        """Grams of ``i``'s grant went back to stock: its call's waiting list may get them."""
        wl = self.desks[self.call_of[i]].waitlist
        if wl is not None:
            wl.release(grams)

    def settled(self, i: int) -> None:
        """Approved proposal ``i`` shipped or ended: it can free no more grams."""
        wl = self.desks[self.call_of[i]].waitlist
        if wl is not None:
            wl.settled()
