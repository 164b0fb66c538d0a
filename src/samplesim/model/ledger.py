"""The balance ledger: amounts granted per country per call, owned by the world and shared by
its call desks, so the ``balanced`` policy accounts shares across calls
(``allocation.balance.rounds``). Grants are counted when made (a grant withdrawn later still
counts: it was allocated to that country)."""

from __future__ import annotations

from typing import Any

__all__ = ["BalanceLedger", "ledger_for"]


class BalanceLedger:
    """Granted amounts by call and country, and the order in which calls first decided."""

    def __init__(self) -> None:
        self.order: list[int] = []
        self.by_call: dict[int, dict[str, float]] = {}

    def window(self, call: int, rounds: Any) -> dict[str, float]:
        """Amounts per country granted so far in ``call``'s accounting window: every call
        (``rounds = "all"``), or ``call`` and the calls that first decided before it,
        ``rounds`` calls in all."""
        if call not in self.order:
            self.order.append(call)
        pos = self.order.index(call)
        calls = self.order if rounds == "all" else self.order[max(0, pos - rounds + 1) : pos + 1]
        out: dict[str, float] = {}
        for c in calls:
            for country, g in self.by_call.get(c, {}).items():
                out[country] = out.get(country, 0.0) + g
        return out

    def record(self, call: int, country: str, amount: float) -> None:
        """``amount`` granted to a proposal led from ``country`` in ``call``."""
        if call not in self.order:
            self.order.append(call)
        per = self.by_call.setdefault(call, {})
        per[country] = per.get(country, 0.0) + amount


def ledger_for(policies: list[Any]) -> BalanceLedger | None:
    """A ledger if any call's policy ``wants_history`` (accounts shares across calls)."""
    return BalanceLedger() if any(getattr(p, "wants_history", False) for p in policies) else None
