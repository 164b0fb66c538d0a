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
import math
from collections.abc import Callable, Iterator

import numpy as np
import simpy

from samplesim.model.arrivals import draw_keyed, draw_proposals
from samplesim.model.consequences import Consequences
from samplesim.model.constants import constants
from samplesim.model.decisions import WAITLISTED, CallDesk
from samplesim.model.gates import RuleBook
from samplesim.model.grades import grade_map, on_scale, reported
from samplesim.model.inventory import Inventory
from samplesim.model.record import InventoryRecord, ReviewRecord, RunRecord
from samplesim.model.reviewer_traits import draw_traits, review_se, subjects
from samplesim.model.reviewers import Reviews
from samplesim.model.routes import feasibility_desk, perceived_merit, review_panels
from samplesim.model.sources import reviewer_source, source_reliability
from samplesim.model.trace import Trace
from samplesim.policies import POLICIES
from samplesim.rng import Streams, name_key
from samplesim.rules import RuleDecision
from samplesim.scenario.schema import Call, Rule, Scenario
from samplesim.stages import STAGE_NAMES

__all__ = ["MAX_INVITATIONS", "World", "run_world"]

#: Invitations per review slot at most: the last one is accepted (0.9^63 < 0.2 %).
MAX_INVITATIONS = 64


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
        self.trace = Trace(n, len(sc.inventory))
        self.grades = grade_map(sc.review)  # None: scores stay on the latent scale
        self.inventory = Inventory(
            sc.sample_types,
            [s.grams for s in sc.inventory],
            [s.min_portion_g for s in sc.inventory],
        )
        self._draw_stage_randomness()
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
        counts = np.bincount(p.call[~self.rulebook.deterred], minlength=len(sc.calls))
        al = sc.allocation
        policy = POLICIES[al.policy]
        self.asked = p.requested.copy()  # what the desks allocate against (conditions cut it)
        self.desks = [
            CallDesk(
                self.env,
                ci,
                c,
                int(counts[ci]),
                trace=self.trace,
                inventory=self.inventory,
                policy=policy,
                alloc_rng=streams.named("allocation", c.name),
                decision_rng=streams.named("decision", c.name),
                horizon=self.horizon,
                shortlist=on_scale(self.grades, rv.shortlist),
                panel=sc.panel,
                allocation=on_scale(self.grades, const.call_allocation[ci]),
                panel_score=self.panel_score,
                requested=self.asked,
                country=self.country_of,
                types=const.call_types[ci],
                reallocation=c.reallocation or al.reallocation,
                waitlist_rng=self._waitlist_rng(c),
                review_se=self.review_se,
                tiebreak=self.tiebreak,
                discussion=self.discussion,
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
        if (call.reallocation or self.sc.allocation.reallocation) != "waiting_list":
            return None
        return self.streams.get("allocation", name_key(call.name), name_key("waiting_list"))

    def _draw_stage_randomness(self) -> None:
        # Each attribute from its proposal's entity stream (call, institution, ordinal): block
        # (stage stream, attribute number); see samplesim.rng.EntityStream.
        sc, n, s, p = self.sc, self.n, self.streams, self.props

        def keyed(stream: str, attribute: int, sample: Callable) -> np.ndarray:
            return draw_keyed(p, s, stream, attribute, sample)

        scr = sc.screening
        q = scr.incomplete_probability  # a uniform in [0, 1) is never below 0: no draw then
        self.incomplete = (
            keyed("screening", 0, lambda r, m: r.random(m)) < q if q > 0 else np.zeros(n, bool)
        )
        screen_delay = keyed("screening", 1, scr.delay.sample)
        rv = sc.review
        k = rv.reviews_per_proposal
        rho = source_reliability(rv)
        noise = keyed("review", 0, lambda r, m: r.standard_normal((m, k))).reshape(n, k)
        self.review_noise = noise  # with reviewer traits, a score is set when it is assigned
        self.seen_merit = perceived_merit(sc, p, self.applicants)  # merit + identity bias
        self.review_scores = math.sqrt(rho) * self.seen_merit[:, None] + math.sqrt(1 - rho) * noise
        gm = self.grades
        if gm is not None:  # reported on the grade scale; ranked on its internal equivalent
            self.review_scores = gm.graded(self.review_scores)
        durations = keyed("review", 1, lambda r, m: rv.duration.sample(r, m * k).reshape(m, k))
        # Declined invitations: one draw per proposal, review slot and invitation (at most
        # MAX_INVITATIONS; the last is always accepted).
        p_decline = rv.decline_probability
        self.declines = None
        if p_decline > 0:
            shape = (k, MAX_INVITATIONS)
            self.declines = keyed("review", 3, lambda r, m: r.random((m, *shape)) < p_decline)
            self.declines[:, :, -1] = False
        self.review_durations = durations.reshape(n, k).tolist()
        self.review_mean = self.review_scores.mean(axis=1).tolist()
        self.review_se = review_se(self.review_scores, rho)
        rp = sc.panel.reliability
        self.panel_score = math.sqrt(rp) * p.merit + math.sqrt(1 - rp) * keyed(
            "panel", 0, lambda r, m: r.standard_normal(m)
        )
        if gm is not None:
            self.panel_score = gm.graded(self.panel_score)
        # Discussion moves a discussed proposal's review mean (calibrated: discussion.py).
        sd = sc.panel.discussion_sd
        self.discussion = (
            (sd * keyed("panel", 1, lambda r, m: r.standard_normal(m))).tolist()
            if sd > 0
            else [0.0] * n
        )
        # Ties in score are broken by submission order or by a draw keyed per proposal.
        if rv.ties == "random":
            self.tiebreak = keyed("review", 2, lambda r, m: r.random(m)).tolist()
        else:
            self.tiebreak = [float(i) for i in range(n)]
        lg = sc.logistics
        agreement = keyed("logistics", 0, lg.agreement_delay.sample)
        # The shipping delay of a lead country with its own distribution comes from it.
        ship = keyed("logistics", 1, lg.shipping_delay.sample).astype(float)
        for country, dist in lg.shipping_by_country.items():
            mask = np.array([c == country for c in self.country_of], dtype=bool)
            if mask.any():
                alt = draw_keyed(p, s, "logistics", 1, dist.sample, extra=name_key(country),
                                 rows=mask)  # fmt: skip
                ship = np.where(mask, alt, ship)
        # Per-proposal scalars as plain lists: indexing a list is much cheaper than numpy.
        self.ship_delay = ship.tolist()
        self.loan_days = keyed("logistics", 2, lg.loan_days.sample).tolist()
        self.agreement_delay = agreement.tolist()
        self.screen_delay = screen_delay.tolist()

    # -- the proposal's path ------------------------------------------------------------
    def _arrivals(self) -> Iterator[simpy.Event]:
        env, sub = self.env, self.props.submit.tolist()
        application, deterred = self.rulebook.application, self.rulebook.deterred
        for i in range(self.n):
            t = sub[i]
            if t > env.now:
                yield env.timeout(t - env.now)
            for r, dec in application[i]:
                self._record_rule(i, "application", self.sc.rules[r], dec)
            if deterred[i]:  # never applied: no stage, no process (the last rule deterred it)
                r, dec = application[i][-1]
                self.trace.finish(i, env.now, "deterred", f"{self.sc.rules[r].name}: {dec.detail}")
                continue
            env.process(self._proposal(i))

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
        mirror = f" (reciprocal to {rule.reciprocal_to})" if rule.reciprocal_to else ""
        tr.event(i, self.env.now, "rule", rule.name, f"{gate}: {dec.outcome}: {dec.detail}{mirror}")
        tr.rule_decision(rule.name, dec.outcome, dec.delay)

    def _on_condition(self, i: int, rule: Rule, dec: RuleDecision) -> str | None:
        """Record ``rule``'s condition on proposal ``i`` and apply its consequences
        (:mod:`samplesim.model.consequences`); returns why the team withdrew, or None."""
        tr = self.trace
        tr.conditions[i] = "; ".join(filter(None, [tr.conditions[i], dec.detail]))
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
        yield env.timeout(self.loan_days[i])
        grams = tr.granted[i]
        if self.props.destructive[i]:
            self.inventory.consume(env.now, grams)
            tr.event(i, env.now, "consumed", "loan", "destructive analysis", float(grams.sum()))
        else:
            self.inventory.take_back(env.now, grams)
        tr.stamp(i, "returned", env.now)

    # -- run --------------------------------------------------------------------------
    def run(self) -> RunRecord:
        """Run to the horizon (once); proposals still in the workflow end as ``pending``."""
        self.env.process(self._arrivals())
        with _gc_paused():
            self.env.run(until=self.horizon)
        # simpy numbers every scheduled event; the counter's next value is how many there were.
        self.n_events = next(self.env._eid)
        tr = self.trace
        for i in range(self.n):
            if tr.state[i] != "pending":
                continue
            if i in self.waiting:  # the horizon cut a rule wait short: count what elapsed
                name, gate, start = self.waiting[i]
                tr.rule_delay[i] += self.horizon - start
                why = f"horizon reached while waiting on rule {name} ({gate})"
                tr.finish(i, self.horizon, "pending", why)
            else:  # never reached a terminal state
                tr.finish(i, self.horizon, "pending", tr.pending_reason[i] or "horizon reached")
        return self._record()

    def _record(self) -> RunRecord:
        """Freeze the trace and the run's inputs into numpy columns (once, after the run)."""
        tr, p, n, inv = self.trace, self.props, self.n, self.inventory
        days = np.asarray([tr.days[s] for s in STAGE_NAMES], dtype=float)  # one conversion
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
            log=inv.log,
        )
        return RunRecord(
            scenario=self.sc,
            seed=self.seed,
            replication=self.replication,
            n=n,
            proposal=np.arange(n, dtype=np.int64),
            attempt=np.zeros(n, dtype=np.int64),
            call=p.call,
            applicant=p.applicant,
            country=np.asarray(self.country_of, dtype=object),
            merit=p.merit,
            requested=p.requested,
            destructive=p.destructive,
            team_countries=tuple(p.team_countries),
            days=dict(zip(STAGE_NAMES, days, strict=True)),
            state=np.asarray(tr.state, dtype=object),
            reason=np.asarray(tr.reason, dtype=object),
            conditions=np.asarray(tr.conditions, dtype=object),
            review_score=reported(self.grades, tr.review_score),
            final_score=reported(self.grades, tr.final_score),
            review_wait=tr.review_wait,
            rule_delay=tr.rule_delay,
            awarded=tr.awarded,
            granted=tr.granted,
            reviews=reviews,
            events=tr.log,
            inventory=inventory,
            rule_stats=tr.rule_stats,
            rule_shared=self.rulebook.resolutions(),
            applicants=tuple(self.applicants),
            applicant_countries=tuple(sorted({a.country for a in self.applicants})),
            n_events=self.n_events,
            condition_delay=tr.condition_delay,
            from_waiting_list=tr.from_waiting_list,
            rule_withdrew=tr.rule_withdrew,
            invitations=tr.invitations,
            declines=tr.declines,
            late_reviews=tr.late_reviews,
            unassigned_reviews=tr.unassigned_reviews,
            feasible=self.feasibility.feasible_request(p.requested),
        )
