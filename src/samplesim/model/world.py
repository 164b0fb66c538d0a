"""The world: wires arrivals, screening, rules, review, decisions and logistics into one
simpy run of one scenario with one seed.

Build -> run -> collect: :class:`World` draws everything random up front (each stage from its
own named stream), runs the simpy environment to the horizon while the processes write a
columnar :class:`~samplesim.model.trace.Trace`, and returns a frozen
:class:`~samplesim.model.record.RunRecord`. It knows nothing of files, plots or executors.
Outside :mod:`samplesim.model` use :func:`samplesim.model.run_world`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from functools import partial

import numpy as np
import simpy

from samplesim.model.arrivals import draw_proposals
from samplesim.model.consequences import Consequences
from samplesim.model.constants import constants
from samplesim.model.decisions import WAITLISTED, CallDesk
from samplesim.model.driver import start
from samplesim.model.gates import RuleBook
from samplesim.model.grades import grade_map, on_scale, reported
from samplesim.model.intent import intent_step, schedule
from samplesim.model.inventory import Inventory, renewals
from samplesim.model.ledger import ledger_for
from samplesim.model.per_call import setting, settings
from samplesim.model.record import InventoryRecord, ReviewRecord, RunRecord
from samplesim.model.resubmission import Resubmissions, capacity
from samplesim.model.reviewer_traits import draw_traits, subjects
from samplesim.model.reviewers import Reviews
from samplesim.model.routes import feasibility_desk, review_panels
from samplesim.model.sources import reviewer_source
from samplesim.model.stage_draws import MAX_INVITATIONS, draw_stages
from samplesim.model.trace import Trace
from samplesim.policies import POLICIES
from samplesim.rng import Streams, name_key
from samplesim.rules import RuleDecision
from samplesim.scenario.schema import Call, Rule, Scenario
from samplesim.stages import STAGE_NAMES

__all__ = ["MAX_INVITATIONS", "World", "run_world"]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: with ~10^5 live generators and event objects its
    generational passes cost more than the simulation (DESIGN.md "Scale"). Reference
    counting still frees everything acyclic; cycles are collected when it resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_world(
    sc: Scenario, seed: int, replication: int = 0, redraw: tuple[str, ...] = ()
) -> RunRecord:
    """Run replication ``replication`` of ``sc`` with root ``seed``; its frozen record.
    ``redraw``: stages (``review``, ``panel``) drawn afresh, everything else unchanged.

    The garbage collector stays paused until the world is unreachable, so its first pass
    frees the run's generators and events instead of promoting them to an older generation.
    """
    with _gc_paused():
        return World(sc, seed, replication, redraw).run()


class World:
    """One replication of a scenario."""

    def __init__(
        self, sc: Scenario, seed: int, replication: int = 0, redraw: tuple[str, ...] = ()
    ) -> None:
        with _gc_paused():
            self._build(sc, seed, replication, redraw)

    def _build(self, sc: Scenario, seed: int, replication: int, redraw: tuple[str, ...]) -> None:
        self.sc = sc
        self.seed = seed
        self.replication = replication
        self.horizon = sc.horizon_days
        self.env = simpy.Environment()
        self.streams = streams = Streams(seed, replication, redraw)
        const = constants(sc)
        self.applicants = list(const.applicants)
        self.props = p = draw_proposals(sc, self.applicants, streams)
        n = len(p)
        self.n = n
        apps = self.applicants
        self.country_of = [apps[a].country for a in p.applicant]
        self.trace = Trace(capacity(self), len(sc.inventory))  # rows for every attempt
        self._affixes: dict[tuple[str, str, str], tuple[str, str]] = {}  # see _affix
        self.grades = grade_map(sc.review)  # None: scores stay on the latent scale
        #: Each call's review, panel and logistics settings (its own or the scenario's).
        self.call_review = settings(sc, "review")
        self.call_panel = settings(sc, "panel")
        self.inventory = Inventory(
            sc.sample_types,
            [s.grams for s in sc.inventory],
            [s.min_portion_g for s in sc.inventory],
            renewals(sc),
        )
        draw_stages(self)
        self.rulebook = RuleBook(sc, p, self.applicants, self.country_of, streams)
        self.applicable = self.rulebook.applicable
        rv = sc.review
        self.pool, self.conflicted = reviewer_source(sc, p, self.country_of)
        self.panels = review_panels(self)  # None without [[review.panels]]
        #: Reviewers who differ (None: all alike, scores drawn up front as before).
        self.traits = draw_traits(rv, len(self.pool.country_of), len(sc.sample_types), streams)
        self.subject = subjects(p.requested)
        # proposal -> (rule, gate, start day) of the rule wait it is in now
        self.waiting: dict[int, tuple[str, str, float]] = {}
        # Deterred applications never reach a call's desk.
        went_on = ~self.rulebook.deterred & (p.fate == "")  # intents not followed up: no desk
        counts = np.bincount(p.call[went_on], minlength=len(sc.calls))
        #: Declined proposals that come back (None without [resubmission]): its reserved
        #: rows are added to every per-row structure before the desks are built on them.
        self.resubmit = Resubmissions(self) if sc.resubmission.enabled else None
        if self.resubmit is not None:
            self.resubmit.reserve()
        ledger = ledger_for([POLICIES[a.policy] for a in const.call_allocation])
        self.asked = p.requested.copy()  # what the desks allocate against (conditions cut it)
        self.desks = [
            CallDesk(
                self.env,
                ci,
                c,
                int(counts[ci]),
                trace=self.trace,
                inventory=self.inventory,
                policy=POLICIES[const.call_allocation[ci].policy],
                alloc_rng=streams.named("allocation", c.name),
                decision_rng=streams.named("decision", c.name),
                horizon=self.horizon,
                shortlist=on_scale(self.grades, self.call_review[ci].shortlist),
                panel=self.call_panel[ci],
                allocation=on_scale(self.grades, const.call_allocation[ci]),
                panel_score=self.panel_score,
                requested=self.asked,
                country=self.country_of,
                types=const.call_types[ci],
                reallocation=c.reallocation or const.call_allocation[ci].reallocation,
                waitlist_rng=self._waitlist_rng(c),
                review_se=self.review_se,
                tiebreak=self.tiebreak,
                discussion=self.discussion,
                submit=p.submit,
                ledger=ledger,
            )
            for ci, c in enumerate(sc.calls)
        ]
        for ci, desk in enumerate(self.desks):
            bar = const.call_allocation[ci].score_bar
            desk.bar_label = "" if bar is None else f"{bar:g}"
            desk.normalise = None if self.panels is None else self.panels.normaliser()
        self.feasibility = feasibility_desk(self.env, sc, p, streams)  # off: passes everyone
        self.consequences = Consequences(
            self.env, self.trace, self.inventory, sc.rules, streams, p, self.desks, p.call,
            self.asked, self.horizon,
        )  # fmt: skip

    # -- set-up -----------------------------------------------------------------------
    def _waitlist_rng(self, call: Call) -> np.random.Generator | None:
        """The stream of ``call``'s waiting-list offers; None (never built) without a list."""
        if (call.reallocation or setting(self.sc, call, "allocation").reallocation) != (
            "waiting_list"
        ):
            return None
        return self.streams.get("allocation", name_key(call.name), name_key("waiting_list"))

    # -- the proposal's path ------------------------------------------------------------
    def _arrivals(self) -> Iterator[simpy.Event]:
        env, p, n = self.env, self.props, self.n  # first attempts (resubmissions: arrive)
        for t, kind, i in schedule(p.submit[:n], p.intent[:n]):
            if t > env.now:
                yield env.timeout(t - env.now)
            if kind == 0 or p.fate[i]:  # a notice of intent, or how it ended (model/intent.py)
                intent_step(self.trace, i, kind, env.now, p.fate[i])
                continue
            self.arrive(i)

    def arrive(self, i: int) -> None:
        """Full proposal ``i`` arrives now: its application-gate decisions, then its path."""
        application, deterred = self.rulebook.application, self.rulebook.deterred
        for r, dec in application[i]:
            self._record_rule(i, "application", self.sc.rules[r], dec)
        if deterred[i]:  # never applied: no stage, no process (the last rule deterred it)
            r, dec = application[i][-1]
            self.trace.finish(i, self.env.now, "deterred", f"{self.sc.rules[r].name}: {dec.detail}")
            return
        start(self.env, self._proposal(i))  # as env.process, without the Process event

    def _ended(self, i: int) -> None:
        """Row ``i`` took its terminal state: it may come back (``[resubmission]``)."""
        if self.resubmit is not None:
            self.resubmit.ended(i)

    def _gate(self, i: int, gate: str) -> Iterator[simpy.Event]:
        """Apply every rule of ``gate`` that selects proposal ``i`` and is in force now (see
        :mod:`samplesim.model.gates`); returns a block reason."""
        env, tr, book = self.env, self.trace, self.rulebook
        for r in book.in_force(gate, i, env.now):
            rule = self.sc.rules[r]
            wait, dec = book.decide(r, i, env.now)
            if wait > 0:
                tr.event(i, env.now, "rule_wait", rule.name, f"{gate}: waits {wait:.1f} d")
                # Counted once served; run() settles a wait the horizon cuts short.
                self.waiting[i] = (rule.name, gate, env.now)
                yield env.timeout(wait)
                del self.waiting[i]
                tr.rule_delay[i] += wait
            self._record_rule(i, gate, rule, dec)
            if dec.outcome == "condition":
                why = self._on_condition(i, rule, dec)
                if why:
                    return why
                yield from self.consequences.serve(i)  # a condition's extra_delay
            elif dec.outcome == "block":
                return f"{rule.name}: {dec.detail}"
        return ""

    def _record_rule(self, i: int, gate: str, rule: Rule, dec: RuleDecision) -> None:
        tr = self.trace
        tr.event(i, self.env.now, "rule", rule.name, dec.detail, affix=self._affix(gate, rule, dec))
        tr.rule_decision(rule.name, dec.outcome, dec.delay)

    def _affix(self, gate: str, rule: Rule, dec: RuleDecision) -> tuple[str, str]:
        """What a rule event's detail says around ``dec.detail`` (formatted once a kind)."""
        key = (gate, rule.reciprocal_to, dec.outcome)
        got = self._affixes.get(key)
        if got is None:
            mirror = f" (reciprocal to {rule.reciprocal_to})" if rule.reciprocal_to else ""
            got = self._affixes[key] = (f"{gate}: {dec.outcome}: ", mirror)
        return got

    def _on_condition(self, i: int, rule: Rule, dec: RuleDecision) -> str | None:
        """Record ``rule``'s condition on proposal ``i`` and apply its consequences
        (:mod:`samplesim.model.consequences`); returns why the team withdrew, or None."""
        tr = self.trace
        tr.conditions[i] = tr.text("; ".join(filter(None, [tr.conditions[i], dec.detail])))
        return self.consequences.on_condition(i, rule)

    def _review(self, i: int, exclude: str) -> simpy.Event:
        """Start the proposal's independent reviews; the event fires when all are done."""
        return Reviews(self, i, exclude).done

    def _proposal(self, i: int) -> Iterator[simpy.Event]:
        env, tr, _sc = self.env, self.trace, self.sc
        desk = self.desks[self.props.call[i]]
        call = desk.call
        app = self.applicants[self.props.applicant[i]]
        tr.stamp(i, "submitted", env.now)
        yield env.timeout(self.screen_delay[i])
        tr.stamp(i, "screened", env.now)
        if self.incomplete[i]:
            tr.finish(i, env.now, "incomplete", "screening: incomplete application")
            desk.drop()
            self._ended(i)
            return
        if (call.eligible_countries and app.country not in call.eligible_countries) or (
            call.eligible_kinds and app.kind not in call.eligible_kinds
        ):
            tr.finish(i, env.now, "ineligible", f"screening: not eligible for {call.name}")
            desk.drop()
            return
        if self.applicable["screening"][i]:
            why = yield from self._gate(i, "screening")
            if why:
                tr.finish(i, env.now, self.consequences.state(i), why)
                desk.drop()
                return
        tr.stamp(i, "cleared", env.now)
        if not (yield from self.feasibility.route(i, self.asked, tr, desk)):
            self._ended(i)  # infeasible
            return
        yield self._review(i, app.country)
        tr.review_score[i] = self.review_mean[i]
        tr.stamp(i, "reviewed", env.now)
        decisions = yield desk.reviewed(i)
        ended = decisions.get(i)
        if ended is not None and ended[0] == WAITLISTED:  # decided later: waitlist.py
            ended = yield desk.waitlist.wait(i)
        if ended is not None:  # not shortlisted or declined
            tr.finish(i, env.now, *ended)
            self._ended(i)
            return
        yield from self._logistics(i)

    def _withdraw(self, i: int, why: str) -> None:
        grams = self.trace.granted[i].copy()
        self.inventory.take_back(self.env.now, grams)
        self.trace.event(i, self.env.now, "withdrawn", "grant", why, float(grams.sum()))
        self.trace.granted[i] = 0.0
        self.trace.finish(i, self.env.now, self.consequences.state(i), why)
        self.consequences.release(i, grams)
        self.consequences.settled(i)

    def _logistics(self, i: int) -> Iterator[simpy.Event]:
        env, tr = self.env, self.trace
        if self.applicable["agreement"][i]:
            why = yield from self._gate(i, "agreement")
            if why:
                self._withdraw(i, why)
                return
        yield env.timeout(self.agreement_delay[i])
        tr.stamp(i, "agreement", env.now)
        if self.applicable["shipping"][i]:
            why = yield from self._gate(i, "shipping")
            if why:
                self._withdraw(i, why)
                return
        tr.stamp(i, "shipped", env.now)
        self.consequences.settled(i)
        yield env.timeout(self.ship_delay[i])
        tr.stamp(i, "samples", env.now)
        tr.finish(i, env.now, "delivered", tr.conditions[i])
        # The loan ends by a callback: the proposal's process (its frames) ends now.
        env.timeout(self.loan_days[i]).callbacks.append(partial(self._returned, i))

    def _returned(self, i: int, _e: object = None) -> None:
        """The loan of delivered row ``i`` is over: its grams are consumed or come back."""
        env, tr = self.env, self.trace
        grams = tr.granted[i]
        if self.props.destructive[i]:
            self.inventory.consume(env.now, grams)
            tr.event(i, env.now, "consumed", "loan", "destructive analysis", float(grams.sum()))
        else:
            self.inventory.take_back(env.now, grams)
        tr.stamp(i, "returned", env.now)

    # -- run --------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        """Rows in use: the first attempts, then each resubmission so far."""
        return self.n if self.resubmit is None else self.resubmit.used

    def run(self) -> RunRecord:
        """Run to the horizon (once); proposals still in the workflow end as ``pending``."""
        start(self.env, self._arrivals())  # nobody waits on it: the lean driver
        with _gc_paused():
            self.env.run(until=self.horizon)
        # simpy numbers every scheduled event; the counter's next value is how many there were.
        self.n_events = next(self.env._eid) - self._loans_out()
        tr = self.trace
        for i in range(self.rows):
            if tr.state[i] != "pending":
                continue
            if i in self.waiting:  # the horizon cut a rule wait short: count what elapsed
                name, gate, since = self.waiting[i]
                tr.rule_delay[i] += self.horizon - since
                why = f"horizon reached while waiting on rule {name} ({gate})"
                tr.finish(i, self.horizon, "pending", why)
            else:  # never reached a terminal state
                tr.finish(i, self.horizon, "pending", tr.pending_reason[i] or "horizon reached")
        return self._record()

    def _loans_out(self) -> int:
        """Loans still out at the horizon: a process that waited one out would not have
        ended, so its end event (scheduled at the delivery, see :meth:`_logistics`) is not
        counted in ``n_events``."""
        days = self.trace.days
        out = ~np.isnan(np.frombuffer(days["samples"], dtype=float))
        return int((out & np.isnan(np.frombuffer(days["returned"], dtype=float))).sum())

    def _record(self) -> RunRecord:
        """Freeze the trace and the run's inputs into numpy columns (once, after the run)."""
        tr, p, n, inv = self.trace, self.props, self.rows, self.inventory
        rs = self.resubmit
        # Rows used (lists are converted whole, then sliced: no copy without resubmission).
        cut = slice(None) if rs is None or rs.capacity == n else slice(n)
        # The stage days: views of the trace's arrays (no copy; they outlive the world).
        days = {s: np.frombuffer(tr.days[s], dtype=float)[cut] for s in STAGE_NAMES}
        i = np.asarray(tr.rv_i, dtype=np.int64)
        j = np.asarray(tr.rv_j, dtype=np.int64)
        end = np.asarray(tr.rv_end, dtype=float)
        score = self.review_scores[i, j] if len(i) else np.zeros(0)
        reviews = ReviewRecord(
            row=i,
            review=j,
            reviewer=np.asarray(tr.rv_rid, dtype=np.int64),
            start=np.asarray(tr.rv_start, dtype=float),
            end=end,
            score=np.where(np.isnan(end), np.nan, reported(self.grades, score)),
            reviewer_country=tuple(self.pool.country_of),
        )
        inventory = InventoryRecord(
            names=tuple(inv.names),
            initial=tuple(s.grams for s in self.sc.inventory),
            reserved=inv.reserved.copy(),
            log=inv.snapshots,
            periods=inv.close(self.horizon),
        )
        return RunRecord(
            scenario=self.sc,
            seed=self.seed,
            replication=self.replication,
            n=n,
            proposal=np.arange(n, dtype=np.int64) if rs is None else rs.proposal[cut],
            attempt=np.zeros(n, dtype=np.int64) if rs is None else rs.attempt[cut],
            call=p.call[cut],
            applicant=p.applicant[cut],
            country=np.asarray(self.country_of, dtype=object)[cut],
            merit=p.merit[cut],
            requested=p.requested[cut],
            destructive=p.destructive[cut],
            team_countries=tuple(p.team_countries)[cut],
            days=days,
            state=np.asarray(tr.state, dtype=object)[cut],
            reason=np.asarray(tr.reason, dtype=object)[cut],
            conditions=np.asarray(tr.conditions, dtype=object)[cut],
            review_score=reported(self.grades, tr.review_score[cut]),
            final_score=reported(self.grades, tr.final_score[cut]),
            review_wait=tr.review_wait[cut],
            rule_delay=tr.rule_delay[cut],
            awarded=tr.awarded[cut],
            granted=tr.granted[cut],
            reviews=reviews,
            events=tr.log,
            inventory=inventory,
            rule_stats=tr.rule_stats,
            rule_shared=self.rulebook.resolutions(),
            applicants=tuple(self.applicants),
            applicant_countries=tuple(sorted({a.country for a in self.applicants})),
            n_events=self.n_events,
            condition_delay=tr.condition_delay[cut],
            from_waiting_list=tr.from_waiting_list[cut],
            rule_withdrew=tr.rule_withdrew,
            invitations=np.frombuffer(tr.invitations, dtype=np.int64)[cut],
            declines=tr.declines[cut],
            late_reviews=tr.late_reviews[cut],
            unassigned_reviews=tr.unassigned_reviews[cut],
            feasible=_rows(self.feasibility.feasible_request(p.requested), cut),
        )


def _rows(x: np.ndarray | None, cut: slice) -> np.ndarray | None:
    return None if x is None else x[cut]
