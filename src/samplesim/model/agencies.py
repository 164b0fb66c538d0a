"""Which sample types each call allocates and which proposals each rule applies to, when a
scenario holds several curating agencies (see :mod:`samplesim.scenario.agencies`).

With one agency every call sees every sample type and every rule every proposal: the masks
below are all true and change nothing.
"""

from __future__ import annotations

import attrs
import numpy as np

from samplesim.scenario.agencies import agency_of, priorities_of, rule_window
from samplesim.scenario.schema import Allocation, Call, Rule, Scenario

__all__ = [
    "applies",
    "call_allocation",
    "call_types",
    "rule_scope",
    "rule_windows",
    "types_by_call",
]


def applies(sc: Scenario, call: Call, n_applicants: int) -> np.ndarray | float:
    """1 for each applicant (institution copies in order) that applies to ``call``'s agency,
    else 0 (``institutions[].applies_to``); the scalar 1.0 when none restricts itself."""
    if not any(i.applies_to for i in sc.institutions):
        return 1.0
    mine = agency_of(sc, call)
    out = [
        float(not i.applies_to or mine in i.applies_to)
        for i in sc.institutions
        for _ in range(i.count)
    ]
    assert len(out) == n_applicants
    return np.array(out)


def types_by_call(sc: Scenario) -> np.ndarray:
    """``(calls × sample types)`` bool: the types each call's agency curates."""
    owner = [agency_of(sc, s) for s in sc.inventory]
    return np.array([[o == agency_of(sc, c) for o in owner] for c in sc.calls], dtype=bool)


def call_types(sc: Scenario, call: Call) -> list[int]:
    """Indices of the sample types ``call`` allocates (its agency's)."""
    mine = agency_of(sc, call)
    return [t for t, s in enumerate(sc.inventory) if agency_of(sc, s) == mine]


def call_allocation(sc: Scenario, call: Call) -> Allocation:
    """``call``'s allocation (its ``[calls.allocation]``, else ``[allocation]``) with the
    priority countries of its agency (unless the call sets its own)."""
    own = getattr(call, "allocation", None)
    al = own or sc.allocation
    if own is not None and own.priority_countries != sc.allocation.priority_countries:
        return own  # the call's own priority countries win over its agency's
    prio = priorities_of(sc, agency_of(sc, call))
    return al if prio is al.priority_countries else attrs.evolve(al, priority_countries=prio)


def rule_scope(sc: Scenario, rule: Rule, call: np.ndarray) -> np.ndarray:
    """Bool per proposal (``call``: each proposal's call index): its call is of the rule's
    agency."""
    mine = agency_of(sc, rule)
    of_agency = np.array([agency_of(sc, c) == mine for c in sc.calls], dtype=bool)
    return of_agency[call] if len(call) else np.zeros(0, dtype=bool)


def rule_windows(sc: Scenario) -> list[tuple[float, float]]:
    """Each rule's ``(from, until)`` days in force (a reciprocal rule: its mirror's)."""
    return [rule_window(sc, r) for r in sc.rules]
