"""Allocation policies, pluggable by name.

A policy receives the candidates of one decision (already past the score bar), the grams
it may hand out per sample type, the ``[allocation]`` settings and a random generator, and
returns the grants. The engine checks every grant against the budget and the request, so a
buggy policy fails loudly instead of breaking grams conservation. Add your own::

    @register_policy("youngest_first")
    def youngest_first(candidates, budget, settings, rng):
        order = sorted(candidates, key=lambda c: -c.index)
        return grant_in_order(order, budget, settings)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

from samplesim.balance import balanced_grants
from samplesim.scenario.schema import Allocation

__all__ = [
    "POLICIES",
    "Candidate",
    "Drawn",
    "Grants",
    "PolicyError",
    "grant_in_order",
    "register_policy",
]

Grants = dict[int, dict[str, float]]
"""Grants by candidate ``index``: grams per sample type."""

_EPS = 1e-12


class PolicyError(RuntimeError):
    """A policy returned grants that break the budget or exceed a request."""


@attrs.frozen
class Candidate:
    """One proposal in a decision: its index, country, final score and request (g/type)."""

    index: int
    country: str
    score: float
    requested: dict[str, float]
    min_portion: dict[str, float]
    score_se: float = 0.0  # standard error of ``score`` (spread of its reviews)
    tiebreak: float = 0.0  # order among equal scores (lower first), then ``index``


Policy = Callable[[Sequence[Candidate], dict[str, float], Allocation, np.random.Generator], Grants]
POLICIES: dict[str, Policy] = {}


def register_policy(name: str) -> Callable[[Policy], Policy]:
    """Decorator registering an allocation policy under ``name``."""

    def deco(fn: Policy) -> Policy:
        POLICIES[name] = fn
        return fn

    return deco


def _fit(c: Candidate, budget: dict[str, float], partial: bool) -> dict[str, float] | None:
    """The grant ``c`` can get from ``budget``: full request, a partial one, or None."""
    if all(budget.get(t, 0.0) + _EPS >= g for t, g in c.requested.items()):
        return dict(c.requested)
    if not partial:
        return None
    grant = {}
    for t, g in c.requested.items():
        give = min(g, budget.get(t, 0.0))
        if give + _EPS >= c.min_portion.get(t, 0.0) and give > 0:
            grant[t] = give
    return grant or None


def grant_in_order(
    order: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    admit: Callable[[Candidate, dict[str, float]], bool] | None = None,
) -> Grants:
    """Grant requests in ``order`` while the budget lasts (partial grants if allowed).

    ``admit(candidate, grant)`` may veto a grant (quotas). Stops at ``settings.max_awards``.
    """
    left = dict(budget)
    grants: Grants = {}
    for c in order:
        if settings.max_awards is not None and len(grants) >= settings.max_awards:
            break
        grant = _fit(c, left, settings.partial)
        if grant is None or (admit is not None and not admit(c, grant)):
            continue
        for t, g in grant.items():
            left[t] -= g
        grants[c.index] = grant
    return grants


def _by_merit(candidates: Sequence[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.score, c.tiebreak, c.index))


@register_policy("merit_rank")
def merit_rank(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """Best final score first, until the budget or ``max_awards`` runs out."""
    return grant_in_order(_by_merit(candidates), budget, settings)


@register_policy("lottery")
def lottery(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """A random order among the candidates above the score bar (the engine applies the bar)."""
    order, why = _draw_order("lottery above the bar", _by_merit(candidates), rng)
    return _grant_drawn(order, why, budget, settings)


@register_policy("country_quota")
def country_quota(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """Merit order, but no country gets more than ``quota[country]`` awards nor more than
    ``max_share`` of the decision's grams."""
    total = sum(budget.values())
    cap = settings.max_share * total
    grams: dict[str, float] = {}
    awards: dict[str, int] = {}

    def admit(c: Candidate, grant: dict[str, float]) -> bool:
        g = sum(grant.values())
        if c.country in settings.quota and awards.get(c.country, 0) >= settings.quota[c.country]:
            return False
        if grams.get(c.country, 0.0) + g > cap + _EPS:
            return False
        grams[c.country] = grams.get(c.country, 0.0) + g
        awards[c.country] = awards.get(c.country, 0) + 1
        return True

    return grant_in_order(_by_merit(candidates), budget, settings, admit)


