"""The rule book of one run: which proposals each legal/export rule selects, when it is in
force, its pre-drawn randomness by scope, and the shared outcomes of call- and run-scoped rules.

No simpy here: :class:`~samplesim.model.world.World` asks :meth:`RuleBook.in_force` which
rules of a gate apply to a proposal now and :meth:`RuleBook.decide` what one of them does
(the wait and the decision); it sleeps and records. Deterrence (the ``application`` gate) is
decided up front from the submission days: :attr:`RuleBook.application` and
:attr:`RuleBook.deterred`.

Randomness, from each rule's own streams (removing a rule leaves the others' draws alone):

- ``scope = "proposal"``: one draw (u, delay, fallback_delay) per proposal, each from its own
  block of the proposal's entity stream keyed by the rule's name (``EntityStream.block("rules",
  0/1/2, name_key(rule))``): one rule's draws never depend on another's, nor on other
  institutions' proposals;
- ``"call"``: one draw per call, from the stream ``("rules", rule, call)``;
- ``"run"``: one draw per run, from ``("rules", rule)``.

A shared (call or run) draw is one negotiation: it starts on the rule's ``from`` day (day 0 if
unset) and resolves ``delay`` later (its decision's delay, fallback included). A proposal
reaching the gate before the resolution waits until it; one reaching it after passes at once;
all get the same outcome (per destination for a licence with ``by_country``).
"""

from __future__ import annotations

import math
from collections.abc import MutableSequence, Sequence

import numpy as np

from samplesim.model.arrivals import Applicant, ProposalTable, draw_keyed
from samplesim.model.constants import constants
from samplesim.model.memo import per_scenario
from samplesim.model.typed import floats
from samplesim.rng import Streams, name_key
from samplesim.rules import EFFECTS, RuleDecision, RuleDraw
from samplesim.scenario.schema import Rule, Scenario
from samplesim.stages import GATES

__all__ = ["RuleBook", "Shared"]

#: A rule's draws (uniform, delay, fallback delay), per proposal, per call or one for the run.
Draws = tuple[MutableSequence[float], MutableSequence[float], MutableSequence[float]]
#: One shared resolution of a rule: (who shares it: call name or "run", with the destination
#: for a licence with ``by_country``), outcome, resolution day.
Shared = tuple[str, str, float]


def _draw(rule: Rule, rng: np.random.Generator, k: int) -> Draws:
    u = rng.random(k)
    delay = rule.delay.sample(rng, k) if rule.delay is not None else np.zeros(k)
    fb = rule.fallback_delay.sample(rng, k) if rule.fallback_delay else np.zeros(k)
    return floats(u), floats(delay), floats(fb)


def _proposal_draws(
    rule: Rule, p: ProposalTable, streams: Streams, chosen: list[int] | None = None
) -> Draws:
    """``rule``'s draws for every proposal of ``p``: from its entity's blocks, keyed by the
    rule's name (attributes 0-2). ``chosen``: the proposals the rule selects (the only draws
    ever read; entities without any draw nothing, the others' values are unchanged)."""
    x, n = name_key(rule.name), len(p)
    u = draw_keyed(p, streams, "rules", 0, lambda r, m: r.random(m), extra=x, needed=chosen)
    dl, fb = rule.delay, rule.fallback_delay
    d = draw_keyed(p, streams, "rules", 1, dl.sample, extra=x, needed=chosen) if dl else np.zeros(n)
    f = draw_keyed(p, streams, "rules", 2, fb.sample, extra=x, needed=chosen) if fb else np.zeros(n)
    return floats(u), floats(d), floats(f)


@per_scenario
def _base_names(sc: Scenario) -> dict[str, str]:
    """Numbered copies' names (``Name #2``) -> the institution's name in the file (once per
    scenario)."""
    return {
        f"{inst.name} #{k + 1}": inst.name
        for inst in sc.institutions
        if inst.count > 1
        for k in range(inst.count)
    }


_MAX_SEEN = 100_000  # institution checks remembered per scenario at most


@per_scenario
def _institution_hits(sc: Scenario) -> dict[tuple[frozenset[str], frozenset[str]], bool]:
    """(a selector's ``institutions``, a team's institutions) -> whether they match (filled as
    teams occur; a numbered copy counts as its institution: ``_base_names``)."""
    return {}


