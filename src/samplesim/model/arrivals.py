"""Arrivals: which proposals are submitted, when, and with what attributes.

Everything random about a proposal is drawn here, once, vectorised, before the simulation
starts, from its entity's streams (:class:`samplesim.rng.EntityStream`, keyed by call name and
institution name; the proposal is its ordinal within them). A policy change therefore cannot
shift the random numbers any other stage consumes, and a change to one institution's demand,
or adding or removing an institution, leaves every other proposal identical (common random
numbers per entity).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import numpy as np

from samplesim.model.agencies import applies
from samplesim.model.counts import listed_counts
from samplesim.model.intent import intent_days, resolve_intents
from samplesim.model.keyed import (
    CO_INVESTIGATORS,
    DESTRUCTIVE,
    FOREIGN,
    MERIT,
    POOL,
    draw_keyed,
    keyed_by_call,
    plan,
)
from samplesim.model.meetings import rush_times
from samplesim.model.memo import per_scenario
from samplesim.model.requests import draw_requests, keyed_by_model, proposal_model
from samplesim.rng import Streams
from samplesim.scenario.schema import Call, Institution, ProposalModel, Scenario

__all__ = [
    "Applicant",
    "ProposalTable",
    "draw_keyed",
    "draw_proposals",
    "expand_institutions",
    "keyed_by_call",
    "proposal_model",
]

T = TypeVar("T")


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
    #: the proposal's ordinal within its entity's (call, institution) proposals
    ordinal: np.ndarray = attrs.field(factory=lambda: np.zeros(0, dtype=np.int64))
    #: per entity with proposals: (call name, institution name, rows in ordinal order)
    groups: list[tuple[str, str, np.ndarray]] = attrs.field(factory=list)
    #: day of the row's notice of intent (NaN: none; ``calls[i].intent``)
    intent: np.ndarray = attrs.field(factory=lambda: np.zeros(0))
    #: "" (a full proposal), or how an intent ended: "no_full_proposal", "not_invited"
    fate: np.ndarray = attrs.field(factory=lambda: np.zeros(0, dtype=object))
    #: The groups' entity streams and row order (:func:`samplesim.model.keyed.plan`'s cache).
    keyed: Any = attrs.field(default=None, eq=False, repr=False)

    def __len__(self) -> int:
        return len(self.submit)


def _arrival_times(rng: np.random.Generator, n: int, call: Call, rush: float) -> np.ndarray:
    # A Poisson process conditioned on its count is uniform in the window; ``rush`` > 0
    # tilts submissions towards the deadline (Beta(1 + rush, 1)), or towards each
    # meeting's request deadline (``decision.rush = "meetings"``: see model/meetings.py).
    if rush > 0 and call.decision.rush == "meetings":
        return rush_times(rng.random(n), call, rush)
    u = rng.random(n) if rush == 0 else rng.beta(1.0 + rush, 1.0, n)
    return call.open_day + (call.close_day - call.open_day) * u


@per_scenario
def _rates(sc: Scenario) -> list[tuple[float, list[float]]]:
    """Per call: its deadline rush and each applicant's expected proposals (once per
    scenario; the applicants are :func:`expand_institutions` of the scenario's)."""
    applicants = expand_institutions(sc.institutions)
    rate = np.array([a.propensity for a in applicants])
    out = []
    for call in sc.calls:
        rush = proposal_model(sc, call).deadline_rush
        lam = np.broadcast_to(rate * call.demand * applies(sc, call, len(applicants)), rate.shape)
        out.append((rush, lam.tolist()))
    return out


def _arrivals(
    sc: Scenario, applicants: list[Applicant], streams: Streams
) -> list[tuple[int, int, np.ndarray]]:
    """(call index, applicant index, submission days in ordinal order) per entity with
    proposals; each count and its days come from the entity's own ``arrivals`` blocks."""
    out = []
    for (ci, call), (rush, lam) in zip(enumerate(sc.calls), _rates(sc), strict=True):
        fixed = _listed(sc, call, applicants, streams)
        entity, name = streams.entity, call.name
        count_at, days_at = streams.counter("arrivals", 0), streams.counter("arrivals", 1)
        for a, app in enumerate(applicants):
            if fixed is not None and fixed[1][a]:
                m = int(fixed[0][a])
                if not m:
                    continue
                es = entity(name, app.name)
            elif lam[a] <= 0:
                continue
            else:
                es = entity(name, app.name)
                m = int(es.at(count_at).poisson(lam[a]))
                if not m:
                    continue
            if call.intent is not None:  # the arrivals are notices of intent
                out.append((ci, a, intent_days(es.at(days_at), m, call, rush)))
            else:
                out.append((ci, a, _arrival_times(es.at(days_at), m, call, rush)))
    return out


