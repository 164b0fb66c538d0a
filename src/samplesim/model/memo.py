"""Per-scenario memoisation of what every run of a scenario recomputes the same way.

:func:`samplesim.model.constants.constants` and small helpers that belong to their own module
use it: ``@per_scenario`` caches ``f(sc)`` per
:class:`~samplesim.scenario.schema.Scenario` object while it lives (scenarios are frozen; an
evolved scenario is a new object). Nothing memoised may be random or mutated by a caller.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

from samplesim.scenario.schema import Scenario

__all__ = ["per_scenario"]

T = TypeVar("T")


def per_scenario(f: Callable[[Scenario], T]) -> Callable[[Scenario], T]:
    """``f`` computed once per scenario object (its entry goes with the scenario)."""
    cache: dict[int, tuple[weakref.ref, T]] = {}

    @functools.wraps(f)
    def memoised(sc: Scenario) -> T:
        key = id(sc)
        hit = cache.get(key)
        if hit is not None and hit[0]() is sc:
            return hit[1]
        value = f(sc)

        def forget(ref: weakref.ref) -> None:
            got = cache.get(key)
            if got is not None and got[0] is ref:
                del cache[key]

        cache[key] = (weakref.ref(sc, forget), value)
        return value

    return memoised
