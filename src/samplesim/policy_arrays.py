"""The built-in allocation policies on arrays: the same grants, bit for bit, without a
:class:`~samplesim.policies.Candidate` per proposal.

The engine (:mod:`samplesim.model.allocate`) runs a built-in policy here when the policy
registered under the scenario's name is the built-in function itself (:data:`ARRAY_POLICIES`
is keyed by the function, so a user policy registered under a built-in name still gets
``Candidate`` objects). A :class:`Pool` holds the decision's candidates as columns; each
function returns the grants in grant order as ``(candidate position, ((type, grams), ...))``
and the reasons of the lottery family, with the float operations of :mod:`samplesim.policies`
in the same order, so the grants are identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

from samplesim import policies as P
from samplesim.scenario.schema import Allocation

__all__ = ["ARRAY_POLICIES", "Ask", "Pool", "RowGrants", "grant_rows", "merit_order"]

_EPS = P._EPS

#: One candidate's request (or grant): ``(type index, grams)`` pairs in type order, the items
#: of :attr:`Candidate.requested` (or of a grant) by sample-type index.
Ask = tuple[tuple[int, float], ...]
#: Grants in grant order: (candidate position in the pool, grant), and the reasons by
#: proposal index (lottery family; empty for the others).
RowGrants = tuple[list[tuple[int, Ask]], dict[int, str]]

#: An array implementation: (pool, settings, rng) -> its :data:`RowGrants`.
ArrayPolicy = Callable[["Pool", Allocation, np.random.Generator], RowGrants]


@attrs.frozen
class Pool:
    """The candidates of one decision as columns (position ``k`` = one candidate).

    ``index``: proposal rows; ``country``: lead countries; ``score``: final scores;
    ``tiebreak``: order among equal scores; ``asks``: the (trimmed) requests;
    ``portions``: minimum portion per sample type; ``budget``: the budget dict the Candidate
    path gets (names in budget order); ``names``: sample-type names by index.
    """

    index: list[int]
    country: list[str]
    score: np.ndarray
    tiebreak: np.ndarray
    asks: list[Ask]
    portions: list[float]
    budget: dict[str, float]
    names: Sequence[str]

    def left(self) -> list[float]:
        """The budget by type index (0 for a type the budget does not name)."""
        return [float(self.budget.get(n, 0.0)) for n in self.names]


def merit_order(pool: Pool) -> np.ndarray:
    """Positions by (-score, tiebreak, index), as ``policies._by_merit`` sorts them."""
    return np.lexsort((np.asarray(pool.index), pool.tiebreak, -pool.score))


def grant_rows(
    pool: Pool,
    order: Sequence[int],
    settings: Allocation,
    admit: Callable[[int, Ask], bool] | None = None,
    left_of: Callable[[int], list[float]] | None = None,
) -> list[tuple[int, Ask]]:
    """``policies.grant_in_order`` on a pool: grant ``order`` while the budget lasts.

    ``left_of(k)``: the budget candidate ``k`` draws from (default: the decision's)."""
    left = pool.left()
    asks, portions = pool.asks, pool.portions
    partial, most = settings.partial, settings.max_awards
    out: list[tuple[int, Ask]] = []
    for k in order:
        if most is not None and len(out) >= most:
            break
        ask = asks[k]
        lk = left if left_of is None else left_of(k)
        if all(lk[t] + _EPS >= g for t, g in ask):
            grant = ask
        elif not partial:
            continue
        else:
            grant = tuple(
                (t, give)
                for t, g in ask
                if (give := min(g, lk[t])) + _EPS >= portions[t] and give > 0
            )
            if not grant:
                continue
        if admit is not None and not admit(k, grant):
            continue
        for t, g in grant:
            lk[t] -= g
        out.append((k, grant))
    return out


def _merit_rank(pool: Pool, settings: Allocation, rng: np.random.Generator) -> RowGrants:
    return grant_rows(pool, merit_order(pool).tolist(), settings), {}


def _partner_priority(pool: Pool, settings: Allocation, rng: np.random.Generator) -> RowGrants:
    bonus = settings.priority_countries
    key = pool.score + np.array([bonus.get(c, 0.0) for c in pool.country], dtype=float)
    order = np.lexsort((np.asarray(pool.index), -key)).tolist()
    return grant_rows(pool, order, settings), {}


def _country_quota(pool: Pool, settings: Allocation, rng: np.random.Generator) -> RowGrants:
    cap = settings.max_share * sum(pool.budget.values())
    quota = settings.quota
    grams: dict[str, float] = {}
    awards: dict[str, int] = {}
    country = pool.country

    def admit(k: int, grant: Ask) -> bool:
        c = country[k]
        g = sum(x for _, x in grant)
        if c in quota and awards.get(c, 0) >= quota[c]:
            return False
        if grams.get(c, 0.0) + g > cap + _EPS:
            return False
        grams[c] = grams.get(c, 0.0) + g
        awards[c] = awards.get(c, 0) + 1
        return True

    return grant_rows(pool, merit_order(pool).tolist(), settings, admit), {}


def _fair_share(pool: Pool, settings: Allocation, rng: np.random.Generator) -> RowGrants:
    order = merit_order(pool).tolist()
    col = {n: t for t, n in enumerate(pool.names)}
    shares: dict[str, list[float]] = {}
    for name, supply in pool.budget.items():
        t = col[name]
        demand: dict[str, float] = {}
        for k in order:
            for tt, g in pool.asks[k]:
                if tt == t:
                    c = pool.country[k]
                    demand[c] = demand.get(c, 0.0) + g
        for c, s in P._water_fill(demand, supply).items():
            shares.setdefault(c, [0.0] * len(pool.names))[t] = s
    absent = [0.0] * len(pool.names)
    country = pool.country
    return grant_rows(pool, order, settings, left_of=lambda k: shares.get(country[k], absent)), {}


def _drawn(pool: Pool, order: list[int], why: dict[int, str], settings: Allocation) -> RowGrants:
    """``policies._grant_drawn``: grant ``order``; each reason says how it ended."""
    rows = grant_rows(pool, order, settings)
    got = {k for k, _ in rows}
    idx = pool.index
    reasons = dict(why)
    for k in order:
        if k not in got:
            reasons[idx[k]] = why[idx[k]] + "; not granted (inventory or award limit)"
    return rows, reasons


def _draw(
    policy: str, group: list[int], idx: list[int], rng: np.random.Generator
) -> tuple[list[int], dict[int, str]]:
    """``policies._draw_order``: a uniform random order of ``group`` and its reasons."""
    perm = rng.permutation(len(group))
    order = [group[k] for k in perm]
    n = len(order)
    return order, {idx[k]: f"{policy}: drawn {j + 1} of {n}" for j, k in enumerate(order)}


def _lottery_as(label: str) -> ArrayPolicy:
    def fn(pool: Pool, settings: Allocation, rng: np.random.Generator) -> RowGrants:
        order, why = _draw(label, merit_order(pool).tolist(), pool.index, rng)
        return _drawn(pool, order, why, settings)

    return fn


def _grey_zone(pool: Pool, settings: Allocation, rng: np.random.Generator) -> RowGrants:
    lt, idx = settings.lottery, pool.index
    ranked = merit_order(pool).tolist()
    top, rest = ranked[: lt.top_k], ranked[lt.top_k :]
    zone = rest if lt.grey_zone is None else rest[: lt.grey_zone]
    below = rest[len(zone) :]
    why = {idx[k]: f"grey_zone: top {lt.top_k} by score, funded outright" for k in top}
    order, drawn = _draw("grey_zone: grey-zone lottery", zone, idx, rng)
    why.update(drawn)
    rows, reasons = _drawn(pool, top + order, why, settings)
    for k in below:
        reasons[idx[k]] = "grey_zone: below the grey zone, not drawn"
    return rows, reasons


def _score_weighted(pool: Pool, settings: Allocation, rng: np.random.Generator) -> RowGrants:
    ranked = merit_order(pool).tolist()
    beta = settings.lottery.weight
    score = pool.score.tolist()
    keys = [beta * score[k] for k in ranked] + rng.gumbel(size=len(ranked))
    perm = np.argsort(-np.asarray(keys), kind="stable")
    order = [ranked[j] for j in perm]
    n, idx = len(order), pool.index
    why = {
        idx[k]: f"score_weighted: drawn {j + 1} of {n} (weight exp({beta:g} x {score[k]:.2f}))"
        for j, k in enumerate(order)
    }
    return _drawn(pool, order, why, settings)


#: Built-in policy function -> its array implementation (``balanced`` and ``expected_rank``
#: keep the Candidate path: they need the ledger's history or every pair of candidates).
ARRAY_POLICIES: dict[Callable[..., object], ArrayPolicy] = {
    P.merit_rank: _merit_rank,
    P.partner_priority: _partner_priority,
    P.country_quota: _country_quota,
    P.fair_share: _fair_share,
    P.lottery: _lottery_as("lottery above the bar"),
    P.lottery_all: _lottery_as("lottery among all eligible"),
    P.grey_zone: _grey_zone,
    P.score_weighted: _score_weighted,
}
