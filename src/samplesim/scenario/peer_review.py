"""Checks of the peer-review keys: reviewers who differ, grade scale, invitations and
deadline, panel discussion, the lottery family (called by :mod:`samplesim.scenario.checks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from samplesim.scenario.schema import Allocation, GradeScale, Scenario

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker

__all__ = ["check_peer_review"]


def check_peer_review(ck: _Checker, sc: Scenario) -> None:
    """Record every problem of the peer-review keys of ``sc`` on ``ck``."""
    rv = sc.review
    for key, top in (("leniency_sd", 10.0), ("precision_sd", 5.0)):
        value = getattr(rv, key)
        if not 0 <= value <= top:  # also refuses NaN
            ck.fail(f"review.{key}", f"must be between 0 and {top:g} (got {value})")
    ck.prob("review.expertise", rv.expertise)
    out = rv.reliability_outside_expertise
    if out is not None and not 0 < out <= 1:
        ck.fail("review.reliability_outside_expertise", f"must be in (0, 1] (got {out})")
    _check_scale(ck, rv.scale)
    if not 0 <= rv.decline_probability <= 0.9:  # also refuses NaN
        ck.fail(
            "review.decline_probability",
            f"must be between 0 and 0.9 (got {rv.decline_probability})",
        )
    if not 0 <= rv.invitation_days <= 365:
        ck.fail("review.invitation_days", f"must be between 0 and 365 (got {rv.invitation_days})")
    if rv.deadline_days is not None and not 0 < rv.deadline_days <= 3650:
        ck.fail("review.deadline_days", f"must be in (0, 3650] (got {rv.deadline_days})")
    dd = rv.deadline_day
    if dd is not None and not 0 <= dd <= sc.horizon_days:
        ck.fail(
            "review.deadline_day",
            f"must be a day between 0 and horizon_days ({sc.horizon_days:g}) (got {dd})",
        )
    mr = rv.max_reviews_per_round
    if mr is not None and not 1 <= mr <= 100_000:
        ck.fail("review.max_reviews_per_round", f"must be a positive integer (got {mr})")
    if rv.reviews_per_applicant < 1:
        ck.fail(
            "review.reviews_per_applicant", f"must be at least 1 (got {rv.reviews_per_applicant})"
        )
    if rv.source == "distributed" and rv.reviews_per_applicant < rv.reviews_per_proposal:
        ck.fail(
            "review.reviews_per_applicant",
            f"must be at least reviews_per_proposal ({rv.reviews_per_proposal}) with distributed "
            "review: applicants would have fewer review slots than their proposals need",
        )
    dr = rv.distributed_reliability
    if dr is not None and not 0 < dr <= 1:
        ck.fail("review.distributed_reliability", f"must be in (0, 1] (got {dr})")
    pn = sc.panel
    if not 0 <= pn.discussion_sd <= 5:  # also refuses NaN
        ck.fail("panel.discussion_sd", f"must be between 0 and 5 (got {pn.discussion_sd})")
    _check_lottery(ck, sc.allocation)


def _check_scale(ck: _Checker, gs: GradeScale) -> None:
    """``[review.scale]``: both ends or neither, a whole number of steps (at most 1000)."""
    if (gs.low is None) != (gs.high is None):
        ck.fail("review.scale", "give both low and high (or neither: the latent scale)")
        return
    if gs.low is None or gs.high is None:
        return
    if not gs.low < gs.high:
        ck.fail("review.scale.high", f"must be greater than low ({gs.low}) (got {gs.high})")
        return
    if not gs.step > 0:
        ck.fail("review.scale.step", f"must be greater than 0 (got {gs.step})")
        return
    n = (gs.high - gs.low) / gs.step
    if not (abs(n - round(n)) < 1e-9 and 1 <= round(n) <= 1000):
        ck.fail(
            "review.scale.step",
            f"must divide high - low into a whole number (1 to 1000) of steps (got {n:g})",
        )


def _check_lottery(ck: _Checker, al: Allocation) -> None:
    """``[allocation.lottery]`` and the lottery among all eligible, which takes no bar."""
    lt = al.lottery
    if al.policy == "lottery_all" and al.score_bar is not None:
        ck.fail(
            "allocation.score_bar",
            'lottery_all draws among all eligible proposals; use policy = "lottery" for a '
            "lottery above a bar",
        )
    if lt.top_k < 0:
        ck.fail("allocation.lottery.top_k", f"must not be negative (got {lt.top_k})")
    if lt.grey_zone is not None and lt.grey_zone < 1:
        ck.fail("allocation.lottery.grey_zone", f"must be at least 1 (got {lt.grey_zone})")
    if not 0 <= lt.weight <= 50:  # also refuses NaN
        ck.fail("allocation.lottery.weight", f"must be between 0 and 50 (got {lt.weight})")
    if not 0 < lt.interval < 1:
        ck.fail("allocation.lottery.interval", f"must be in (0, 1) (got {lt.interval})")
