"""Checks of renewable, perishable resources (``[[inventory]]`` with ``renewable = true``),
called by :mod:`samplesim.scenario.checks`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from samplesim import limits as L

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker
    from samplesim.scenario.schema import Scenario

__all__ = ["check_resources", "n_periods"]

_PERIOD_KEYS = ("per_period", "period_days", "first_period_day")


def n_periods(first: float, every: float, horizon: float) -> int:
    """How many periods start before ``horizon`` (from ``first``, every ``every`` days)."""
    return max(0, math.ceil((horizon - first) / every)) if horizon > first else 0


def check_resources(ck: _Checker, sc: Scenario) -> None:
    """Record every problem of the renewable-resource keys of ``sc``'s inventory on ``ck``.

    A renewable resource has no standing stock: its ``grams`` must be 0 (what it offers is
    ``per_period``); a stock that is not renewable takes none of the period keys.
    """
    periods = 0
    for i, s in enumerate(sc.inventory):
        p = f"inventory[{i}]"
        if not s.renewable:
            for key in _PERIOD_KEYS:
                if getattr(s, key) is not None:
                    ck.fail(f"{p}.{key}", "only for a renewable resource (renewable = true)")
            continue
        if s.grams != 0:
            ck.fail(
                f"{p}.grams",
                f"must be 0 for a renewable resource: it offers per_period each period "
                f"(got {s.grams:g})",
            )
        for key in ("per_period", "period_days"):
            if getattr(s, key) is None:
                ck.fail(f"{p}.{key}", "required for a renewable resource")
        if s.per_period is not None:
            if not 0 < s.per_period <= L.MAX_GRAMS:
                ck.fail(f"{p}.per_period", f"must be in (0, {L.MAX_GRAMS:g}] (got {s.per_period})")
            elif s.min_portion_g > s.per_period:
                ck.fail(f"{p}.min_portion_g", f"exceeds per_period ({s.per_period:g})")
            elif s.min_portion_g > 0 and s.per_period / s.min_portion_g > L.MAX_GRAM_RESOLUTION:
                ck.fail(
                    f"{p}.min_portion_g",
                    f"per_period / min_portion_g must be at most {L.MAX_GRAM_RESOLUTION:g}",
                )
        first = 0.0 if s.first_period_day is None else s.first_period_day
        if not 0 <= first <= L.MAX_HORIZON_DAYS:
            ck.fail(f"{p}.first_period_day", f"must be a day from 0 (got {first})")
        if s.period_days is not None:
            if not 0 < s.period_days <= L.MAX_HORIZON_DAYS:
                ck.fail(f"{p}.period_days", f"must be greater than 0 (got {s.period_days})")
            elif 0 <= first <= L.MAX_HORIZON_DAYS:
                periods += n_periods(first, s.period_days, sc.horizon_days)
                if periods > L.MAX_PERIODS:
                    ck.fail(
                        f"{p}.period_days",
                        f"too short: the renewable resources would have more than "
                        f"{L.MAX_PERIODS} periods before the horizon",
                    )
