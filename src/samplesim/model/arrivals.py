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
from typing import TypeVar

import attrs
import numpy as np

from samplesim.distributions import Fixed
from samplesim.model.agencies import applies, types_by_call
from samplesim.model.per_call import by_call
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


def proposal_model(sc: Scenario, call: Call) -> ProposalModel:
    """The ``[proposals]`` model of ``call``'s proposals (its own, else the scenario's)."""
    return getattr(call, "proposals", None) or sc.proposals


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

    def __len__(self) -> int:
        return len(self.submit)


def _arrival_times(
    rng: np.random.Generator, n: int, open_day: float, close_day: float, rush: float
) -> np.ndarray:
    # A Poisson process conditioned on its count is uniform in the window; ``rush`` > 0
    # tilts submissions towards the deadline (Beta(1 + rush, 1)).
    u = rng.random(n) if rush == 0 else rng.beta(1.0 + rush, 1.0, n)
    return open_day + (close_day - open_day) * u


#: Attribute numbers of the ``proposals`` stream's blocks (append; never renumber).
MERIT, GRAMS, TYPES, DESTRUCTIVE, CO_INVESTIGATORS, FOREIGN, POOL = range(7)


def draw_keyed(
    p: ProposalTable,
    streams: Streams,
    stream: str,
    attribute: int,
    sample: Callable[[np.random.Generator, int], np.ndarray],
    extra: int = 0,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """One attribute of every proposal (or only of ``rows``, a bool mask), each drawn from
    its own entity's block ``(stream, attribute, extra)``: ``sample(rng, m)`` gives the
    values of an entity's ``m`` proposals in ordinal order (first axis).

    A :class:`~samplesim.distributions.Fixed` distribution's ``sample`` draws nothing: its
    value is filled in without any block (the values are the same, each block independent).
    """
    if isinstance(getattr(sample, "__self__", None), Fixed):
        value = np.asarray(sample(None, len(p)))  # type: ignore[arg-type]
        return value if rows is None else np.where(rows, value, 0.0)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    entity = streams.entity
    for call, app, idx in p.groups:
        if rows is not None:
            idx = idx[rows[idx]]
        if len(idx):
            rng = entity(call, app).block(stream, attribute, extra)
            parts.append((idx, np.asarray(sample(rng, len(idx)))))
    if not parts:
        return np.asarray(sample(np.random.default_rng(0), 0))[:0]
    first = parts[0][1]
    out = np.zeros((len(p), *first.shape[1:]), dtype=first.dtype)
    for idx, vals in parts:
        out[idx] = vals
    return out


def keyed_by_call(
    p: ProposalTable,
    streams: Streams,
    stream: str,
    attribute: int,
    values: list[T],
    sample_of: Callable[[T], Callable[[np.random.Generator, int], np.ndarray]],
) -> np.ndarray:
    """:func:`~samplesim.model.arrivals.draw_keyed` with the sampler of each proposal's
    call's setting (``values``: one per call; ``sample_of(value)`` its sampler)."""
    groups = by_call(values, p.call)
    if len(groups) == 1 or len(p) == 0:
        return draw_keyed(p, streams, stream, attribute, sample_of(groups[0][0]))
    out: np.ndarray | None = None
    for value, rows in groups:
        assert rows is not None
        if not rows.any():
            continue
        part = draw_keyed(p, streams, stream, attribute, sample_of(value), rows=rows)
        mask = rows.reshape(-1, *([1] * (part.ndim - 1)))
        out = part if out is None else np.where(mask, part, out)
    assert out is not None  # some group has rows whenever there are several
    return out


def _arrivals(
    sc: Scenario, applicants: list[Applicant], streams: Streams
) -> list[tuple[int, int, np.ndarray]]:
    """(call index, applicant index, submission days in ordinal order) per entity with
    proposals; each count and its days come from the entity's own ``arrivals`` blocks."""
    rate = np.array([a.propensity for a in applicants])
    out = []
    for ci, call in enumerate(sc.calls):
        rush = proposal_model(sc, call).deadline_rush
        lam = np.broadcast_to(rate * call.demand * applies(sc, call, len(applicants)), rate.shape)
        for a, app in enumerate(applicants):
            if lam[a] <= 0:
                continue
            es = streams.entity(call.name, app.name)
            m = int(es.block("arrivals", 0).poisson(lam[a]))
            if m:
                days = _arrival_times(
                    es.block("arrivals", 1), m, call.open_day, call.close_day, rush
                )
                out.append((ci, a, days))
    return out


def draw_proposals(sc: Scenario, applicants: list[Applicant], streams: Streams) -> ProposalTable:
    """Draw every proposal of the run: counts, times, merit, requests and teams, each from
    the stream of the proposal's entity (call, institution) at its ordinal."""
    ents = _arrivals(sc, applicants, streams)
    sizes = [len(d) for *_, d in ents]
    call_g = np.repeat(np.array([c for c, *_ in ents], dtype=np.int64), sizes)
    app_g = np.repeat(np.array([a for _, a, _ in ents], dtype=np.int64), sizes)
    sub_g = np.concatenate([d for *_, d in ents]) if ents else np.zeros(0)
    order = np.lexsort((app_g, sub_g))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    groups, pos = [], 0
    for (ci, a, _), m in zip(ents, sizes, strict=True):
        groups.append((sc.calls[ci].name, applicants[a].name, rank[pos : pos + m]))
        pos += m
    ordinal = np.zeros(len(order), dtype=np.int64)
    for *_, idx in groups:
        ordinal[idx] = np.arange(len(idx))
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
    )
    _draw_attributes(sc, applicants, streams, table)
    return table


