"""What every run of one scenario shares, computed once per :class:`Scenario` object.

A sweep runs thousands of small replications of the same scenario; recomputing its applicants,
agency masks, rule windows and reviewer countries in each one costs more than some of the
runs' own work. :func:`constants` computes them on first use and keeps them while the
scenario object lives (scenarios are frozen; a changed scenario, e.g. ``attrs.evolve``, is a
new object with its own entry). Nothing here is random.
"""

from __future__ import annotations

import attrs
import numpy as np

from samplesim.model.agencies import call_allocation, call_types, types_by_call
from samplesim.model.arrivals import Applicant, expand_institutions
from samplesim.model.memo import per_scenario
from samplesim.scenario.agencies import agency_of, rule_window
from samplesim.scenario.routes import institution_reviewers
from samplesim.scenario.schema import Allocation, Scenario

__all__ = ["ScenarioConstants", "constants"]


@attrs.frozen
class ScenarioConstants:
    """The run-independent, derived parts of one scenario (treat every field as read-only).

    Attributes:
        applicants: one per institution copy (:func:`expand_institutions`).
        types_by_call: ``(calls × sample types)`` bool, the types each call allocates.
        call_types: per call, the indices of the sample types it allocates.
        call_allocation: per call, ``[allocation]`` with its agency's priority countries.
        rule_windows: per rule, its ``(from, until)`` days in force.
        rule_calls: per rule, bool per call: the call is of the rule's agency.
        reviewer_countries: the country of each reviewer id ('' when not listed).
    """

    applicants: tuple[Applicant, ...]
    types_by_call: np.ndarray
    call_types: tuple[list[int], ...]
    call_allocation: tuple[Allocation, ...]
    rule_windows: tuple[tuple[float, float], ...]
    rule_calls: tuple[np.ndarray, ...]
    reviewer_countries: tuple[str, ...]


def _compute(sc: Scenario) -> ScenarioConstants:
    rv = sc.review
    reviewers: list[str] = []
    for country, k in rv.reviewer_countries.items():
        reviewers += [country] * k
    reviewers += institution_reviewers(sc)[1]  # then reviewers listed by institution
    reviewers += [""] * (rv.reviewers - len(reviewers))
    call_agency = [agency_of(sc, c) for c in sc.calls]
    return ScenarioConstants(
        applicants=tuple(expand_institutions(sc.institutions)),
        types_by_call=types_by_call(sc),
        call_types=tuple(call_types(sc, c) for c in sc.calls),
        call_allocation=tuple(call_allocation(sc, c) for c in sc.calls),
        rule_windows=tuple(rule_window(sc, r) for r in sc.rules),
        rule_calls=tuple(
            np.array([a == agency_of(sc, r) for a in call_agency], dtype=bool) for r in sc.rules
        ),
        reviewer_countries=tuple(reviewers),
    )


@per_scenario
def constants(sc: Scenario) -> ScenarioConstants:
    """The :class:`ScenarioConstants` of ``sc``, computed on the first call for this object."""
    return _compute(sc)
