"""Where reviewers come from: a reviewer pool, or the applicants themselves (distributed peer
review, as ESO has run it since P110; Kerzendorf et al., Nature Astronomy 2020).

With ``review.source = "distributed"`` every proposal's PI is a reviewer (reviewer id = the
proposal's index, country = its lead country) who reviews at most
``review.reviews_per_applicant`` proposals in all, never their own nor one from their own
institution (nor, with ``conflict_of_interest``, one from their own country), at reliability
``review.distributed_reliability`` (default ``review.reliability``). ``review.reviewers`` and
``reviewer_countries`` then do not apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from samplesim.model.arrivals import ProposalTable
from samplesim.model.conflicts import institution_conflicts
from samplesim.model.constants import constants
from samplesim.model.reviewers import ReviewerPool
from samplesim.model.round_limit import RoundLimit
from samplesim.scenario.routes import conflict_kinds
from samplesim.scenario.schema import Review, Scenario

__all__ = ["reviewer_source", "source_reliability"]


def reviewer_source(
    sc: Scenario, p: ProposalTable, country_of: Sequence[str]
) -> tuple[ReviewerPool, list[list[int]] | None]:
    """The run's reviewer pool and, for distributed review, each proposal's conflicted
    reviewers (its own PI and its institution's other PIs); for a reviewer pool, those in
    conflict by institution or team (:mod:`samplesim.model.conflicts`), None without."""
    rv = sc.review
    coi = "country" in conflict_kinds(rv)
    if rv.source == "pool":
        countries = list(constants(sc).reviewer_countries)
        pool = ReviewerPool(countries, rv.load, coi)
    else:
        pool = ReviewerPool(list(country_of), rv.reviews_per_applicant, coi, reuse=False)
    if rv.max_reviews_per_round is not None:
        pool.limit = RoundLimit(rv.max_reviews_per_round)
    if rv.source == "pool":  # conflicts by institution or team (None without)
        return pool, institution_conflicts(sc, p, constants(sc).applicants, countries)
    same: dict[int, list[int]] = {}
    for i, a in enumerate(p.applicant.tolist()):
        same.setdefault(a, []).append(i)
    return pool, [same[a] for a in p.applicant.tolist()]


def source_reliability(rv: Review) -> float:
    """The reliability of a review by this source's reviewers (alike reviewers)."""
    if rv.source == "distributed" and rv.distributed_reliability is not None:
        return rv.distributed_reliability
    return rv.reliability
