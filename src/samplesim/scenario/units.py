"""Resource units: what an inventory is counted in (``[[inventory]] unit``).

A scenario's sample types share one unit (grams of lunar soil, beam shifts, telescope
hours...): totals per country, per call and per run add amounts across types, which is
meaningless across units, so the checks refuse a scenario that mixes them. Tables keep their
column names (``grams_requested``, ``grams_granted``); labels, axes and reports show the unit.
"""

from __future__ import annotations

from typing import Any

from samplesim.scenario.errors import Problem

__all__ = ["DEFAULT_UNIT", "UNITS", "amount_label", "amount_noun", "check_units", "scenario_unit"]

#: The units a resource may be counted in.
UNITS: tuple[str, ...] = ("g", "mg", "kg", "items", "shifts", "hours", "days", "nights")
#: The unit of an inventory that names none.
DEFAULT_UNIT = "g"


def scenario_unit(sc: Any) -> str:
    """The unit of ``sc``'s inventory (every type has the same one once checked)."""
    inventory = getattr(sc, "inventory", None) or ()
    return getattr(inventory[0], "unit", DEFAULT_UNIT) if inventory else DEFAULT_UNIT


def amount_noun(unit: str) -> str:
    """What an amount in ``unit`` is called: ``grams`` for masses, else the unit itself."""
    return "grams" if unit in ("g", "mg", "kg") else unit


def amount_label(unit: str, what: str = "granted") -> str:
    """An axis or column label for an amount: ``grams granted (g)`` for grams, ``shifts
    granted (shifts)`` otherwise."""
    return f"{amount_noun(unit)} {what} ({unit})"


def check_units(sc: Any) -> list[Problem]:
    """Problems of the inventory's units: each one of :data:`UNITS`, all the same."""
    problems: list[Problem] = []
    first: str | None = None
    for i, s in enumerate(sc.inventory):
        unit = s.unit
        if unit not in UNITS:
            problems.append(
                Problem(
                    f"inventory[{i}].unit",
                    f"unknown unit {unit!r} (one of: {', '.join(UNITS)})",
                )
            )
        elif first is None:
            first = unit
        elif unit != first:
            problems.append(
                Problem(
                    f"inventory[{i}].unit",
                    f"is {unit!r} but an earlier sample type is in {first!r}: a scenario's "
                    "inventory uses one unit (totals add amounts across types)",
                )
            )
    return problems
