"""Checks of ``[observed]`` facts and ``[observed_joint]`` combinations, with key paths.

A fact names a metric of :data:`samplesim.metrics.METRICS` and which lead countries it
covers; a joint names count facts of one variant. Nothing here affects a simulation.
"""

from __future__ import annotations

from samplesim.metrics import METRICS
from samplesim.scenario.errors import Problem
from samplesim.scenario.schema import ObservedFact, Scenario

__all__ = ["ADDITIVE_UNITS", "check_observed", "lead_countries"]

#: Units whose per-country values add up to a group's value.
ADDITIVE_UNITS = ("count", "g")


def lead_countries(sc: Scenario) -> list[str]:
    """The applicants' countries: the per-country rows of every run's summary."""
    return sorted({i.country for i in sc.institutions})


def _check_fact(path: str, f: ObservedFact, sc: Scenario, out: list[Problem]) -> None:
    def fail(key: str, message: str) -> None:
        out.append(Problem(f"{path}.{key}" if key else path, message))

    m = METRICS.get(f.metric)
    if m is None:
        fail("metric", f"unknown metric {f.metric!r} (known: {', '.join(METRICS)})")
    leads = lead_countries(sc)
    given = [k for k in ("country", "countries", "exclude_countries") if getattr(f, k) is not None]
    if len(given) > 1:
        fail("", f"give at most one of country, countries, exclude_countries (got {given})")
    if f.country is not None and f.country != "ALL" and f.country not in leads:
        fail(
            "country",
            f"{f.country!r} is not an applicant's country here (known: ALL, {', '.join(leads)})",
        )
    for key in ("countries", "exclude_countries"):
        group = getattr(f, key)
        if group is None:
            continue
        for j, c in enumerate(group):
            if c not in leads:
                known = ", ".join(leads)
                fail(f"{key}[{j}]", f"{c!r} is not an applicant's country here ({known})")
        if key == "countries" and not group:
            fail(key, "must name at least one country")
        if key == "exclude_countries" and not set(leads) - set(group):
            fail(key, "excludes every applicant's country")
        if m is not None and (m.unit not in ADDITIVE_UNITS or m.scope != "country"):
            fail(
                key,
                f"a group of countries sums their values, which {f.metric!r} (unit {m.unit}) "
                f"does not allow; only count and gram metrics add up",
            )
    if m is not None and m.scope == "all" and f.country not in (None, "ALL"):
        fail("country", f"{f.metric!r} is defined for the whole run only (country ALL)")
    if m is not None and m.unit == "count" and (f.value < 0 or f.value != int(f.value)):
        fail("value", f"a count must be a whole number of at least 0 (got {f.value:g})")
    elif m is not None and m.unit in ("g", "days") and f.value < 0:
        fail("value", f"must not be negative (got {f.value:g})")
    known = ["baseline", *sc.variants]
    if f.variant not in known:
        fail("variant", f"no variant named {f.variant!r} (known: {', '.join(known)})")


def check_observed(sc: Scenario) -> list[Problem]:
    """Every problem of ``sc.observed`` and ``sc.observed_joint`` (empty when valid)."""
    out: list[Problem] = []
    for name, fact in sc.observed.items():
        _check_fact(f"observed.{name}", fact, sc, out)
    for name, joint in sc.observed_joint.items():
        path = f"observed_joint.{name}"
        if len(set(joint.facts)) < 2:
            out.append(Problem(f"{path}.facts", "must name at least two different facts"))
        variants = set()
        for j, fname in enumerate(joint.facts):
            fact = sc.observed.get(fname)
            if fact is None:
                known = ", ".join(sc.observed) or "none"
                message = f"no fact named {fname!r} (known: {known})"
                out.append(Problem(f"{path}.facts[{j}]", message))
                continue
            variants.add(fact.variant)
            m = METRICS.get(fact.metric)
            if m is not None and m.unit != "count":
                out.append(
                    Problem(
                        f"{path}.facts[{j}]",
                        f"{fname!r} is not a count ({fact.metric} is in {m.unit}): a joint "
                        "fact asks for exact equality, so it takes count facts only",
                    )
                )
        if len(variants) > 1:
            out.append(Problem(f"{path}.facts", "the facts must all be of the same variant"))
        if not 0 < joint.threshold < 1:
            out.append(Problem(f"{path}.threshold", f"must be in (0, 1) (got {joint.threshold})"))
    return out
