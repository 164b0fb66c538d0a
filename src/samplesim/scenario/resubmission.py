"""Resubmission (``[resubmission]``): a declined proposal comes back to a later call.

The settings and their checks (called by :mod:`samplesim.scenario.checks`); the model's
side is :mod:`samplesim.model.resubmission`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker
    from samplesim.scenario.schema import Scenario

__all__ = ["MAX_ATTEMPTS", "RESUBMITTABLE", "Resubmission", "check_resubmission"]

#: The terminal states a proposal may be resubmitted from (``resubmission.states``).
RESUBMITTABLE = ("declined", "not_shortlisted", "infeasible", "incomplete")
#: Most submissions of one proposal (``resubmission.max_attempts``).
MAX_ATTEMPTS = 5
#: Largest merit gain per resubmission, in latent merit SDs.
MAX_MERIT_GAIN = 3.0


@attrs.frozen
class Resubmission:
    """A proposal that ends in one of ``states`` is submitted again, with ``probability``,
    to the next call still open to it (see :mod:`samplesim.model.resubmission`), at most
    ``max_attempts`` submissions in all; its true merit grows by ``merit_gain`` (latent SDs)
    at each resubmission. Off with ``probability = 0`` (the default)."""

    probability: float = 0.0
    merit_gain: float = 0.0
    max_attempts: int = 2
    states: list[str] = attrs.Factory(lambda: ["declined", "not_shortlisted"])
    same_call: bool = True

    @property
    def enabled(self) -> bool:
        """Whether any proposal can come back."""
        return self.probability > 0


def check_resubmission(ck: _Checker, sc: Scenario) -> None:
    """Record every problem of ``sc``'s ``[resubmission]`` keys on ``ck``."""
    rs = sc.resubmission
    ck.prob("resubmission.probability", rs.probability)
    if not (math.isfinite(rs.merit_gain) and abs(rs.merit_gain) <= MAX_MERIT_GAIN):
        ck.fail(
            "resubmission.merit_gain",
            f"must be between -{MAX_MERIT_GAIN:g} and {MAX_MERIT_GAIN:g} latent merit SDs "
            f"(got {rs.merit_gain})",
        )
    if not 2 <= rs.max_attempts <= MAX_ATTEMPTS:
        ck.fail(
            "resubmission.max_attempts",
            f"must be between 2 and {MAX_ATTEMPTS} submissions of one proposal "
            f"(got {rs.max_attempts})",
        )
    if not rs.states:
        ck.fail("resubmission.states", "must list at least one terminal state")
    ck.choices("resubmission.states", list(rs.states), RESUBMITTABLE, "resubmittable state")
