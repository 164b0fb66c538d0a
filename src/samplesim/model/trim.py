"""Trimmed awards: what a proposal may be granted at most (``allocation.trim_fraction``,
``allocation.award_cap``), applied to every candidate before any policy sees it, so the stock
a trim saves goes to the next in line."""

from __future__ import annotations

import math

__all__ = ["trim_request"]

_EPS = 1e-9


def _portions(amount: float, portion: float, *, up: bool) -> float:
    """``amount`` as a whole number of ``portion`` (nearest, or down when not ``up``)."""
    k = amount / portion
    n = math.floor(k + 0.5) if up else math.floor(k + _EPS)
    return round(n * portion, 12)


def trim_request(
    requested: dict[str, float],
    min_portion: dict[str, float],
    fraction: float,
    cap: float | None,
) -> dict[str, float]:
    """The trimmed request: each type's amount times ``fraction``, rounded to the nearest
    whole portion (at least one, never above the request); then, if the total exceeds
    ``cap``, every type scaled down in proportion and rounded down to whole portions (a type
    left with nothing is dropped; if all are, one portion of the largest). Unchanged when
    ``fraction == 1`` and ``cap`` is None."""
    if fraction == 1.0 and cap is None:
        return requested
    out: dict[str, float] = {}
    for t, g in requested.items():
        portion = min_portion.get(t, 0.0)
        if fraction == 1.0:
            out[t] = g
        elif portion > 0:
            out[t] = min(g, max(portion, _portions(g * fraction, portion, up=True)))
        else:
            out[t] = g * fraction
    total = sum(out.values())
    if cap is not None and total > cap + _EPS:
        scale = cap / total
        capped = {}
        for t, g in out.items():
            portion = min_portion.get(t, 0.0)
            give = _portions(g * scale, portion, up=False) if portion > 0 else g * scale
            if give > 0:
                capped[t] = min(give, g)
        if not capped:  # every type rounded to nothing: one portion of the largest, if it fits
            t = max(out, key=lambda k: (out[k], k))
            portion = min_portion.get(t, 0.0)
            if 0 < portion <= cap + _EPS:
                capped[t] = min(portion, out[t])
        out = capped
    return out
