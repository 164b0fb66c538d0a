"""Checks of the intake keys: proposal counts per call and requests as items or quanta
(called by :mod:`samplesim.scenario.checks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from samplesim import limits as L
from samplesim.scenario.agencies import agency_of
from samplesim.scenario.schema import Call, Scenario

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker

__all__ = ["check_intake", "count_values", "expected_in_call"]


def count_values(value: int | list[int]) -> list[int]:
    """The possible values of a count (a fixed count has one)."""
    return list(value) if isinstance(value, list) else [value]


def expected_in_call(sc: Scenario, call: Call) -> float:
    """An upper bound of the expected number of proposals of ``call`` (memory estimates)."""
    rate = {i.name: max(i.propensity, 0.0) * max(i.count, 0) for i in sc.institutions}
    pc = call.proposal_counts
    if pc is None:
        return sum(rate.values()) * max(call.demand, 0.0)
    listed = sum(max(count_values(v), default=0) for v in pc.by_institution.values())
    listed += sum(max(count_values(v), default=0) for v in pc.by_country.values())
    if pc.only_listed:
        return float(listed)
    free = sum(
        r for i in sc.institutions
        if i.name not in pc.by_institution and i.country not in pc.by_country
        for r in (rate[i.name],)
    )  # fmt: skip
    return listed + free * max(call.demand, 0.0)


def check_intake(ck: _Checker, sc: Scenario) -> None:
    """Record every problem of the intake keys of ``sc`` on ``ck``."""
    names = {i.name for i in sc.institutions}
    countries = {i.country for i in sc.institutions}
    for i, c in enumerate(sc.calls):
        pc = c.proposal_counts
        if pc is None:
            continue
        p = f"calls[{i}].proposal_counts"
        if not pc.by_country and not pc.by_institution:
            ck.fail(p, "needs by_country or by_institution")
        for key, table, known, what in (
            ("by_country", pc.by_country, countries, "country of an institution"),
            ("by_institution", pc.by_institution, names, "known institution"),
        ):
            for name, value in table.items():
                kp = f"{p}.{key}.{name}"
                if name not in known:
                    ck.fail(kp, f"{name!r} is not a {what} (known: {', '.join(sorted(known))})")
                for v in count_values(value):
                    if not 0 <= v <= L.MAX_PROPOSALS:
                        ck.fail(kp, f"counts must be between 0 and {L.MAX_PROPOSALS} (got {v})")
                        break
        for name in pc.by_country:
            members = [
                inst
                for inst in sc.institutions
                if inst.country == name
                and inst.name not in pc.by_institution
                and (not inst.applies_to or agency_of(sc, c) in inst.applies_to)
            ]
            if name in countries and sum(m.propensity for m in members) <= 0:
                ck.fail(
                    f"{p}.by_country.{name}",
                    "no institution of this country that applies to the call (and is not "
                    "listed in by_institution) has a propensity above 0 to share the count",
                )

    for i, c in enumerate(sc.calls):
        _check_meeting_deadlines(ck, f"calls[{i}].decision", c)
        _check_intent(ck, f"calls[{i}].intent", c)
    for i, s in enumerate(sc.inventory):
        ck.positive(f"inventory[{i}].item_grams", s.item_grams)
        ck.positive(f"inventory[{i}].quantum_g", s.quantum_g)
        if s.item_grams is not None and s.item_grams > s.grams:
            ck.fail(f"inventory[{i}].item_grams", f"exceeds the stock ({s.grams:g} g)")
        if s.quantum_g is not None and s.quantum_g > s.grams:
            ck.fail(f"inventory[{i}].quantum_g", f"exceeds the stock ({s.grams:g} g)")
        if s.item_grams is not None and s.quantum_g is not None:
            ck.fail(f"inventory[{i}].quantum_g", "a type requested as items takes no quantum_g")
    pm = sc.proposals
    items = pm.items_requested
    if items is not None:
        if not any(s.item_grams is not None for s in sc.inventory):
            ck.fail("proposals.items_requested", "no sample type sets item_grams")
        if items.minimum < 0:
            ck.fail(
                "proposals.items_requested", f"must not be negative (reaches {items.minimum:g})"
            )
    tp = pm.types_per_proposal
    if not isinstance(tp, int) and tp.minimum < 0:
        ck.fail("proposals.types_per_proposal", f"must not be negative (reaches {tp.minimum:g})")


def _check_meeting_deadlines(ck: _Checker, p: str, call: Call) -> None:
    d = call.decision
    meetings = bool(d.meeting_days or d.meeting_every_days)
    gap = d.request_deadline_days
    if gap is not None:
        if not 0 <= gap <= 3650:  # also refuses NaN
            ck.fail(f"{p}.request_deadline_days", f"must be between 0 and 3650 (got {gap})")
        elif not meetings:
            ck.fail(
                f"{p}.request_deadline_days",
                "is only used with decision meetings (meeting_days or meeting_every_days)",
            )
    if d.rush == "meetings" and not meetings:
        ck.fail(
            f"{p}.rush",
            '"meetings" needs decision meetings (meeting_days or meeting_every_days)',
        )


def _check_intent(ck: _Checker, p: str, call: Call) -> None:
    it = call.intent
    if it is None:
        return
    if not call.open_day <= it.deadline_day < call.close_day:
        ck.fail(
            f"{p}.deadline_day",
            f"must be in [open_day, close_day) = [{call.open_day:g}, {call.close_day:g}) "
            f"(got {it.deadline_day:g})",
        )
    elif not 0 <= it.outline_days < call.close_day - it.deadline_day:
        ck.fail(
            f"{p}.outline_days",
            f"must be at least 0 and end before close_day: under "
            f"{call.close_day - it.deadline_day:g} days (got {it.outline_days:g})",
        )
    ck.prob(f"{p}.proceed_probability", it.proceed_probability)
    if not 0 < it.outline_reliability <= 1:
        ck.fail(f"{p}.outline_reliability", f"must be in (0, 1] (got {it.outline_reliability})")
    if not 0 < it.invite_fraction <= 1:
        ck.fail(f"{p}.invite_fraction", f"must be in (0, 1] (got {it.invite_fraction})")