@register_policy("partner_priority")
def partner_priority(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """Diplomatic priorities: merit order after adding ``priority_countries[country]`` to each
    final score (a bonus in standard deviations of the latent merit, the scale of the scores);
    other countries get no bonus. With no priority countries this is ``merit_rank``."""
    bonus = settings.priority_countries
    order = sorted(candidates, key=lambda c: (-(c.score + bonus.get(c.country, 0.0)), c.index))
    return grant_in_order(order, budget, settings)


@register_policy("balanced")
def balanced(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
    history: dict[str, float] | None = None,
) -> Grants:
    """Country balance (``[allocation.balance]``): guaranteed minimum shares first, then merit
    order skipping accounts above their contribution-weighted target share; ``history``: the
    amounts granted per country earlier in the accounting window (the engine passes it)."""
    fit = lambda c, left: _fit(c, left, settings.partial)  # noqa: E731
    grants, why = balanced_grants(
        _by_merit(candidates), budget, settings.balance, history or {}, fit, settings.max_awards
    )
    return Drawn(grants, why)


balanced.wants_history = True  # type: ignore[attr-defined]


def _water_fill(demand: dict[str, float], supply: float) -> dict[str, float]:
    """Max-min fair shares of ``supply`` among claimants with the given demands."""
    share: dict[str, float] = dict.fromkeys(demand, 0.0)
    active = sorted((d, k) for k, d in demand.items() if d > 0)
    left = supply
    while active and left > _EPS:
        level = left / len(active)
        d, k = active[0]
        if d - share[k] <= level:
            inc = d - share[k]
            for _, kk in active:
                share[kk] += inc
            left -= inc * len(active)
            active = [(dd, kk) for dd, kk in active if share[kk] + _EPS < dd]
        else:
            for _, kk in active:
                share[kk] += level
            left = 0.0
    return share


@register_policy("fair_share")
def fair_share(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """Max-min fairness across countries: each sample type's budget is water-filled over the
    countries' demands; within a country, proposals are served in merit order."""
    order = _by_merit(candidates)
    country_budget: dict[str, dict[str, float]] = {}
    for t, supply in budget.items():
        demand: dict[str, float] = {}
        for c in order:
            if t in c.requested:
                demand[c.country] = demand.get(c.country, 0.0) + c.requested[t]
        for country, s in _water_fill(demand, supply).items():
            country_budget.setdefault(country, {})[t] = s
    grants: Grants = {}
    for c in order:
        if settings.max_awards is not None and len(grants) >= settings.max_awards:
            break
        left = country_budget.get(c.country, {})
        grant = _fit(c, left, settings.partial)
        if grant is None:
            continue
        for t, g in grant.items():
            left[t] -= g
        grants[c.index] = grant
    return grants


def check_grants(grants: Grants, candidates: Sequence[Candidate], budget: dict[str, float]) -> None:
    """Raise :class:`PolicyError` if ``grants`` exceed the budget or any request."""
    by_index = {c.index: c for c in candidates}
    used: dict[str, float] = {}
    for idx, grant in grants.items():
        if idx not in by_index:
            raise PolicyError(f"grant to proposal #{idx}, which is not a candidate")
        req = by_index[idx].requested
        for t, g in grant.items():
            if g < 0 or t not in req or g > req[t] + 1e-9:
                raise PolicyError(f"grant of {g} g of {t!r} to #{idx} exceeds its request")
            used[t] = used.get(t, 0.0) + g
    for t, g in used.items():
        if g > budget.get(t, 0.0) + 1e-9:
            raise PolicyError(f"grants of {g:.6f} g of {t!r} exceed the budget {budget.get(t)}")


# --- the lottery family ----------------------------------------------------------------------


class Drawn(dict):  # type: ignore[type-arg]
    """Grants (``{index: {type: grams}}``) with ``reasons[index]``: why each candidate was or
    was not drawn. The engine writes the reason on the decision (event detail and, for a
    declined proposal, its ``reason``)."""

    def __init__(self, grants: Grants, reasons: dict[int, str]) -> None:
        super().__init__(grants)
        self.reasons = reasons


def _grant_drawn(
    order: Sequence[Candidate],
    why: dict[int, str],
    budget: dict[str, float],
    settings: Allocation,
) -> Drawn:
    """Grant ``order`` while the budget lasts; each reason says how it ended."""
    grants = grant_in_order(order, budget, settings)
    reasons = dict(why)
    for c in order:
        if c.index not in grants:
            reasons[c.index] = why[c.index] + "; not granted (inventory or award limit)"
    return Drawn(grants, reasons)


def _draw_order(
    policy: str, group: list[Candidate], rng: np.random.Generator
) -> tuple[list[Candidate], dict[int, str]]:
    """A uniform random order of ``group`` (from merit order, so it is reproducible)."""
    perm = rng.permutation(len(group))
    order = [group[k] for k in perm]
    n = len(order)
    return order, {c.index: f"{policy}: drawn {k + 1} of {n}" for k, c in enumerate(order)}


@register_policy("lottery_all")
def lottery_all(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """A lottery among all eligible (shortlisted) proposals: every one equally likely."""
    order, why = _draw_order("lottery among all eligible", _by_merit(candidates), rng)
    return _grant_drawn(order, why, budget, settings)


@register_policy("grey_zone")
def grey_zone(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """The ``lottery.top_k`` best funded in merit order, then a lottery among the next
    ``lottery.grey_zone`` (None: all the rest); proposals below the grey zone are not drawn."""
    lt = settings.lottery
    ranked = _by_merit(candidates)
    top, rest = ranked[: lt.top_k], ranked[lt.top_k :]
    zone = rest if lt.grey_zone is None else rest[: lt.grey_zone]
    below = rest[len(zone) :]
    why = {c.index: f"grey_zone: top {lt.top_k} by score, funded outright" for c in top}
    order, drawn = _draw_order("grey_zone: grey-zone lottery", zone, rng)
    why.update(drawn)
    grants = _grant_drawn(top + order, why, budget, settings)
    for c in below:
        grants.reasons[c.index] = "grey_zone: below the grey zone, not drawn"
    return grants


@register_policy("score_weighted")
def score_weighted(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """A lottery with tickets weighted exp(``lottery.weight`` × final score): successive draws
    without replacement, each with probability proportional to the remaining weights
    (Gumbel-top-k; ``weight = 0`` is a plain lottery)."""
    ranked = _by_merit(candidates)
    beta = settings.lottery.weight
    keys = [beta * c.score for c in ranked] + rng.gumbel(size=len(ranked))
    perm = np.argsort(-np.asarray(keys), kind="stable")
    order = [ranked[k] for k in perm]
    n = len(order)
    why = {
        c.index: f"score_weighted: drawn {k + 1} of {n} (weight exp({beta:g} x {c.score:.2f}))"
        for k, c in enumerate(order)
    }
    return _grant_drawn(order, why, budget, settings)


def _rank_bounds(
    cands: Sequence[Candidate], level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected rank (1 = best) and the ``level`` rank interval of every candidate, from
    normal scores ``N(score, score_se²)``: ER_i = 1 + Σ_j P(S_j > S_i); the interval counts
    the candidates surely better (lower end) and possibly better (upper end) at ``level``."""
    from scipy.stats import norm

    s = np.array([c.score for c in cands])
    se = np.array([c.score_se for c in cands])
    diff = s[None, :] - s[:, None]  # [i, j]: S_j - S_i
    sd = np.sqrt(se[:, None] ** 2 + se[None, :] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(sd > 0, norm.cdf(diff / np.where(sd > 0, sd, 1.0)), 0.5 * (np.sign(diff) + 1))
    np.fill_diagonal(p, 0.0)
    z = float(norm.ppf((1 + level) / 2))
    off = ~np.eye(len(s), dtype=bool)
    lo = 1 + ((diff > z * sd) & off).sum(axis=1)
    hi = 1 + ((diff >= -z * sd) & off).sum(axis=1)
    return 1 + p.sum(axis=1), lo, hi


@register_policy("expected_rank")
def expected_rank(
    candidates: Sequence[Candidate],
    budget: dict[str, float],
    settings: Allocation,
    rng: np.random.Generator,
) -> Grants:
    """The SNSF expected-rank method (Heyard et al. 2022, Statistics and Public Policy 9:110):
    rank by expected rank; the funding line is how many the budget funds in that order;
    proposals whose ``lottery.interval`` rank interval lies above the line are funded, those
    below are not, and those whose interval crosses it are drawn at random for what is left."""
    ranked = _by_merit(candidates)
    if not ranked:
        return Drawn({}, {})
    er, lo, hi = _rank_bounds(ranked, settings.lottery.interval)
    by_er = sorted(range(len(ranked)), key=lambda k: (er[k], k))
    line = len(grant_in_order([ranked[k] for k in by_er], budget, settings))
    above = [ranked[k] for k in by_er if hi[k] <= line]
    cross = [ranked[k] for k in by_er if lo[k] <= line < hi[k]]
    below = [ranked[k] for k in by_er if lo[k] > line]
    rank = {ranked[k].index: (er[k], lo[k], hi[k]) for k in range(len(ranked))}

    def tag(c: Candidate) -> str:
        e, a, b = rank[c.index]
        return f"expected rank {e:.1f} [{a}, {b}], funding line {line}"

    why = {c.index: f"expected_rank: {tag(c)}: above the line" for c in above}
    order, drawn = _draw_order("expected_rank: random selection", cross, rng)
    why.update({c.index: f"{drawn[c.index]} ({tag(c)})" for c in order})
    grants = _grant_drawn(above + order, why, budget, settings)
    for c in below:
        grants.reasons[c.index] = f"expected_rank: {tag(c)}: below the line, not drawn"
    return grants
