"""Panel discussion: how far discussion moves a proposal's score from the mean of its reviews,
calibrated to NIH.

NIH reports that panel discussion materially changes the outcome for more than 13 % of R01
applications (FACTS §6, "Discussion effects", [V]: PMC2984433). The model adds δ ~ N(0, s²)
to the review mean of each discussed (shortlisted) proposal (``panel.discussion_sd`` = s);
:func:`calibrate_discussion` finds the s for which a given share of the discussed proposals
lands on the other side of the funding line than the mean of its reviews would have put it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NIH_DISCUSSION_CHANGED", "calibrate_discussion", "discussion_flip_share"]

#: Share of NIH R01 applications whose outcome discussion materially changes (a lower bound).
NIH_DISCUSSION_CHANGED = 0.13


def discussion_flip_share(
    sd: float,
    reliability: float = 0.2,
    reviews: int = 3,
    funded_share: float = 0.4,
    draws: int = 200_000,
    seed: int = 0,
) -> float:
    """Share of discussed proposals funded with discussion (shift N(0, sd²)) but not without
    it, or the reverse, when ``funded_share`` of them are funded (Monte Carlo, fixed seed)."""
    rng = np.random.default_rng(seed)
    merit = rng.standard_normal(draws)
    noise = rng.standard_normal((draws, reviews)).mean(axis=1)
    before = np.sqrt(reliability) * merit + np.sqrt(1 - reliability) * noise
    after = before + sd * rng.standard_normal(draws)
    q = 1 - funded_share
    funded_before = before > np.quantile(before, q)
    funded_after = after > np.quantile(after, q)
    return float(np.mean(funded_before != funded_after))


def calibrate_discussion(
    target: float = NIH_DISCUSSION_CHANGED,
    reliability: float = 0.2,
    reviews: int = 3,
    funded_share: float = 0.4,
) -> float:
    """The ``panel.discussion_sd`` whose flip share is ``target`` (bisection on a fixed
    Monte Carlo sample, so the answer is reproducible)."""
    lo, hi = 0.0, 5.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if discussion_flip_share(mid, reliability, reviews, funded_share) < target:
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2, 3)
