"""Review routes (issue 10): the technical feasibility / curation review (``[feasibility]``)
and its checks (called by :mod:`samplesim.scenario.checks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from samplesim.distributions import Distribution, Fixed

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker
    from samplesim.scenario.schema import Scenario

__all__ = ["MAX_FEASIBILITY_STAFF", "Feasibility", "check_routes"]

#: Most simultaneous feasibility assessments (curation staff).
MAX_FEASIBILITY_STAFF = 10_000


def _fixed(value: float) -> Any:
    return attrs.Factory(lambda: Fixed(value))


@attrs.frozen
class Feasibility:
    """Technical feasibility / curation review between screening and peer review
    (``[feasibility]``): ``staff`` assessments at once, each taking ``duration`` days; a
    proposal is declined (``infeasible``) with ``decline_probability``, else its request is
    shrunk with ``shrink_probability`` to the fraction ``shrink_to`` (values above 1 keep it
    whole)."""

    enabled: bool = False
    staff: int = 1
    duration: Distribution = _fixed(14)
    decline_probability: float = 0.0
    shrink_probability: float = 0.0
    shrink_to: Distribution = _fixed(0.5)


def check_routes(ck: _Checker, sc: Scenario) -> None:
    """Record every problem of the review-route keys of ``sc`` on ``ck``."""
    fe = sc.feasibility
    if not 1 <= fe.staff <= MAX_FEASIBILITY_STAFF:
        ck.fail(
            "feasibility.staff", f"must be between 1 and {MAX_FEASIBILITY_STAFF} (got {fe.staff})"
        )
    ck.duration("feasibility.duration", fe.duration)
    ck.prob("feasibility.decline_probability", fe.decline_probability)
    ck.prob("feasibility.shrink_probability", fe.shrink_probability)
    if not fe.shrink_to.minimum > 0:
        ck.fail(
            "feasibility.shrink_to",
            f"the fraction of the request kept must be greater than 0 (this {fe.shrink_to.kind} "
            f"reaches {fe.shrink_to.minimum})",
        )
