"""Country balance as facilities practise it: the order of the ``balanced`` policy.

Accounts are countries, or groups of countries accounted as one (``groups``). Each account's
target share is proportional to its ``contribution`` (0 when not listed), of what the minima
of accounts without a contribution leave; ``minimum_share`` guarantees partner agencies a
minimum. Shares are of the amount granted over the accounting
window (``rounds``: the run's calls so far, or the last N), counting what this decision can
hand out: ``window = prior + pot``, the pot being the budget the candidates could use
(at most their ``max_awards`` largest requests).

1. Minima first: each account with a minimum (in name order) is served in merit order while
   its amount is below ``minimum_share × window``.
2. Then merit order, skipping a proposal whose account has already reached its target share
   plus ``tolerance`` while another account with candidates left is below its target (an
   account without a contribution has a target of 0: it gets what the others cannot use).

The module knows nothing of the engine: :mod:`samplesim.policies` registers it, with the
candidates' fitting rule (``fit``) handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

__all__ = ["account_of", "balanced_grants", "targets"]

_EPS = 1e-9


class _Cand(Protocol):
    index: int
    country: str
    requested: dict[str, float]


Fit = Callable[[Any, dict[str, float]], "dict[str, float] | None"]


def account_of(groups: dict[str, list[str]]) -> Callable[[str], str]:
    """The function mapping a country to its account (its group's name, or itself)."""
    member = {c: g for g, cs in groups.items() for c in cs}
    return lambda country: member.get(country, country)


def targets(contribution: dict[str, float]) -> dict[str, float]:
    """Target share by account: contributions normalised to sum 1."""
    total = sum(contribution.values())
    return {a: v / total for a, v in contribution.items()} if total > 0 else {}


def _pot(cands: Sequence[_Cand], budget: dict[str, float], max_awards: int | None) -> float:
    """What this decision can hand out: the budget the candidates ask for, and no more than
    the ``max_awards`` largest requests."""
    demand: dict[str, float] = {}
    for c in cands:
        for t, g in c.requested.items():
            demand[t] = demand.get(t, 0.0) + g
    pot = sum(min(budget.get(t, 0.0), d) for t, d in demand.items())
    if max_awards is not None:
        largest = sorted((sum(c.requested.values()) for c in cands), reverse=True)
        pot = min(pot, sum(largest[:max_awards]))
    return pot


def balanced_grants(
    order: Sequence[_Cand],
    budget: dict[str, float],
    balance: Any,
    prior: dict[str, float],
    fit: Fit,
    max_awards: int | None = None,
) -> tuple[dict[int, dict[str, float]], dict[int, str]]:
    """Grants (by candidate index) and reasons for the candidates in merit ``order``.

    ``balance``: the ``[allocation.balance]`` settings; ``prior``: amounts granted per
    country earlier in the accounting window; ``fit(candidate, left)``: the grant a candidate
    can get from what is left (None: none).
    """
    acct = account_of(balance.groups)
    # Minima of accounts without a contribution come off the top; contributors share the rest.
    free = 1.0 - sum(m for a, m in balance.minimum_share.items() if a not in balance.contribution)
    target = {a: v * free for a, v in targets(balance.contribution).items()}
    amount: dict[str, float] = {}
    for country, g in prior.items():
        amount[acct(country)] = amount.get(acct(country), 0.0) + g
    window = sum(amount.values()) + _pot(order, budget, max_awards)
    left = dict(budget)
    grants: dict[int, dict[str, float]] = {}
    reasons: dict[int, str] = {}
    remaining = list(order)

    def give(c: _Cand, why: str) -> bool:
        grant = fit(c, left)
        if grant is None:  # an empty grant: a data-only (zero) request, approved
            return False
        for t, g in grant.items():
            left[t] -= g
        grants[c.index] = grant
        a = acct(c.country)
        amount[a] = amount.get(a, 0.0) + sum(grant.values())
        reasons[c.index] = why
        return True

    def full() -> bool:
        return max_awards is not None and len(grants) >= max_awards

    for a in sorted(balance.minimum_share):
        need = balance.minimum_share[a] * window
        for c in [c for c in remaining if acct(c.country) == a]:
            if full() or amount.get(a, 0.0) + _EPS >= need:
                break
            remaining.remove(c)
            if not give(c, f"balanced: minimum share of {a} ({balance.minimum_share[a]:g})"):
                reasons[c.index] = f"balanced: minimum share of {a}; not granted (inventory)"

    def share(a: str) -> float:
        return amount.get(a, 0.0) / window if window > 0 else 0.0

    while remaining and not full():
        below = {
            acct(c.country)
            for c in remaining
            if share(acct(c.country)) < target.get(acct(c.country), 0.0) - _EPS
        }
        pick = None
        for c in remaining:
            a = acct(c.country)
            over = share(a) > target.get(a, 0.0) + balance.tolerance - _EPS
            if not over or not (below - {a}):
                pick = c
                break
            reasons.setdefault(c.index, f"balanced: {a} above its target share")
        if pick is None:
            break
        remaining.remove(pick)
        a = acct(pick.country)
        if not give(
            pick,
            f"balanced: merit order ({a} at {share(a):.0%} of a target {target.get(a, 0.0):.0%})",
        ):
            reasons[pick.index] = "balanced: not granted (inventory)"
    for c in remaining:
        reasons.setdefault(c.index, "balanced: not granted (award limit)")
    return grants, reasons