def selects(
    rule: Rule, sc: Scenario, p: ProposalTable, apps: Sequence[Applicant], country_of: list[str]
) -> np.ndarray:
    """Which proposals ``rule``'s selector matches (all given keys; each list: any value)."""
    sel, n = rule.selector, len(p)
    mask = np.ones(n, dtype=bool)
    if sel.countries:
        mask &= np.array([c in sel.countries for c in country_of], dtype=bool)
    if sel.kinds:
        mask &= np.array([apps[a].kind in sel.kinds for a in p.applicant], dtype=bool)
    if sel.funders:
        want = set(sel.funders)
        mask &= np.array([bool(want & set(apps[a].funders)) for a in p.applicant], dtype=bool)
    for key, col in (
        ("partner_countries", p.partner_countries),
        ("any_member_countries", p.team_countries),
        ("any_member_funders", p.team_funders),
    ):
        want = set(getattr(sel, key))
        if want:
            mask &= np.array([bool(want & x) for x in col], dtype=bool)
    if sel.institutions:
        want, base, seen = frozenset(sel.institutions), _base_names(sc), _institution_hits(sc)
        hits = []
        for x in p.team_institutions:  # few distinct teams (shared sets): each checked once
            hit = seen.get((want, x))
            if hit is None:
                hit = bool(want & (x | {base[m] for m in x if m in base}))
                if len(seen) < _MAX_SEEN:
                    seen[(want, x)] = hit
            hits.append(hit)
        mask &= np.array(hits, dtype=bool)
    if sel.sample_types:
        cols = [sc.sample_types.index(t) for t in sel.sample_types]
        mask &= (p.requested[:, cols] > 0).any(axis=1)
    if sel.controlled_items is not None:
        cols = [t for t, s in enumerate(sc.inventory) if s.export_controlled]
        asks = (p.requested[:, cols] > 0).any(axis=1) if cols else np.zeros(n, dtype=bool)
        mask &= asks if sel.controlled_items else ~asks
    return mask


