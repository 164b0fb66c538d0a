"""Several curating agencies, reciprocal rules and diplomatic priorities: helpers and checks.

A scenario without ``[[agencies]]`` has one implicit agency named after ``agency_country``
(so every existing scenario means what it meant). With several agencies every call, sample
type and rule names its ``agency``; a call allocates only its agency's sample types and a
rule applies only to proposals of its agency's calls.

A rule with ``reciprocal_to = "other"`` is in force exactly while rule ``other`` is: it takes
that rule's ``from``/``until`` window (following chains of reciprocal rules). Removing a rule
in a variant (``remove_rules``) lifts every rule that mirrors it, too
(:func:`lifted_with`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from samplesim.scenario.schema import Agency, Call, Rule, SampleType, Scenario

__all__ = [
    "agencies",
    "agency_of",
    "check_agencies",
    "lifted_with",
    "priorities_of",
    "rule_window",
]


#: ``checks.COUNTRY_CODE`` (checks imports this module, so it is not imported from there).
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


def agencies(sc: Scenario) -> list[Agency]:
    """The scenario's agencies: ``[[agencies]]``, else one named after ``agency_country``."""
    return list(sc.agencies) or [Agency(sc.agency_country, sc.agency_country)]


def agency_of(sc: Scenario, entry: Call | SampleType | Rule) -> str:
    """The agency a call, sample type or rule belongs to (its ``agency``, else the only one)."""
    return entry.agency if entry.agency is not None else agencies(sc)[0].name


def priorities_of(sc: Scenario, agency: str) -> dict[str, float]:
    """The priority countries that weigh ``agency``'s allocations."""
    for a in agencies(sc):
        if a.name == agency and a.priority_countries is not None:
            return a.priority_countries
    return sc.allocation.priority_countries


def rule_window(sc: Scenario, rule: Rule) -> tuple[float, float]:
    """Days ``(from, until)`` in which ``rule`` is in force (``from <= day < until``); a
    reciprocal rule has the window of the rule it mirrors."""
    by_name = {r.name: r for r in sc.rules}
    seen = {rule.name}
    while rule.reciprocal_to is not None and rule.reciprocal_to in by_name:
        rule = by_name[rule.reciprocal_to]
        if rule.name in seen:  # a cycle: refused by check_agencies
            break
        seen.add(rule.name)
    lo = rule.in_force_from if rule.in_force_from is not None else -math.inf
    hi = rule.in_force_until if rule.in_force_until is not None else math.inf
    return lo, hi


def lifted_with(rules: Iterable[Mapping[str, Any]], removed: Iterable[str]) -> set[str]:
    """Names of raw ``rules`` removed along with ``removed``: those mirroring a removed rule
    (``reciprocal_to``), transitively, ``removed`` included."""
    rules = [r for r in rules if isinstance(r, Mapping)]
    out = set(removed)
    grew = True
    while grew:
        grew = False
        for r in rules:
            to, name = r.get("reciprocal_to"), r.get("name")
            if isinstance(to, str) and isinstance(name, str) and to in out and name not in out:
                out.add(r.get("name"))
                grew = True
    return out


def _check_agency_keys(ck: Any, sc: Scenario, names: list[str]) -> None:
    several = len(names) > 1
    for key, entries in (("calls", sc.calls), ("inventory", sc.inventory), ("rules", sc.rules)):
        for i, e in enumerate(entries):
            if e.agency is None:
                if several:
                    ck.fail(
                        f"{key}[{i}].agency",
                        f"required when there are several agencies (one of: {', '.join(names)})",
                    )
            elif e.agency not in names:
                ck.fail(
                    f"{key}[{i}].agency", f"unknown agency {e.agency!r} (known: {', '.join(names)})"
                )
    if not several:
        return
    types_of = {a: [s.name for s in sc.inventory if s.agency == a] for a in names}
    for i, c in enumerate(sc.calls):
        if c.agency not in types_of:
            continue
        mine = types_of[c.agency]
        # A call's own [calls.proposals] mix, else the scenario's.
        pm = c.proposals if c.proposals is not None else sc.proposals
        own = pm != sc.proposals
        weights = pm.sample_type_weights
        if not mine:
            ck.fail(f"calls[{i}].agency", f"agency {c.agency!r} has no inventory to allocate")
        elif weights and not any(weights.get(t, 0.0) > 0 for t in mine):
            ck.fail(
                f"calls[{i}].proposals.sample_type_weights"
                if own
                else "proposals.sample_type_weights",
                f"no sample type of agency {c.agency!r} has a positive weight, so proposals "
                f"to {c.name!r} could request nothing",
            )


def _check_reciprocity(ck: Any, sc: Scenario) -> None:
    by_name = {r.name: r for r in sc.rules}
    for i, r in enumerate(sc.rules):
        p = f"rules[{i}]"
        lo, hi = r.in_force_from, r.in_force_until
        if lo is not None and hi is not None and not hi > lo:
            ck.fail(f"{p}.until", f"must be after from ({lo:g})")
        if r.reciprocal_to is None:
            continue
        if r.reciprocal_to == r.name:
            ck.fail(f"{p}.reciprocal_to", "a rule cannot mirror itself")
            continue
        if r.reciprocal_to not in by_name:
            ck.fail(
                f"{p}.reciprocal_to",
                f"no rule named {r.reciprocal_to!r} (known: {', '.join(by_name)})",
            )
            continue
        if r.in_force_from is not None or r.in_force_until is not None:
            ck.fail(p, "a reciprocal rule takes the window of the rule it mirrors: no from/until")
        chain, cur = [r.name], r
        while cur.reciprocal_to is not None and cur.reciprocal_to in by_name:
            cur = by_name[cur.reciprocal_to]
            if cur.name in chain:
                ck.fail(
                    f"{p}.reciprocal_to",
                    f"reciprocal rules form a cycle ({' -> '.join([*chain, cur.name])})",
                )
                break
            chain.append(cur.name)


def check_agencies(ck: Any, sc: Scenario) -> None:
    """Agencies, the ``agency`` keys, reciprocal rules and priority countries; ``ck`` is the
    caller's ``checks._Checker`` (it collects the problems)."""
    ck.unique("agencies", [a.name for a in sc.agencies])
    countries = sc.countries
    tables: list[tuple[str, dict[str, float]]] = [
        ("allocation.priority_countries", sc.allocation.priority_countries)
    ]
    for i, a in enumerate(sc.agencies):
        if not _COUNTRY_CODE.fullmatch(a.country):
            ck.fail(
                f"agencies[{i}].country",
                f"{a.country!r} is not a country code (two capital letters, ISO 3166-1 alpha-2)",
            )
        if a.priority_countries is not None:
            tables.append((f"agencies[{i}].priority_countries", a.priority_countries))
    for path, table in tables:
        for country, bonus in table.items():
            ck.countries(path, [country], countries)
            ck.nonneg(f"{path}.{country}", bonus)
    names = [a.name for a in agencies(sc)]
    _check_agency_keys(ck, sc, names)
    for i, inst in enumerate(sc.institutions):
        ck.known(f"institutions[{i}].applies_to", inst.applies_to, names, "agency")
    _check_reciprocity(ck, sc)
