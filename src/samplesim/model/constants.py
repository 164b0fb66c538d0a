"""What every run of one scenario shares, computed once per :class:`Scenario` object.

A sweep runs thousands of small replications of the same scenario; recomputing its applicants,
agency masks, rule windows and reviewer countries in each one costs more than some of the
runs' own work. :func:`constants` computes them on first use and keeps them while the
scenario object lives (scenarios are frozen; a changed scenario, e.g. ``attrs.evolve``, is a
new object with its own entry). Nothing here is random.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import attrs
import numpy as np

from samplesim.model.agencies import call_allocation, call_types, types_by_call
from samplesim.model.arrivals import Applicant, expand_institutions
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


#: id(scenario) -> (a weak reference to it, its constants); an entry goes with its scenario.
_CACHE: dict[int, tuple[weakref.ref, ScenarioConstants]] = {}


def constants(sc: Scenario) -> ScenarioConstants:
    """The :class:`ScenarioConstants` of ``sc``, computed on the first call for this object."""
    key = id(sc)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is sc:
        return hit[1]
    value = _compute(sc)
    _CACHE[key] = (weakref.ref(sc, _forget(key)), value)
    return value


def _forget(key: int) -> Callable[[weakref.ref], None]:
    """The callback that drops ``key``'s entry when its scenario goes (only that entry)."""

    def forget(ref: weakref.ref) -> None:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is ref:
            del _CACHE[key]

    return forget