class RuleBook:
    """Every rule of one run, compiled: selections, windows, draws and shared outcomes."""

    def __init__(
        self,
        sc: Scenario,
        p: ProposalTable,
        apps: Sequence[Applicant],
        country_of: list[str],
        streams: Streams,
    ) -> None:
        n = len(p)
        self.sc, self.apps, self.streams = sc, apps, streams
        self.rules = sc.rules
        self.country_of = country_of
        self.call = p.call.tolist()
        self.calls = [c.name for c in sc.calls]
        self.props = p
        #: gate -> per proposal: indices of the rules of that gate selecting it (equal tuples
        #: shared: most proposals have the same few).
        self.applicable: dict[str, list[tuple[int, ...]]] = {g: [()] * n for g in GATES}
        self._tuples: dict[tuple[int, ...], tuple[int, ...]] = {}
        self.draws: list[Draws] = []
        #: per rule: (call index or 0, destination) -> (decision, resolution day).
        self.shared: list[dict[tuple[int, str], tuple[RuleDecision, float]]] = []
        const = constants(sc)
        self.window = list(const.rule_windows)  # a reciprocal rule: its mirror's
        for r, rule in enumerate(sc.rules):
            self.shared.append({})
            mask = selects(rule, sc, p, apps, country_of)
            if n:
                mask &= const.rule_calls[r][p.call]  # its agency's calls only
            chosen = np.flatnonzero(mask).tolist()
            # A rule that selects nobody is never decided: its own streams are left undrawn
            # (no other rule's draws depend on them).
            self.draws.append(self._draw(rule, streams, chosen) if chosen else ([], [], []))
            lists = self.applicable[rule.gate]
            for i in chosen:
                lists[i] = self._with(lists[i], r)
        #: Per proposal: the application-gate decisions taken at its submission, in order
        #: (the last one blocks if it was deterred).
        self.application: list[list[tuple[int, RuleDecision]] | tuple] = [()] * n
        self.deterred = np.zeros(n, dtype=bool)
        if not any(rule.gate == "application" for rule in sc.rules):
            return
        submit = p.submit.tolist()
        for i in range(n):
            self._apply(i, submit[i])

    def _apply(self, i: int, day: float) -> None:
        """Take proposal ``i``'s application-gate decisions as of its submission ``day``."""
        taken = []
        for r in self.in_force("application", i, day):
            _wait, dec = self.decide(r, i, day)
            taken.append((r, dec))
            if dec.outcome == "block":
                self.deterred[i] = True
                break
        if taken:
            self.application[i] = taken

    def _with(self, rules: tuple[int, ...], r: int) -> tuple[int, ...]:
        """``rules`` and ``r``, as the one shared tuple of those rules."""
        t = (*rules, r)
        return self._tuples.setdefault(t, t)

    # -- rows added during the run (resubmissions: model/resubmission.py) --------------
    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` rows after the first attempts (filled by :meth:`add_row`)."""
        for lists in self.applicable.values():
            lists.extend([()] * extra)
        n = len(self.call) + extra
        for r, rule in enumerate(self.rules):
            if rule.scope == "proposal":
                u, d, f = self.draws[r]
                for col in (u, d, f):
                    col.extend([0.0] * (n - len(col)))
        self.call.extend([0] * extra)
        self.application.extend([()] * extra)
        self.deterred = np.concatenate([self.deterred, np.zeros(extra, dtype=bool)])

    def add_row(self, j: int, q: ProposalTable, country: str) -> None:
        """Compile the rules for row ``j``, the one proposal of ``q`` (its own entity draws),
        and take its application-gate decisions as of its submission day."""
        const = constants(self.sc)
        self.call[j] = int(q.call[0])
        for r, rule in enumerate(self.rules):
            chosen = selects(rule, self.sc, q, self.apps, [country]) & const.rule_calls[r][q.call]
            if not chosen[0]:
                continue
            lists = self.applicable[rule.gate]
            lists[j] = self._with(lists[j], r)
            if rule.scope == "proposal":
                for col, got in zip(self.draws[r], _proposal_draws(rule, q, self.streams),
                                    strict=True):  # fmt: skip
                    col[j] = got[0]
        if any(rule.gate == "application" for rule in self.rules):
            self._apply(j, float(q.submit[0]))

    def _draw(self, rule: Rule, streams: Streams, chosen: list[int]) -> Draws:
        """``rule``'s draws by its scope: per proposal (read for ``chosen`` only), per call
        or one for the run."""
        if rule.scope == "call":
            per = [
                _draw(rule, streams.get("rules", name_key(rule.name), name_key(c)), 1)
                for c in self.calls
            ]
            us, ds, fs = ([x[j][0] for x in per] for j in range(3))
            return us, ds, fs
        if rule.scope == "run":
            return _draw(rule, streams.named("rules", rule.name), 1)
        return _proposal_draws(rule, self.props, streams, chosen)

    def in_force(self, gate: str, i: int, now: float) -> list[int]:
        """The rules of ``gate`` that select proposal ``i`` and are in force on day ``now``."""
        win = self.window
        return [r for r in self.applicable[gate][i] if win[r][0] <= now < win[r][1]]

    def decide(self, r: int, i: int, now: float) -> tuple[float, RuleDecision]:
        """What rule ``r`` does to proposal ``i`` reaching its gate on day ``now``: the
        wait (days) and the decision (whose ``delay`` is that wait)."""
        rule, country = self.rules[r], self.country_of[i]
        u, d, f = self.draws[r]
        effect = EFFECTS[rule.effect]
        if rule.scope == "proposal":
            dec = effect.decide(rule, country, RuleDraw(u[i], d[i], f[i]))
            return dec.delay, dec
        k = self.call[i] if rule.scope == "call" else 0
        key = (k, country if rule.by_country else "")
        got = self.shared[r].get(key)
        if got is None:
            dec = effect.decide(rule, country, RuleDraw(u[k], d[k], f[k]))
            lo = self.window[r][0]
            start = lo if math.isfinite(lo) else 0.0
            got = self.shared[r][key] = (dec, start + dec.delay)
        dec, resolved = got
        wait = max(0.0, resolved - now)
        who = f"call {self.calls[k]}" if rule.scope == "call" else "run"
        detail = f"{dec.detail} (shared by the {who}, resolved on day {resolved:g})"
        return wait, RuleDecision(dec.outcome, wait, detail)

    def resolutions(self) -> dict[str, tuple[Shared, ...]]:
        """Rule name -> the shared outcomes that applied (call- and run-scoped rules)."""
        out: dict[str, tuple[Shared, ...]] = {}
        for r, rule in enumerate(self.rules):
            rows = []
            for (k, country), (dec, day) in sorted(self.shared[r].items()):
                who = self.calls[k] if rule.scope == "call" else "run"
                rows.append((f"{who} {country}".strip(), dec.outcome, day))
            if rows:
                out[rule.name] = tuple(rows)
        return out
