"""The workflow's vocabulary, declared once: stages, phases and terminal states.

Every stage a proposal can reach is one row of :data:`STAGES`. The trace's timestamp
columns (``<stage>_day``), the funnel, the timeline's phases and the experiment's day
metrics all derive from this table, so adding a stage means: the scenario schema and checks,
the model step that stamps it, and one row here (see docs/architecture.md).

This module imports nothing from samplesim: every layer may read it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = [
    "FUNNEL",
    "GATES",
    "PHASES",
    "STAGES",
    "STAGE_NAMES",
    "TERMINAL_STATES",
    "FunnelStep",
    "Stage",
    "stage",
]


@attrs.frozen
class Stage:
    """One stage of the workflow.

    Attributes:
        name: the stage's name; its timestamp column is ``<name>_day``.
        phase: the phase of the interval that *ends* at this stage (timeline colours);
            ``""`` for the first stage.
        description: what reaching the stage means.
        ends_in: terminal states a proposal can take at this stage (or while waiting for
            the next one).
    """

    name: str
    phase: str
    description: str
    ends_in: tuple[str, ...] = ()


#: Every proposal ends in exactly one of these (state -> meaning).
TERMINAL_STATES: Mapping[str, str] = {
    "incomplete": "failed the completeness check at screening",
    "ineligible": "not eligible for the call (country or institution kind)",
    "blocked": "stopped by a legal/export rule (the reason names the rule)",
    "withdrawn": "the team withdrew under a rule's condition (the reason names the rule)",
    "not_shortlisted": "reviewed but not shortlisted for the panel",
    "infeasible": "declined by the technical feasibility / curation review",
    "declined": "shortlisted (or reviewed) but not granted samples",
    "delivered": "samples in hand (the loan may since have been returned)",
    "pending": "still in the workflow when the run's horizon was reached",
    "deterred": "never applied: an application-gate rule deterred it (no stage reached)",
    "no_full_proposal": "sent a notice of intent but no full proposal",
    "not_invited": "sent a notice of intent (outline) but was not invited to a full proposal",
    "approved_no_material": "approved at the decision; a data-only request (no material)",
}

#: The stages in workflow order.
STAGES: tuple[Stage, ...] = (
    Stage("intent", "", "a notice of intent (outline) arrived (calls with [calls.intent])",
          ("no_full_proposal", "not_invited")),
    Stage("submitted", "intent & outline", "the (full) proposal arrived", ("pending", "deterred")),
    Stage("screened", "screening", "completeness and eligibility checked",
          ("incomplete", "ineligible")),
    Stage("cleared", "screening", "passed screening and the screening-gate rules",
          ("blocked", "withdrawn")),
    Stage("feasible", "feasibility review",
          "passed the technical feasibility / curation review (only with [feasibility])",
          ("infeasible",)),
    Stage("review_start", "peer review", "the first reviewer started"),
    Stage("reviewed", "peer review", "every independent review is in"),
    Stage("shortlisted", "shortlist & panel", "shortlisted (interviewed when there is a panel)",
          ("not_shortlisted",)),
    Stage("panel", "shortlist & panel", "the panel (interview) took place"),
    Stage("decision", "awaiting decision", "the agency decided (at a meeting)",
          ("declined", "approved_no_material")),
    Stage("agreement", "loan agreement", "the loan agreement is signed",
          ("blocked", "withdrawn")),
    Stage("shipped", "shipping", "cleared the shipping-gate rules and shipped",
          ("blocked", "withdrawn")),
    Stage("samples", "shipping", "samples in hand", ("delivered",)),
    Stage("returned", "samples on loan", "the loan ended (returned or consumed)"),
)  # fmt: skip

#: Stage names in workflow order.
STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)

#: Timeline phases in workflow order.
PHASES: tuple[str, ...] = tuple(dict.fromkeys(s.phase for s in STAGES if s.phase))

#: Gates where legal/export rules apply, in workflow order. ``application``: before a
#: proposal is submitted (deterrence: the rule changes who applies).
GATES: tuple[str, ...] = ("application", "screening", "agreement", "shipping")


@attrs.frozen
class FunnelStep:
    """One bar of the funnel: a label and the proposals-table test of having reached it.

    ``stage`` names a stage whose ``<stage>_day`` is set; ``"approved"`` counts proposals
    approved at the decision: awarded grams (``grams_awarded > 0``) or approved with a
    data-only request (state ``approved_no_material``).
    """

    label: str
    stage: str


#: The funnel's steps, in order.
FUNNEL: tuple[FunnelStep, ...] = (
    FunnelStep("intents", "intent"),  # shown only when some proposal has an intent
    FunnelStep("submitted", "submitted"),
    FunnelStep("screened", "screened"),
    FunnelStep("legally cleared", "cleared"),
    FunnelStep("shortlisted", "shortlisted"),
    FunnelStep("approved", "approved"),
    FunnelStep("samples in hand", "samples"),
)

_BY_NAME = {s.name: s for s in STAGES}


def stage(name: str) -> Stage:
    """The stage called ``name`` (``KeyError`` if there is none)."""
    return _BY_NAME[name]
