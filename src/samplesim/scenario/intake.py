"""Intake keys: fixed or empirical proposal counts per call (``[calls.proposal_counts]``).

A count is a whole number (fixed for the call) or a list of whole numbers (an empirical
distribution: one value drawn uniformly per replication). Cross-field checks of these keys
and of the request keys (``inventory[].item_grams``, ``quantum_g``,
``proposals.items_requested``, ``proposals.types_per_proposal`` as a distribution) live in
:mod:`samplesim.scenario.intake_checks`.
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["Count", "Intent", "ProposalCounts"]

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


@attrs.frozen
class Intent:
    """A notice of intent (or outline) before the full proposal (``calls[i].intent``).

    Intents arrive between ``open_day`` and ``deadline_day`` (the call's propensities and
    counts then count intents). ``review = "outline"``: each outline gets a noisy score of
    merit (``outline_reliability``) and the top ``invite_fraction`` are invited. An invited
    intent (every intent with ``review = "none"``) is followed by a full proposal with
    ``proceed_probability``, submitted between ``deadline_day + outline_days`` and
    ``close_day``.
    """

    deadline_day: float
    proceed_probability: float = 1.0
    review: Literal["none", "outline"] = "none"
    outline_reliability: float = 0.3
    invite_fraction: float = 1.0
    outline_days: float = 0.0