def _listed(
    sc: Scenario, call: Call, applicants: list[Applicant], streams: Streams
) -> tuple[np.ndarray, np.ndarray] | None:
    """The call's listed proposal counts (:mod:`samplesim.model.counts`), or None."""
    if call.proposal_counts is None:
        return None
    names = [i.name for i in sc.institutions for _ in range(i.count)]
    weights = np.broadcast_to(
        np.array([a.propensity for a in applicants]) * applies(sc, call, len(applicants)),
        (len(applicants),),
    )
    countries = [a.country for a in applicants]
    return listed_counts(call, names, countries, np.asarray(weights, dtype=float), streams)


def draw_proposals(sc: Scenario, applicants: list[Applicant], streams: Streams) -> ProposalTable:
    """Draw every proposal of the run: counts, times, merit, requests and teams, each from
    the stream of the proposal's entity (call, institution) at its ordinal."""
    ents = _arrivals(sc, applicants, streams)
    sizes = [len(d) for *_, d in ents]
    total = sum(sizes)
    call_g = np.repeat(np.array([c for c, *_ in ents], dtype=np.int64), sizes)
    app_g = np.repeat(np.array([a for _, a, _ in ents], dtype=np.int64), sizes)
    if any(c.intent is not None for c in sc.calls):
        resolved = resolve_intents(sc, ents, [a.name for a in applicants], streams)
        sub_g = np.concatenate([r[0] for r in resolved]) if ents else np.zeros(0)
        intent_g = np.concatenate([r[1] for r in resolved]) if ents else np.zeros(0)
        fate_g = np.concatenate([r[2] for r in resolved]) if ents else np.zeros(0, object)
    else:  # every arrival is a full proposal (what resolve_intents gives without intents)
        sub_g = np.concatenate([d for *_, d in ents]) if ents else np.zeros(0)
        intent_g, fate_g = np.full(total, np.nan), np.full(total, "", dtype=object)
    order = np.lexsort((app_g, sub_g))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    groups, pos = [], 0
    for (ci, a, _), m in zip(ents, sizes, strict=True):
        groups.append((sc.calls[ci].name, applicants[a].name, rank[pos : pos + m]))
        pos += m
    # Each row's place within its entity (the arrivals are grouped by entity in ``ents``).
    ordinal = np.zeros(len(order), dtype=np.int64)
    if total:
        starts = np.cumsum([0, *sizes[:-1]])
        ordinal[rank] = np.arange(total) - np.repeat(starts, sizes)
    table = ProposalTable(
        call=call_g[order],
        submit=sub_g[order],
        applicant=app_g[order],
        merit=np.zeros(0),
        requested=np.zeros((0, len(sc.sample_types))),
        destructive=np.zeros(0, dtype=bool),
        team_countries=[],
        partner_countries=[],
        team_funders=[],
        team_institutions=[],
        n_members=np.zeros(0, dtype=np.int64),
        ordinal=ordinal,
        groups=groups,
        intent=intent_g[order],
        fate=fate_g[order],
    )
    _draw_attributes(sc, applicants, streams, table)
    return table


