"""Per-call settings in the model: which ``[review]``, ``[panel]``, ``[allocation]``,
``[proposals]``, ``[logistics]`` and ``[screening]`` a call's proposals follow, and how
calls group by equal setting (``keyed_by_call`` in :mod:`samplesim.model.arrivals` draws with
it).

A draw is still made from the proposal's entity block (call, institution, ordinal): a call's
override changes only its own proposals' values, and with no override anywhere every draw is
the one made before per-call settings existed (one group, no row mask).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from samplesim.scenario.schema import Call, Scenario

__all__ = ["by_call", "setting", "settings"]

T = TypeVar("T")


def setting(sc: Scenario, call: Call, section: str) -> Any:
    """``call``'s merged ``section`` table, or the top-level one when it overrides nothing."""
    return getattr(call, section, None) or getattr(sc, section)


def settings(sc: Scenario, section: str) -> list[Any]:
    """Each call's ``section`` (see :func:`setting`), in call order."""
    return [setting(sc, c, section) for c in sc.calls]


def by_call(values: list[T], call: np.ndarray) -> list[tuple[T, np.ndarray | None]]:
    """Calls grouped by equal setting: ``(value, rows)`` with ``rows`` the bool mask of the
    proposals of those calls (``call``: each proposal's call index); a single group has
    ``rows`` None (every proposal)."""
    groups: list[tuple[T, list[int]]] = []
    for ci, v in enumerate(values):
        for g, members in groups:
            if g == v:
                members.append(ci)
                break
        else:
            groups.append((v, [ci]))
    if len(groups) <= 1:
        return [(groups[0][0] if groups else values[0], None)] if values else []
    return [(v, np.isin(call, members)) for v, members in groups]