def _type_weights(pm: ProposalModel, types: list[str]) -> list[float]:
    """The normalised sample mix of ``pm`` over ``types`` (equal weights when none given)."""
    if not pm.sample_type_weights:
        w = np.ones(len(types))
    else:
        w = np.array([pm.sample_type_weights.get(t, 0.0) for t in types], dtype=float)
    return (w / w.sum()).tolist()


def _draw_attributes(
    sc: Scenario, applicants: list[Applicant], streams: Streams, p: ProposalTable
) -> None:
    """Merit first, then requests and teams, each attribute from its own entity block."""
    n, call_a, app_a = len(p), p.call, p.applicant
    models = [proposal_model(sc, c) for c in sc.calls]

    def keyed(attribute: int, sample: Callable[[np.random.Generator, int], np.ndarray]):
        return draw_keyed(p, streams, "proposals", attribute, sample)

    def per_call(attribute: int, sample_of: Callable[[ProposalModel], Callable]) -> np.ndarray:
        return keyed_by_call(p, streams, "proposals", attribute, models, sample_of)

    p.merit = keyed(MERIT, lambda r, m: r.standard_normal(m)) if n else np.zeros(0)
    total = per_call(GRAMS, lambda pm: pm.grams_requested.sample) if n else np.zeros(0)
    caps = np.array(
        [c.max_grams_per_proposal if c.max_grams_per_proposal else np.inf for c in sc.calls]
    )
    total = np.minimum(total, caps[call_a]) if n else total
    types = sc.sample_types
    # Each call's sample mix (its own [calls.proposals] or the scenario's), row per call.
    mix = np.array([_type_weights(pm, types) for pm in models], dtype=float).reshape(
        len(models), len(types)
    )
    # A proposal requests only sample types of its call's agency (all of them with one).
    weights = np.where(types_by_call(sc)[call_a], mix[call_a], 0.0)
    per_prop = np.array([pm.types_per_proposal for pm in models], dtype=np.int64)[call_a]
    k = np.minimum(per_prop, (weights > 0).sum(axis=1))
    keys = keyed(TYPES, lambda r, m: r.random((m, len(types)))) if n else np.zeros((0, len(types)))
    # Weighted sampling without replacement (Efraimidis–Spirakis keys).
    with np.errstate(divide="ignore"):
        scores = np.where(weights > 0, np.log(keys) / np.where(weights > 0, weights, 1), -np.inf)
    chosen = np.argsort(-scores, axis=1)[:, : int(k.max(initial=0))]
    take = np.arange(chosen.shape[1]) < k[:, None]
    requested = np.zeros((n, len(types)))
    rows = np.repeat(np.arange(n), k)
    requested[rows, chosen[take]] = np.repeat(total / np.maximum(k, 1), k)
    p.requested = requested
    # A uniform draw in [0, 1) is never below 0 and always below 1: no draw needed then.
    p.destructive = np.zeros(n, dtype=bool)
    for pm, rows in by_call(models, call_a):
        pd_ = pm.destructive_probability
        mask = np.ones(n, dtype=bool) if rows is None else rows
        if n and 0 < pd_ < 1 and mask.any():
            u = draw_keyed(
                p, streams, "proposals", DESTRUCTIVE, lambda r, m: r.random(m), rows=rows
            )
            p.destructive = np.where(mask, u < pd_, p.destructive)
        else:
            p.destructive = np.where(mask, n > 0 and pd_ >= 1, p.destructive)
    n_coi = np.zeros(n, dtype=np.int64)
    if n:
        coi = per_call(CO_INVESTIGATORS, lambda pm: pm.co_investigators.sample)
        n_coi = np.maximum(np.rint(coi), 0).astype(np.int64)
    model_of = {c.name: m for c, m in zip(sc.calls, models, strict=True)}
    # The pool of foreign co-investigator affiliations: partners, then other applicants.
    pool = [(q.institution, q.country, tuple(q.funders), q.weight) for q in sc.partners]
    if not pool:
        pool = [(a.name, a.country, a.funders, 1.0) for a in applicants]
    pw = np.cumsum([w for *_, w in pool])
    pw = pw / pw[-1]
    # Each co-investigator's draws: the entity's FOREIGN and POOL blocks, read in ordinal
    # order (a proposal's depend only on the entity's earlier proposals).
    foreign: list[list[bool]] = [[]] * n
    picks: list[list[int]] = [[]] * n
    for call, app, idx in p.groups:
        m = n_coi[idx].tolist()
        total = sum(m)
        es = streams.entity(call, app)
        q = model_of[call].foreign_partner_probability
        f = (es.block("proposals", FOREIGN).random(total) < q).tolist()
        u = es.block("proposals", POOL).random(total)
        k = np.minimum(np.searchsorted(pw, u, side="right"), len(pool) - 1).tolist()
        pos = 0
        for i, c in zip(idx.tolist(), m, strict=True):
            foreign[i], picks[i] = f[pos : pos + c], k[pos : pos + c]
            pos += c

    team_c, partner_c, team_f, team_i = [], [], [], []
    seen: dict[frozenset[str], frozenset[str]] = {}

    def shared(fs: frozenset[str]) -> frozenset[str]:
        return seen.setdefault(fs, fs)

    for i in range(n):
        a = applicants[app_a[i]]
        countries = {a.country}
        partners: set[str] = set()
        funders = set(a.funders)
        insts = {a.name}
        for is_foreign, j in zip(foreign[i], picks[i], strict=True):
            if is_foreign:
                inst, country, fund, _ = pool[j]
                countries.add(country)
                partners.add(country)
                funders.update(fund)
                insts.add(inst)
            else:
                partners.add(a.country)
        # Equal sets are shared (few distinct teams among many proposals): less memory.
        team_c.append(shared(frozenset(countries)))
        partner_c.append(shared(frozenset(partners)))
        team_f.append(shared(frozenset(funders)))
        team_i.append(shared(frozenset(insts)))
    p.team_countries, p.partner_countries = team_c, partner_c
    p.team_funders, p.team_institutions = team_f, team_i
    p.n_members = n_coi + 1
