"""A call desk's allocation on arrays, for the built-in policies (:mod:`samplesim.policy_arrays`).

:func:`array_allocate` builds the decision's :class:`~samplesim.policy_arrays.Pool` straight
from the desk's per-row arrays (no :class:`~samplesim.policies.Candidate` per proposal), runs
the policy's array implementation and lends the grants in grant order with :func:`lend_rows`
(which :meth:`CallDesk.lend <samplesim.model.decisions.CallDesk.lend>` also uses).
A plugin policy, or a built-in one with the balance ledger's history, returns None: the desk
takes the Candidate path.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from samplesim.model.trim import trim_request
from samplesim.policy_arrays import ARRAY_POLICIES, Ask, Pool

if TYPE_CHECKING:
    from samplesim.model.decisions import CallDesk

__all__ = ["ENABLED", "array_allocate", "floats_at", "lend_rows", "pool_of", "ranked"]

#: Whether built-in policies run on arrays (False: every policy gets Candidate objects; the
#: tests compare the two paths).
ENABLED = True


def _asks(desk: CallDesk, rows: list[int]) -> list[Ask]:
    """Each row's request as ``(type, grams)`` pairs, trimmed as ``CallDesk.candidate`` does."""
    req = desk.requested[rows] if rows else np.zeros((0, desk.requested.shape[1]))
    al = desk.allocation
    if al.trim_fraction == 1.0 and al.award_cap is None:
        if req.shape[1] == 1:
            return [((0, g),) if g else () for g in req[:, 0].tolist()]
        return [tuple((t, g) for t, g in enumerate(r) if g) for r in req.tolist()]
    names = desk.inventory.names
    col = {n: t for t, n in enumerate(names)}
    portions = {n: float(desk.inventory.min_portion[t]) for t, n in enumerate(names)}
    out: list[Ask] = []
    for r in req.tolist():
        asked = {names[t]: g for t, g in enumerate(r) if g}
        trimmed = trim_request(asked, portions, al.trim_fraction, al.award_cap)
        out.append(tuple((col[n], g) for n, g in trimmed.items()))
    return out


def floats_at(x: Sequence[float], rows: Sequence[int] | np.ndarray) -> np.ndarray:
    """``x[i]`` for ``i`` in ``rows`` as floats (a view's gather for a typed or numpy array,
    the rows themselves for ``range(n)``)."""
    if isinstance(x, array):
        return np.frombuffer(x, dtype=float)[np.asarray(rows, dtype=np.int64)]
    if isinstance(x, np.ndarray):
        return np.asarray(x[np.asarray(rows, dtype=np.int64)], dtype=float)
    if isinstance(x, range) and x.start == 0 and x.step == 1:
        return np.asarray(rows, dtype=float)
    return np.array([float(x[i]) for i in rows], dtype=float)


def ranked(
    batch: list[int], score: np.ndarray | Mapping[int, float], tie: Sequence[float]
) -> tuple[list[int], set[int]]:
    """``batch`` by (-score, tiebreak, index), the unscored (NaN score) last in batch order,
    and the unscored: the order of ``sorted(batch, key=lambda i: (i in unscored, -score[i],
    tie[i], i))`` (NaN keys compare unordered, so a stable sort keeps them as they came)."""
    if not isinstance(score, np.ndarray) or not batch:
        unscored = {i for i in batch if np.isnan(score[i])}
        return sorted(batch, key=lambda i: (i in unscored, -score[i], tie[i], i)), unscored
    b = np.asarray(batch, dtype=np.int64)
    s = score[b]
    nan = np.isnan(s)
    ok = b[~nan]
    order = np.lexsort((ok, floats_at(tie, ok), -s[~nan]))
    last = b[nan].tolist()
    return ok[order].tolist() + last, set(last)


def pool_of(desk: CallDesk, rows: list[int], budget: dict[str, float]) -> Pool:
    """The candidates ``rows`` of ``desk`` (already past the score bar) as a pool."""
    return Pool(
        index=rows,
        country=[desk.country[i] for i in rows],
        score=np.asarray(desk.trace.final_score, dtype=float)[rows],
        tiebreak=floats_at(desk.tiebreak, rows),
        asks=_asks(desk, rows),
        portions=[float(x) for x in desk.inventory.min_portion],
        budget=budget,
        names=desk.inventory.names,
    )


def array_allocate(desk: CallDesk, rows: list[int], budget: dict[str, float]) -> set[int] | None:
    """Allocate ``budget`` among ``rows`` with the desk's built-in policy on arrays; the
    proposals approved (as ``CallDesk._allocate``), or None when the policy has no array
    implementation (a plugin) or wants the balance history."""
    fast = ARRAY_POLICIES.get(desk.policy) if ENABLED else None
    if fast is None or (desk.ledger is not None and getattr(desk.policy, "wants_history", False)):
        return None
    pool = pool_of(desk, rows, budget)
    grants, desk.reasons = fast(pool, desk.allocation, desk.alloc_rng)
    return lend_rows(desk, ((rows[k], dict(grant)) for k, grant in grants))


def lend_rows(desk: CallDesk, grants: Iterable[tuple[int, Mapping[int, float]]]) -> set[int]:
    """Lend ``(row, grams by sample-type index)`` grants in order from ``desk``'s inventory;
    the proposals approved: those that got grams, and those with a data-only (zero) request
    that were granted."""
    tr, inv, now, approved = desk.trace, desk.inventory, desk.env.now, set()
    for i, grant in grants:  # in grant order: the inventory's log follows it
        vec = np.zeros(len(inv.names))
        vec[list(grant)] = list(grant.values())
        total = vec.sum()
        if total > 0:
            inv.lend(now, vec)
            tr.granted[i] = vec
            tr.awarded[i] = total
            if desk.ledger is not None:
                desk.ledger.record(desk.index, desk.country[i], float(total))
        if tr.awarded[i] > 0 or not desk.requested[i].any():
            approved.add(i)
    return approved
