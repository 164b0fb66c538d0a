"""Conflicts of interest beyond country, and what reviewers who see the team add.

``review.conflicts`` may list ``institution`` (a reviewer never reviews a proposal led from
their own institution) and ``team`` (nor one whose team, lead and co-investigators, includes
their institution). A conflicted reviewer is put in the proposal's ``used`` list before any
invitation (:class:`~samplesim.model.reviewers.Reviews`), so the pool skips them as it skips
a proposal's own earlier reviewers. A co-investigator's institution whose conflicts would
leave fewer than ``reviews_per_proposal`` eligible reviewers is waived for that proposal
(the lead institution's never is: the loader checks that it leaves enough).

``review.identity_bias`` (institution kind -> shift in latent merit SDs) is what reviewers
who see the team's identity add to a proposal's merit; with ``review.dual_anonymous`` they
do not see it and the shift is exactly zero. No random number is drawn for either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from samplesim.model.arrivals import Applicant, ProposalTable
from samplesim.scenario.routes import conflict_kinds, institution_reviewers
from samplesim.scenario.schema import Scenario

__all__ = ["institution_conflicts", "perceived_merit"]


def institution_conflicts(
    sc: Scenario, p: ProposalTable, applicants: Sequence[Applicant], countries: Sequence[str]
) -> list[list[int]] | None:
    """Per proposal, the reviewer ids in conflict with it by institution or team (None when
    neither conflict applies). ``countries``: each reviewer id's country."""
    rv = sc.review
    kinds = conflict_kinds(rv)
    if not ({"institution", "team"} & set(kinds)) or not rv.reviewer_institutions:
        return None
    first = sum(rv.reviewer_countries.values())  # institution reviewers' ids start here
    by_inst: dict[str, list[int]] = {}
    for k, name in enumerate(institution_reviewers(sc)[0]):
        by_inst.setdefault(name, []).append(first + k)
    coi = "country" in kinds
    need, total = rv.reviews_per_proposal, len(countries)
    same_country: dict[str, int] = {}
    for c in countries:
        if c:
            same_country[c] = same_country.get(c, 0) + 1
    cache: dict[tuple[int, frozenset[str]], list[int]] = {}
    out = []
    for i, a in enumerate(p.applicant.tolist()):
        team = p.team_institutions[i] if "team" in kinds else frozenset()
        key = (a, team)
        hit = cache.get(key)
        if hit is None:
            lead = applicants[a]
            country = lead.country if coi else ""
            hit = list(by_inst.get(lead.name, ()))
            left = total - (same_country.get(country, 0) if country else 0)
            left -= sum(countries[r] != country for r in hit)
            for name in sorted(team - {lead.name}):
                extra = [r for r in by_inst.get(name, ()) if countries[r] != country]
                if left - len(extra) >= need:  # else waived: the proposal could not be reviewed
                    hit += extra
                    left -= len(extra)
            cache[key] = hit
        out.append(hit)
    return out


def perceived_merit(sc: Scenario, p: ProposalTable, applicants: Sequence[Applicant]) -> np.ndarray:
    """The merit reviewers see: the true merit plus the identity bias of the lead
    institution's kind, unless the review is dual-anonymous (then the merit itself)."""
    rv = sc.review
    if rv.dual_anonymous or not rv.identity_bias:
        return p.merit
    shift = np.array([rv.identity_bias.get(a.kind, 0.0) for a in applicants], dtype=float)
    return p.merit + shift[p.applicant]
