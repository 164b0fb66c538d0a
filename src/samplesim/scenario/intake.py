"""Intake keys: fixed or empirical proposal counts per call (``[calls.proposal_counts]``).

A count is a whole number (fixed for the call) or a list of whole numbers (an empirical
distribution: one value drawn uniformly per replication). Cross-field checks of these keys
and of the request keys (``inventory[].item_grams``, ``quantum_g``,
``proposals.items_requested``, ``proposals.types_per_proposal`` as a distribution) live in
:mod:`samplesim.scenario.intake_checks`.
"""

from __future__ import annotations

import attrs

__all__ = ["Count", "ProposalCounts"]

#: A proposal count: a fixed whole number, or a list of them (drawn uniformly per run).
Count = int | list[int]


@attrs.frozen
class ProposalCounts:
    """How many proposals a call receives (``calls[i].proposal_counts``).

    ``by_country``: a country's count is split among its institutions (that apply to the
    call) by propensity; ``by_institution``: an institution's count (split among its copies
    when ``count > 1``). Institutions of a listed country that are themselves listed are not
    part of the country's split. Unlisted ones keep Poisson(propensity × demand) unless
    ``only_listed``.
    """

    by_country: dict[str, Count] = attrs.Factory(dict)
    by_institution: dict[str, Count] = attrs.Factory(dict)
    only_listed: bool = False