def _draw_attributes(
    sc: Scenario, applicants: list[Applicant], streams: Streams, p: ProposalTable
) -> None:
    """Merit first, then requests and teams, each attribute from its own entity block."""
    n, call_a, app_a = len(p), p.call, p.applicant

    def keyed(attribute: int, sample: Callable[[np.random.Generator, int], np.ndarray]):
        return draw_keyed(p, streams, "proposals", attribute, sample)

    p.merit = keyed(MERIT, lambda r, m: r.standard_normal(m)) if n else np.zeros(0)
    p.requested = draw_requests(sc, p, streams)

    def destructive(pm: ProposalModel) -> Callable[[np.random.Generator, int], np.ndarray]:
        # A uniform draw in [0, 1) is never below 0 and always below 1: no draw needed then.
        pd_ = pm.destructive_probability
        if 0 < pd_ < 1:
            return lambda r, m: r.random(m)
        return lambda _r, m: np.full(m, 0.0 if pd_ >= 1 else 1.0)

    pds = _destructive_probability(sc)
    p.destructive = (
        keyed_by_model(sc, p, streams, DESTRUCTIVE, destructive) < pds[call_a]
        if n
        else np.zeros(0, dtype=bool)
    )
    n_coi = np.zeros(n, dtype=np.int64)
    if n:
        coi = keyed_by_model(
            sc, p, streams, CO_INVESTIGATORS, lambda pm: pm.co_investigators.sample
        )
        n_coi = np.maximum(np.rint(coi), 0).astype(np.int64)
    pool, pw = _partner_pool(sc)
    # Each co-investigator's draws: the entity's FOREIGN and POOL blocks, read in ordinal
    # order (a proposal's depend only on the entity's earlier proposals).
    fpp = _foreign_probability(sc)
    fs, us, probs = [], [], []
    plan_ = plan(p, streams)
    sizes = plan_[3]  # the groups with proposals (all of them: every arrival has a row)
    starts = np.cumsum([0, *sizes[:-1]], dtype=np.int64)
    totals = np.add.reduceat(n_coi[plan_[5]], starts).tolist() if sizes else []
    assert len(totals) == len(p.groups)
    foreign_at, pool_at = streams.counter("proposals", FOREIGN), streams.counter("proposals", POOL)
    for (call, app, _), total in zip(p.groups, totals, strict=True):
        es = streams.entity(call, app)
        fs.append(es.at(foreign_at).random(total))
        us.append(es.at(pool_at).random(total))
        probs.append(fpp[call])
    # Compared and looked up for every entity at once (elementwise: the same values): each
    # co-investigator as its pool index if foreign, else -1; in the groups' row order.
    codes: list[int] = []
    if fs:
        foreign = np.concatenate(fs) < np.repeat(probs, totals)
        k = np.minimum(np.searchsorted(pw, np.concatenate(us), side="right"), len(pool) - 1)
        codes = np.where(foreign, k, -1).tolist()
    teams = _teams(sc)[0]
    rows: list[Team] = [_NO_TEAM] * n  # every row is in one group
    perm, apps = plan_[5], app_a.tolist()
    pos = 0
    for i, c in zip(perm.tolist(), n_coi[perm].tolist(), strict=True):
        key = (apps[i], *sorted(set(codes[pos : pos + c])))  # sets: order and repeats moot
        pos += c
        got = teams.get(key)
        if got is None:
            got = _team(sc, applicants[key[0]], key, pool)
        rows[i] = got
    p.team_countries = [t[0] for t in rows]
    p.partner_countries = [t[1] for t in rows]
    p.team_funders = [t[2] for t in rows]
    p.team_institutions = [t[3] for t in rows]
    p.n_members = n_coi + 1


Team = tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]
#: Distinct teams remembered per scenario at most (beyond, a team is built, not kept).
_MAX_TEAMS = 100_000
_NO_TEAM: Team = (frozenset(), frozenset(), frozenset(), frozenset())


@per_scenario
def _teams(sc: Scenario) -> tuple[dict[tuple[int, ...], Team], dict[frozenset, frozenset]]:
    """The teams met so far in runs of ``sc``: (applicant, the co-investigators' distinct pool
    indices, -1 for a domestic one, sorted) -> its :data:`Team` (the same in every run), and
    the distinct sets."""
    return {}, {}


def _team(
    sc: Scenario, a: Applicant, key: tuple[int, ...], pool: list[tuple[str, str, tuple, float]]
) -> Team:
    """The team of a proposal of ``a`` whose co-investigators are ``key[1:]`` (remembered:
    equal sets are shared, few distinct teams among many proposals, less memory)."""
    countries = {a.country}
    partners: set[str] = set()
    funders = set(a.funders)
    insts = {a.name}
    for j in key[1:]:
        if j >= 0:
            inst, country, fund, _ = pool[j]
            countries.add(country)
            partners.add(country)
            funders.update(fund)
            insts.add(inst)
        else:
            partners.add(a.country)
    team: Team = (frozenset(countries), frozenset(partners), frozenset(funders), frozenset(insts))
    teams, sets = _teams(sc)
    if len(teams) >= _MAX_TEAMS:
        return team
    c, p, f, i = (sets.setdefault(x, x) for x in team)
    teams[key] = (c, p, f, i)
    return teams[key]


@per_scenario
def _partner_pool(
    sc: Scenario,
) -> tuple[list[tuple[str, str, tuple[str, ...], float]], np.ndarray]:
    """The pool of foreign co-investigator affiliations (partners, else the applicants) and
    its cumulative weights, normalised (once per scenario)."""
    pool = [(q.institution, q.country, tuple(q.funders), q.weight) for q in sc.partners]
    if not pool:
        pool = [(a.name, a.country, a.funders, 1.0) for a in expand_institutions(sc.institutions)]
    pw = np.cumsum([w for *_, w in pool])
    pw = pw / pw[-1]
    pw.flags.writeable = False
    return pool, pw


@per_scenario
def _foreign_probability(sc: Scenario) -> dict[str, float]:
    return {c.name: proposal_model(sc, c).foreign_partner_probability for c in sc.calls}


@per_scenario
def _destructive_probability(sc: Scenario) -> np.ndarray:
    out = np.array([proposal_model(sc, c).destructive_probability for c in sc.calls])
    out.flags.writeable = False
    return out
