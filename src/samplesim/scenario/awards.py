"""Award settings: trimmed awards and country balance (``[allocation]``,
``[allocation.balance]``), and their checks (called by :mod:`samplesim.scenario.checks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker
    from samplesim.scenario.schema import Scenario

__all__ = ["Balance", "check_awards"]

#: ``rounds`` as a number: at most this many calls (a sanity bound, not a memory one).
MAX_ROUNDS = 10_000


@attrs.frozen
class Balance:
    """Country balance of the ``balanced`` policy (``[allocation.balance]``).

    ``contribution``: target shares proportional to it, by country or group name (an account
    not listed has a target share of 0); ``minimum_share``: guaranteed minima by account;
    ``groups``: accounts of several countries; ``rounds``: ``"all"`` (cumulative over the
    run's calls so far) or N (the last N calls); ``tolerance``: how far above its target an
    account may go before it is skipped while others are below.
    """

    contribution: dict[str, float] = attrs.Factory(dict)
    minimum_share: dict[str, float] = attrs.Factory(dict)
    groups: dict[str, list[str]] = attrs.Factory(dict)
    rounds: Any = "all"
    tolerance: float = 0.0


def check_awards(ck: _Checker, sc: Scenario) -> None:
    """Record every problem of ``trim_fraction``, ``award_cap`` and ``[allocation.balance]``."""
    al = sc.allocation
    if not 0 < al.trim_fraction <= 1:
        ck.fail("allocation.trim_fraction", f"must be in (0, 1] (got {al.trim_fraction})")
    if al.award_cap is not None:
        smallest = max((s.min_portion_g for s in sc.inventory), default=0.0)
        if not al.award_cap > 0:
            ck.fail("allocation.award_cap", f"must be greater than 0 (got {al.award_cap})")
        elif al.award_cap < smallest:
            ck.fail(
                "allocation.award_cap",
                f"is below a sample type's min_portion_g ({smallest:g}): no award could be made",
            )
    _check_balance(ck, sc)


def _check_balance(ck: _Checker, sc: Scenario) -> None:
    b = sc.allocation.balance
    p = "allocation.balance"
    known = sc.countries
    grouped: dict[str, str] = {}
    for g, members in b.groups.items():
        if not members:
            ck.fail(f"{p}.groups.{g}", "must list at least one country")
        if g in known:
            ck.fail(f"{p}.groups.{g}", "a group name must not be a country of the scenario")
        ck.countries(f"{p}.groups.{g}", members, known)
        for c in members:
            if c in grouped:
                ck.fail(f"{p}.groups.{g}", f"{c!r} is already in group {grouped[c]!r}")
            grouped[c] = g
    for key in ("contribution", "minimum_share"):
        table: dict[str, float] = getattr(b, key)
        for name, value in table.items():
            path = f"{p}.{key}.{name}"
            if name in grouped:
                ck.fail(path, f"{name!r} is in group {grouped[name]!r}: use the group's name")
            elif name not in b.groups:
                ck.countries(path, [name], known)
            if key == "contribution" and not value > 0:
                ck.fail(path, f"must be greater than 0 (got {value})")
            if key == "minimum_share" and not 0 < value <= 1:
                ck.fail(path, f"must be in (0, 1] (got {value})")
    total = sum(b.minimum_share.values())
    if total > 1 + 1e-9:
        ck.fail(f"{p}.minimum_share", f"the minima add up to more than 1 (got {total:g})")
    r = b.rounds
    if r != "all" and (isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= MAX_ROUNDS):
        ck.fail(
            f"{p}.rounds", f'must be "all" or a whole number from 1 to {MAX_ROUNDS} (got {r!r})'
        )
    if not 0 <= b.tolerance <= 1:  # also refuses NaN
        ck.fail(f"{p}.tolerance", f"must be between 0 and 1 (got {b.tolerance})")
    if sc.allocation.policy == "balanced" and not b.contribution:
        ck.fail(f"{p}.contribution", 'policy = "balanced" needs at least one contribution')
