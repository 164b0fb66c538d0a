"""Arrivals: which proposals are submitted, when, and with what attributes.

Everything random about a proposal is drawn here, once, vectorised, from the ``arrivals``
and ``proposals`` streams, before the simulation starts. A policy change therefore cannot
shift the random numbers any other stage consumes (common random numbers).
"""

from __future__ import annotations

import attrs
import numpy as np

from samplesim.model.agencies import applies, types_by_call
from samplesim.rng import Streams
from samplesim.scenario.schema import Institution, Scenario

__all__ = ["Applicant", "ProposalTable", "draw_proposals", "expand_institutions"]


@attrs.frozen
class Applicant:
    """One applying institution (after ``count`` expansion)."""

    name: str
    country: str
    kind: str
    funders: tuple[str, ...]
    propensity: float


def expand_institutions(institutions: list[Institution]) -> list[Applicant]:
    """One :class:`Applicant` per institution copy (``count > 1`` gives ``Name #1``...)."""
    out = []
    for inst in institutions:
        for k in range(inst.count):
            name = inst.name if inst.count == 1 else f"{inst.name} #{k + 1}"
            out.append(
                Applicant(name, inst.country, inst.kind, tuple(inst.funders), inst.propensity)
            )
    return out


@attrs.define
class ProposalTable:
    """All proposals of one run, column by column, ordered by submission time."""

    call: np.ndarray  # int: index into scenario.calls
    submit: np.ndarray  # float day
    applicant: np.ndarray  # int: index into applicants
    merit: np.ndarray  # float, latent merit ~ N(0, 1)
    requested: np.ndarray  # float (n, n_types): grams requested per sample type
    destructive: np.ndarray  # bool
    team_countries: list[frozenset[str]]  # every member's country (lead included)
    partner_countries: list[frozenset[str]]  # co-investigators' countries
    team_funders: list[frozenset[str]]
    team_institutions: list[frozenset[str]]
    n_members: np.ndarray  # int

    def __len__(self) -> int:
        return len(self.submit)


def _arrival_times(
    rng: np.random.Generator, n: int, open_day: float, close_day: float, rush: float
) -> np.ndarray:
    # A Poisson process conditioned on its count is uniform in the window; ``rush`` > 0
    # tilts submissions towards the deadline (Beta(1 + rush, 1)).
    u = rng.random(n) if rush == 0 else rng.beta(1.0 + rush, 1.0, n)
    return open_day + (close_day - open_day) * u


def draw_proposals(sc: Scenario, applicants: list[Applicant], streams: Streams) -> ProposalTable:
    """Draw every proposal of the run: counts, times, merit, requests and teams."""
    calls, subs, apps = [], [], []
    rate = np.array([a.propensity for a in applicants])
    for ci, call in enumerate(sc.calls):
        rng = streams.named("arrivals", call.name)
        eligible_app = np.arange(len(applicants))
        counts = rng.poisson(rate * call.demand * applies(sc, call, len(applicants)))
        n = int(counts.sum())
        times = _arrival_times(rng, n, call.open_day, call.close_day, sc.proposals.deadline_rush)
        calls.append(np.full(n, ci, dtype=np.int64))
        subs.append(times)
        apps.append(np.repeat(eligible_app, counts))
    call_a = np.concatenate(calls) if calls else np.zeros(0, np.int64)
    sub_a = np.concatenate(subs) if subs else np.zeros(0)
    app_a = np.concatenate(apps) if apps else np.zeros(0, np.int64)
    order = np.lexsort((app_a, sub_a))
    call_a, sub_a, app_a = call_a[order], sub_a[order], app_a[order]
    n = len(sub_a)

    pm = sc.proposals
    rng = streams.get("proposals")
    merit = rng.standard_normal(n)
    total = pm.grams_requested.sample(rng, n)
    caps = np.array(
        [c.max_grams_per_proposal if c.max_grams_per_proposal else np.inf for c in sc.calls]
    )
    total = np.minimum(total, caps[call_a]) if n else total
    types = sc.sample_types
    weights = np.array([pm.sample_type_weights.get(t, 0.0) for t in types], dtype=float)
    if not pm.sample_type_weights:
        weights = np.ones(len(types))
    weights = weights / weights.sum()
    # A proposal requests only sample types of its call's agency (all of them with one).
    weights = np.where(types_by_call(sc)[call_a], weights, 0.0)
    k = np.minimum(pm.types_per_proposal, (weights > 0).sum(axis=1))
    keys = rng.random((n, len(types)))
    # Weighted sampling without replacement (Efraimidis–Spirakis keys).
    with np.errstate(divide="ignore"):
        scores = np.where(weights > 0, np.log(keys) / np.where(weights > 0, weights, 1), -np.inf)
    chosen = np.argsort(-scores, axis=1)[:, : int(k.max(initial=0))]
    take = np.arange(chosen.shape[1]) < k[:, None]
    requested = np.zeros((n, len(types)))
    rows = np.repeat(np.arange(n), k)
    requested[rows, chosen[take]] = np.repeat(total / np.maximum(k, 1), k)
    destructive = rng.random(n) < pm.destructive_probability
    n_coi = np.maximum(np.rint(pm.co_investigators.sample(rng, n)), 0).astype(np.int64)
    foreign = rng.random(int(n_coi.sum())) < pm.foreign_partner_probability
    pool_u = rng.random(int(n_coi.sum()))

    # The pool of foreign co-investigator affiliations: partners, then other applicants.
    pool = [(p.institution, p.country, tuple(p.funders), p.weight) for p in sc.partners]
    if not pool:
        pool = [(a.name, a.country, a.funders, 1.0) for a in applicants]
    pw = np.cumsum([w for *_, w in pool])
    pw = pw / pw[-1]
    pick = np.searchsorted(pw, pool_u, side="right")

    team_c, partner_c, team_f, team_i = [], [], [], []
    pos = 0
    for i in range(n):
        a = applicants[app_a[i]]
        countries = {a.country}
        partners: set[str] = set()
        funders = set(a.funders)
        insts = {a.name}
        for j in range(pos, pos + n_coi[i]):
            if foreign[j]:
                inst, country, fund, _ = pool[min(pick[j], len(pool) - 1)]
                countries.add(country)
                partners.add(country)
                funders.update(fund)
                insts.add(inst)
            else:
                partners.add(a.country)
        pos += n_coi[i]
        team_c.append(frozenset(countries))
        partner_c.append(frozenset(partners))
        team_f.append(frozenset(funders))
        team_i.append(frozenset(insts))
    return ProposalTable(
        call=call_a,
        submit=sub_a,
        applicant=app_a,
        merit=merit,
        requested=requested,
        destructive=destructive,
        team_countries=team_c,
        partner_countries=partner_c,
        team_funders=team_f,
        team_institutions=team_i,
        n_members=n_coi + 1,
    )
