"""The scenario classes: one frozen attrs class per TOML table.

These classes are plain data: they know nothing of simpy, files or plots. Field names are
the TOML keys. Defaults are what a key takes when it is left out. Cross-field checks live
in :mod:`samplesim.scenario.checks`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

from samplesim.distributions import Distribution, Fixed
from samplesim.scenario.awards import Balance
from samplesim.scenario.intake import Intent, ProposalCounts
from samplesim.scenario.panels import ReviewPanel, Route
from samplesim.scenario.resubmission import Resubmission
from samplesim.scenario.routes import Feasibility
from samplesim.stages import GATES

__all__ = [
    "Agency",
    "Allocation",
    "Balance",
    "Call",
    "Decision",
    "Feasibility",
    "GradeScale",
    "Institution",
    "Intent",
    "Logistics",
    "Lottery",
    "ObservedFact",
    "ObservedJoint",
    "Panel",
    "Partner",
    "ProposalCounts",
    "ProposalModel",
    "Resubmission",
    "Review",
    "ReviewPanel",
    "Route",
    "Rule",
    "SampleType",
    "Scenario",
    "Screening",
    "Selector",
    "Shortlist",
]

#: A rule's gate: one of :data:`samplesim.stages.GATES`.
Gate = Literal[GATES]  # type: ignore[valid-type]
#: Where grams withdrawn after approval go: back to stock, or to the call's waiting list.
Reallocation = Literal["stock", "waiting_list"]


def _fixed(value: float) -> Any:
    return attrs.Factory(lambda: Fixed(value))


@attrs.frozen
class SampleType:
    """A kind of sample in the inventory (``[[inventory]]``)."""

    name: str
    grams: float
    min_portion_g: float = 0.001
    description: str = ""
    #: A technology item under export control (selector ``controlled_items``); science
    #: samples are not (the default).
    export_controlled: bool = False
    agency: str | None = None
    #: What the stock is counted in (:data:`samplesim.scenario.units.UNITS`); the
    #: ``grams``/``_g`` keys and columns are amounts in this unit.
    unit: str = "g"
    #: Requested as whole items of this mass (thin sections, particles); None: any mass.
    item_grams: float | None = None
    #: Requests are rounded up to multiples of this mass; None: not rounded.
    quantum_g: float | None = None
    #: A renewable, perishable resource: ``per_period`` offered every ``period_days`` from
    #: ``first_period_day`` (default 0); what is not granted in a period expires.
    renewable: bool = False
    per_period: float | None = None
    period_days: float | None = None
    first_period_day: float | None = None


@attrs.frozen
class Decision:
    """When a call's decisions are taken (``calls[i].decision``).

    ``mode = "batch"``: the whole call is shortlisted together once every proposal is
    reviewed (never before ``close_day``), interviewed (if there is a panel).
    ``mode = "rolling"``: what is reviewed by a meeting is shortlisted at that meeting
    (Apollo/ANSMET style). Either way a call with meetings decides only at the first meeting
    on or after the panel plus the approval delay (none left before the horizon: the
    proposals stay pending); a batch call without meetings is decided the approval delay
    after its panel. Meetings: ``meeting_days``, then every ``meeting_every_days`` from the
    last of them, else from ``first_meeting_day`` or ``close_day``.
    """

    mode: Literal["batch", "rolling"] = "batch"
    meeting_days: list[float] = attrs.Factory(list)
    meeting_every_days: float | None = None
    first_meeting_day: float | None = None
    #: A proposal is considered at a meeting only if submitted at least this many days
    #: before it (later ones wait for the next meeting); None: no such deadline.
    request_deadline_days: float | None = None
    #: Where ``proposals.deadline_rush`` tilts submissions: towards ``close_day`` ("call")
    #: or towards each meeting's request deadline ("meetings").
    rush: Literal["call", "meetings"] = "call"


@attrs.frozen
class Call:
    """One call for proposals (a round), ``[[calls]]``."""

    name: str
    open_day: float
    close_day: float
    eligible_countries: list[str] = attrs.Factory(list)
    eligible_kinds: list[str] = attrs.Factory(list)
    max_grams_per_proposal: float | None = None
    reserve_fraction: float = 0.0
    demand: float = 1.0
    panel_day: float | None = None
    decision: Decision = attrs.Factory(Decision)
    agency: str | None = None
    reallocation: Reallocation | None = None
    #: Fixed or empirical proposal counts (``[calls.proposal_counts]``); None: Poisson.
    proposal_counts: ProposalCounts | None = None
    #: A notice of intent (or outline) stage before full proposals (``[calls.intent]``).
    intent: Intent | None = None
    # Per-call settings (``[calls.review]`` ...): the top-level table with the call's keys
    # merged in by the loader (:mod:`samplesim.scenario.per_call`); None: the top-level one.
    review: Review | None = None
    panel: Panel | None = None
    allocation: Allocation | None = None
    proposals: ProposalModel | None = None
    logistics: Logistics | None = None
    screening: Screening | None = None


@attrs.frozen
class Institution:
    """An applicant institution (``[[institutions]]``); ``count > 1`` makes numbered copies."""

    name: str
    country: str
    kind: str = "university"
    funders: list[str] = attrs.Factory(list)
    propensity: float = 1.0
    count: int = 1
    applies_to: list[str] = attrs.Factory(list)  # agencies it applies to ([] = every one)


@attrs.frozen
class Partner:
    """A possible co-investigator affiliation (``[[partners]]``)."""

    institution: str
    country: str
    funders: list[str] = attrs.Factory(list)
    weight: float = 1.0


@attrs.frozen
class ProposalModel:
    """How proposals look when they are drawn (``[proposals]``)."""

    grams_requested: Distribution = _fixed(0.3)
    sample_type_weights: dict[str, float] = attrs.Factory(dict)
    #: A whole number, or a distribution (integer draws >= 1, clipped to the types on offer).
    types_per_proposal: int | Distribution = 1
    destructive_probability: float = 0.5
    co_investigators: Distribution = _fixed(2)
    foreign_partner_probability: float = 0.3
    deadline_rush: float = 0.0
    #: Items requested per item type (``inventory[].item_grams``); None: one item.
    items_requested: Distribution | None = None
    #: Share of proposals that request no material (data, analysis or images only).
    data_only_probability: float = 0.0


@attrs.frozen
class Screening:
    """Completeness and eligibility checks (``[screening]``)."""

    delay: Distribution = _fixed(7)
    incomplete_probability: float = 0.0


@attrs.frozen
class Selector:
    """Which proposals a rule applies to; all given keys must match (AND), each list is OR."""

    countries: list[str] = attrs.Factory(list)
    funders: list[str] = attrs.Factory(list)
    partner_countries: list[str] = attrs.Factory(list)
    any_member_countries: list[str] = attrs.Factory(list)
    any_member_funders: list[str] = attrs.Factory(list)
    institutions: list[str] = attrs.Factory(list)
    kinds: list[str] = attrs.Factory(list)
    sample_types: list[str] = attrs.Factory(list)
    #: true: proposals requesting at least one ``export_controlled`` item; false: only
    #: proposals requesting none.
    controlled_items: bool | None = None


@attrs.frozen
class Rule:
    """A legal, export or sanctions rule (``[[rules]]``)."""

    name: str
    gate: Gate
    effect: str
    selector: Selector = attrs.Factory(Selector)
    reason: str = ""
    delay: Distribution | None = None
    success_probability: float = 1.0
    by_country: dict[str, float] = attrs.Factory(dict)
    on_failure: Literal["block", "condition"] = "block"
    condition: str = ""
    fallback_delay: Distribution | None = None
    #: Unit of randomness: one draw per proposal, one per call, or one per run.
    scope: Literal["proposal", "call", "run"] = "proposal"
    #: In force from this day (TOML key ``from``; None: always) until before ``until``.
    in_force_from: float | None = attrs.field(default=None, metadata={"key": "from"})
    in_force_until: float | None = attrs.field(default=None, metadata={"key": "until"})
    #: ``deterrence``: the share of selected applications still made (0: none).
    application_multiplier: float | None = None
    # Consequences of a "condition" outcome (see samplesim.model.consequences):
    withdraw_probability: float = 0.0
    extra_delay: Distribution | None = None
    grant_factor: float = 1.0
    agency: str | None = None
    #: In force exactly while the named rule is (it takes that rule's window).
    reciprocal_to: str | None = None


@attrs.frozen
class Agency:
    """A curating agency (``[[agencies]]``) with its own calls, inventory and rules;
    ``priority_countries`` (None: ``allocation.priority_countries``) weighs its allocations."""

    name: str
    country: str
    priority_countries: dict[str, float] | None = None


@attrs.frozen
class Shortlist:
    """Who goes on to the panel (``[review.shortlist]``); unset keys do not filter."""

    top_k: int | None = None
    top_fraction: float | None = None
    score_bar: float | None = None


@attrs.frozen
class GradeScale:
    """The scale reviews are reported on (``[review.scale]``); unset: the latent scale."""

    low: float | None = None
    high: float | None = None
    step: float = 1.0
    lower_is_better: bool = False


@attrs.frozen
class Review:
    """Independent peer review by a reviewer pool (``[review]``)."""

    reviewers: int = 9
    load: int = 1
    reviews_per_proposal: int = 3
    duration: Distribution = _fixed(21)
    reliability: float = 0.2
    reviewer_countries: dict[str, int] = attrs.Factory(dict)
    conflict_of_interest: bool = True
    shortlist: Shortlist = attrs.Factory(Shortlist)
    leniency_sd: float = 0.0
    precision_sd: float = 0.0
    expertise: float = 1.0
    reliability_outside_expertise: float | None = None
    scale: GradeScale = attrs.Factory(GradeScale)
    ties: Literal["submission", "random"] = "submission"
    decline_probability: float = 0.0
    invitation_days: float = 7.0
    deadline_days: float | None = None
    max_reviews_per_round: int | None = None
    source: Literal["pool", "distributed"] = "pool"
    reviews_per_applicant: int = 3
    distributed_reliability: float | None = None
    deadline_day: float | None = None
    conflicts: list[str] | None = None
    reviewer_institutions: dict[str, int] = attrs.Factory(dict)
    dual_anonymous: bool = False
    identity_bias: dict[str, float] = attrs.Factory(dict)
    panels: list[ReviewPanel] = attrs.Factory(list)
    normalise_panels: bool = False


@attrs.frozen
class Panel:
    """Panel or interview of the shortlist (``[panel]``)."""

    enabled: bool = True
    reliability: float = 0.2
    weight: float = 0.5
    delay: Distribution = _fixed(30)
    discussion_sd: float = 0.0


@attrs.frozen
class Lottery:
    """Settings of the lottery-family policies (``[allocation.lottery]``)."""

    top_k: int = 0
    grey_zone: int | None = None
    weight: float = 1.0
    interval: float = 0.5


@attrs.frozen
class Allocation:
    """How grams are granted (``[allocation]``)."""

    policy: str = "merit_rank"
    score_bar: float | None = None
    max_awards: int | None = None
    partial: bool = False
    max_share: float = 1.0
    quota: dict[str, int] = attrs.Factory(dict)
    approval_delay: Distribution = _fixed(0)
    options: dict[str, Any] = attrs.Factory(dict)
    priority_countries: dict[str, float] = attrs.Factory(dict)
    reallocation: Reallocation = "stock"
    lottery: Lottery = attrs.Factory(Lottery)
    #: Each award is this fraction of the request (rounded to the type's portion).
    trim_fraction: float = 1.0
    #: The most one award may total (None: no cap).
    award_cap: float | None = None
    balance: Balance = attrs.Factory(Balance)


@attrs.frozen
class Logistics:
    """Loan agreement, shipping and loan period (``[logistics]``)."""

    agreement_delay: Distribution = _fixed(14)
    shipping_delay: Distribution = _fixed(21)
    shipping_by_country: dict[str, Distribution] = attrs.Factory(dict)
    loan_days: Distribution = _fixed(365)


@attrs.frozen
class ObservedFact:
    """What happened, to check a scenario against (``[observed.NAME]``); never simulated.

    ``metric`` is a :data:`samplesim.metrics.METRICS` name for ``country`` (default ``ALL``),
    or summed over ``countries`` / all lead countries but ``exclude_countries`` (additive
    metrics only). ``input``: the scenario was calibrated to it (else it is emergent).
    """

    value: float
    metric: str
    country: str | None = None
    countries: list[str] | None = None
    exclude_countries: list[str] | None = None
    variant: str = "baseline"
    label: str = ""
    source: str = ""
    input: bool = False


@attrs.frozen
class ObservedJoint:
    """Observed facts that happened together (``[observed_joint.NAME]``): the simulated
    probability that every named count fact equals its observed value in the same run."""

    facts: list[str]
    label: str = ""
    threshold: float = 0.05


@attrs.frozen
class Scenario:
    """A whole scenario file. ``variants`` holds raw override tables (see ``variants``)."""

    name: str
    start_date: dt.date
    inventory: list[SampleType]
    calls: list[Call]
    institutions: list[Institution]
    description: str = ""
    agency_country: str = "CN"
    horizon_days: float = 3650.0
    partners: list[Partner] = attrs.Factory(list)
    proposals: ProposalModel = attrs.Factory(ProposalModel)
    screening: Screening = attrs.Factory(Screening)
    rules: list[Rule] = attrs.Factory(list)
    review: Review = attrs.Factory(Review)
    panel: Panel = attrs.Factory(lambda: Panel(enabled=False))
    allocation: Allocation = attrs.Factory(Allocation)
    logistics: Logistics = attrs.Factory(Logistics)
    variants: dict[str, dict[str, Any]] = attrs.Factory(dict)
    observed: dict[str, ObservedFact] = attrs.Factory(dict)
    observed_joint: dict[str, ObservedJoint] = attrs.Factory(dict)
    agencies: list[Agency] = attrs.Factory(list)
    # Set by the loader, not by the file:
    source: str = attrs.field(default="", eq=False)
    variant: str = attrs.field(default="baseline")
    digest: str = attrs.field(default="", eq=False)
    feasibility: Feasibility = attrs.Factory(Feasibility)
    resubmission: Resubmission = attrs.Factory(Resubmission)

    @property
    def countries(self) -> list[str]:
        """Every country the scenario knows (institutions, partners, reviewers, agency)."""
        seen = {i.country for i in self.institutions}
        seen |= {p.country for p in self.partners}
        seen |= set(self.review.reviewer_countries)
        seen.add(self.agency_country)
        seen |= {a.country for a in self.agencies}
        return sorted(seen)

    @property
    def sample_types(self) -> list[str]:
        """Names of the inventory's sample types, in file order."""
        return [s.name for s in self.inventory]

    def date_of(self, day: float) -> dt.date:
        """The calendar date of simulation day ``day``."""
        return self.start_date + dt.timedelta(days=float(day))
