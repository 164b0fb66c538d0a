"""Size checks of a structured scenario, made before anything is allocated: hard limits that
keep the arithmetic sound (horizon, grams) and soft limits on the expected size of a run
(institutions, proposals, co-investigators, review slots, meetings) that ``--force`` lifts.
Every problem names its key path and the limit (see :mod:`samplesim.limits`)."""

from __future__ import annotations

import math

from samplesim import limits as L
from samplesim.scenario.errors import Problem
from samplesim.scenario.intake_checks import expected_in_call
from samplesim.scenario.schema import Scenario

__all__ = ["estimated_bytes", "expected_proposals", "hard_problems", "soft_problems"]

#: Rough memory per proposal row (record columns, trace, tables), for the estimate.
_BYTES_PER_PROPOSAL = 8192  # measured: 839 MiB for 100,000 proposals (README Performance)
_BYTES_PER_CO_INVESTIGATOR = 64


def expected_proposals(sc: Scenario) -> float:
    """An upper bound of the expected number of proposals of one run."""
    rate = sum(max(i.propensity, 0.0) * max(i.count, 0) for i in sc.institutions)
    first = sum(
        rate * max(c.demand, 0.0) if c.proposal_counts is None else expected_in_call(sc, c)
        for c in sc.calls
    )
    rs = sc.resubmission  # rows are reserved for every attempt a proposal may make
    return first * (max(rs.max_attempts, 1) if rs.enabled else 1)


def estimated_bytes(sc: Scenario) -> float:
    """A rough estimate of the memory one run needs."""
    coi = max(_mean(sc.proposals.co_investigators), 0.0)
    per = _BYTES_PER_PROPOSAL + _BYTES_PER_CO_INVESTIGATOR * coi
    return expected_proposals(sc) * per


def _mean(dist: object) -> float:
    try:
        m = float(dist.mean)  # type: ignore[attr-defined]
    except (AttributeError, NotImplementedError, ArithmeticError, TypeError, ValueError):
        return 0.0
    return m if math.isfinite(m) else math.inf


def _over(value: float, limit: float) -> bool:
    return not value <= limit  # NaN is over


def hard_problems(sc: Scenario) -> list[Problem]:
    """Problems of ``sc`` past a hard limit (never lifted)."""
    out: list[Problem] = []
    if _over(abs(sc.horizon_days), L.MAX_HORIZON_DAYS):
        out.append(
            Problem(
                "horizon_days",
                f"must be at most {L.MAX_HORIZON_DAYS:g} days (got {sc.horizon_days:g})",
            )
        )
    for i, s in enumerate(sc.inventory):
        if _over(abs(s.grams), L.MAX_GRAMS):
            out.append(
                Problem(
                    f"inventory[{i}].grams", f"must be at most {L.MAX_GRAMS:g} g (got {s.grams:g})"
                )
            )
        elif s.min_portion_g > 0 and _over(s.grams / s.min_portion_g, L.MAX_GRAM_RESOLUTION):
            out.append(
                Problem(
                    f"inventory[{i}].min_portion_g",
                    f"grams / min_portion_g must be at most {L.MAX_GRAM_RESOLUTION:g} "
                    "(finer portions are lost to float rounding)",
                )
            )
    for i, c in enumerate(sc.calls):
        cap = c.max_grams_per_proposal
        if cap is not None and _over(abs(cap), L.MAX_GRAMS):
            out.append(
                Problem(
                    f"calls[{i}].max_grams_per_proposal",
                    f"must be at most {L.MAX_GRAMS:g} g (got {cap:g})",
                )
            )
        for key in ("open_day", "close_day", "panel_day"):
            v = getattr(c, key)
            if v is not None and _over(abs(v), L.MAX_HORIZON_DAYS):
                out.append(
                    Problem(
                        f"calls[{i}].{key}",
                        f"must be within {L.MAX_HORIZON_DAYS:g} days (got {v:g})",
                    )
                )
    g = _mean(sc.proposals.grams_requested)
    if _over(g, L.MAX_GRAMS):
        out.append(
            Problem(
                "proposals.grams_requested", f"mean must be at most {L.MAX_GRAMS:g} g (got {g:g})"
            )
        )
    return out


def _soft(sc: Scenario) -> list[Problem]:
    out: list[Problem] = []
    hint = " (--force to run it anyway)"
    n_inst = sum(max(i.count, 0) for i in sc.institutions)
    if n_inst > L.MAX_INSTITUTIONS:
        j = max(range(len(sc.institutions)), key=lambda k: sc.institutions[k].count)
        out.append(
            Problem(
                f"institutions[{j}].count",
                f"{n_inst} institutions in all, over the limit of {L.MAX_INSTITUTIONS}{hint}",
            )
        )
    n = expected_proposals(sc)
    if _over(n, L.MAX_PROPOSALS):
        gib = estimated_bytes(sc) / 2**30
        j = max(range(len(sc.calls)), key=lambda k: expected_in_call(sc, sc.calls[k]))
        key = "proposal_counts" if sc.calls[j].proposal_counts is not None else "demand"
        out.append(
            Problem(
                f"calls[{j}].{key}",
                f"with institutions' propensity x count, about {n:.3g} expected proposals "
                f"per run (~{gib:.3g} GiB), over the limit of {L.MAX_PROPOSALS}{hint}",
            )
        )
    coi = _mean(sc.proposals.co_investigators)
    if _over(coi, L.MAX_CO_INVESTIGATORS):
        out.append(
            Problem(
                "proposals.co_investigators",
                f"mean {coi:.3g} per proposal, over the limit of {L.MAX_CO_INVESTIGATORS}{hint}",
            )
        )
    rv = sc.review
    slots = max(rv.reviewers, 0) * max(rv.load, 0)
    if slots > L.MAX_REVIEW_SLOTS:
        key = "review.load" if rv.load > rv.reviewers else "review.reviewers"
        out.append(
            Problem(
                key, f"reviewers x load = {slots}, over the limit of {L.MAX_REVIEW_SLOTS}{hint}"
            )
        )
    for i, c in enumerate(sc.calls):
        every = c.decision.meeting_every_days
        if every is not None and every > 0:
            meetings = abs(sc.horizon_days) / every
            if _over(meetings, L.MAX_MEETINGS):
                out.append(
                    Problem(
                        f"calls[{i}].decision.meeting_every_days",
                        f"gives {meetings:.3g} meetings over the horizon, over the "
                        f"limit of {L.MAX_MEETINGS}{hint}",
                    )
                )
    return out


def soft_problems(sc: Scenario) -> list[Problem]:
    """Soft-limit problems of ``sc`` (none inside :func:`samplesim.limits.forced`)."""
    return [] if L.is_forced() else _soft(sc)
