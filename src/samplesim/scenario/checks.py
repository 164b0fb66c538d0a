"""Cross-field checks of a structured scenario; every problem is reported with its key path.

Names of allocation policies and rule effects are checked against :class:`Registries`, handed
in by the caller (:mod:`samplesim.loading` passes the live registries of
:mod:`samplesim.policies` and :mod:`samplesim.rules`): this layer imports neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from samplesim.distributions import Distribution
from samplesim.scenario.agencies import check_agencies
from samplesim.scenario.awards import check_awards
from samplesim.scenario.errors import Problem
from samplesim.scenario.intake_checks import check_intake
from samplesim.scenario.observed import check_observed
from samplesim.scenario.peer_review import check_peer_review
from samplesim.scenario.per_call import check_calls
from samplesim.scenario.resources import check_resources
from samplesim.scenario.resubmission import check_resubmission
from samplesim.scenario.routes import check_routes, conflict_kinds
from samplesim.scenario.schema import Rule, Scenario
from samplesim.scenario.units import check_units

__all__ = ["COUNTRY_CODE", "Registries", "check_scenario", "check_warnings"]

#: A well-formed country code: two capital letters, the shape of ISO 3166-1 alpha-2 (``RU``).
#: Three letters are refused so that no code can be mistaken for the ``ALL`` aggregate.
COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@attrs.frozen
class Registries:
    """The names a scenario may use for ``allocation.policy`` and ``rules[i].effect`` (in
    registration order, as error messages list them)."""

    policies: tuple[str, ...] = attrs.field(converter=tuple)
    effects: tuple[str, ...] = attrs.field(converter=tuple)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def prob(self, path: str, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            self.fail(path, f"must be a probability between 0 and 1 (got {value})")

    def positive(self, path: str, value: float | None) -> None:
        if value is not None and not value > 0:
            self.fail(path, f"must be greater than 0 (got {value})")

    def nonneg(self, path: str, value: float | None) -> None:
        if value is not None and value < 0:
            self.fail(path, f"must not be negative (got {value})")

    def duration(self, path: str, dist: Distribution | None) -> None:
        if dist is not None and dist.minimum < 0:
            self.fail(
                path, f"a duration cannot be negative (this {dist.kind} reaches {dist.minimum})"
            )

    def unique(self, path: str, names: Iterable[str]) -> None:
        seen: set[str] = set()
        for i, n in enumerate(names):
            if not n:
                self.fail(f"{path}[{i}].name", "must not be empty")
            elif n in seen:
                self.fail(f"{path}[{i}].name", f"duplicate name {n!r}")
            seen.add(n)

    def countries(self, path: str, values: Iterable[str], known: list[str]) -> None:
        """Countries the scenario knows, or any well-formed code (a sanctions list may name
        countries without applicants: :func:`check_warnings` notes when none applies)."""
        for v in values:
            if v not in known and not COUNTRY_CODE.fullmatch(v):
                self.fail(
                    path,
                    f"{v!r} is not a country code (two capital letters, ISO 3166-1 alpha-2, "
                    f"e.g. RU; known here: {', '.join(known)})",
                )

    def known(self, path: str, values: Iterable[str], known: list[str], what: str) -> None:
        for v in values:
            if v not in known:
                self.fail(path, f"unknown {what} {v!r} (known: {', '.join(known)})")

    def choices(self, path: str, values: list[str], allowed: Iterable[str], what: str) -> None:
        """Each of ``values`` one of ``allowed`` (problem at ``path[j]``), none twice."""
        allowed = tuple(allowed)
        for j, v in enumerate(values):
            if v not in allowed:
                self.fail(f"{path}[{j}]", f"unknown {what} {v!r} (known: {', '.join(allowed)})")
        if len(set(values)) != len(values):
            self.fail(path, f"lists a {what} twice")


def check_scenario(sc: Scenario, known: Registries | None) -> list[Problem]:
    """All cross-field problems of ``sc`` (an empty list when it is valid); policy and effect
    names are checked against ``known`` (None: not checked, the caller checked them)."""
    ck = _Checker()
    countries = sc.countries
    types = sc.sample_types
    if not sc.name:
        ck.fail("name", "must not be empty")

    if not sc.inventory:
        ck.fail("inventory", "must list at least one sample type")
    ck.unique("inventory", types)
    for i, s in enumerate(sc.inventory):
        if not s.renewable:  # a renewable resource's grams are checked by check_resources
            ck.positive(f"inventory[{i}].grams", s.grams)
        ck.positive(f"inventory[{i}].min_portion_g", s.min_portion_g)
        if s.grams > 0 and s.min_portion_g > s.grams:
            ck.fail(f"inventory[{i}].min_portion_g", f"exceeds the stock ({s.grams} g)")

    if not sc.calls:
        ck.fail("calls", "must list at least one call")
    ck.unique("calls", [c.name for c in sc.calls])
    last_close = 0.0
    for i, c in enumerate(sc.calls):
        p = f"calls[{i}]"
        ck.nonneg(f"{p}.open_day", c.open_day)
        if not c.close_day > c.open_day:
            ck.fail(f"{p}.close_day", f"must be after open_day ({c.open_day:g})")
        last_close = max(last_close, c.close_day)
        ck.countries(f"{p}.eligible_countries", c.eligible_countries, countries)
        ck.positive(f"{p}.max_grams_per_proposal", c.max_grams_per_proposal)
        if not 0.0 <= c.reserve_fraction < 1.0:
            ck.fail(f"{p}.reserve_fraction", f"must be in [0, 1) (got {c.reserve_fraction})")
        ck.nonneg(f"{p}.demand", c.demand)
        if c.panel_day is not None and c.panel_day < c.close_day:
            ck.fail(f"{p}.panel_day", f"must not be before close_day ({c.close_day:g})")
        d = c.decision
        ck.positive(f"{p}.decision.meeting_every_days", d.meeting_every_days)
        for j, m in enumerate(d.meeting_days):
            if d.mode == "batch" and m < c.close_day:
                ck.fail(
                    f"{p}.decision.meeting_days[{j}]",
                    f"must be on or after close_day ({c.close_day:g}): a batch call is decided "
                    "after it closes",
                )
            elif m < c.open_day:
                ck.fail(f"{p}.decision.meeting_days[{j}]", f"is before open_day ({c.open_day:g})")
        fm = d.first_meeting_day
        if fm is not None:
            if d.meeting_every_days is None or d.meeting_days:
                ck.fail(
                    f"{p}.decision.first_meeting_day",
                    "is only used with meeting_every_days and no meeting_days (repeats "
                    "otherwise start after the last of meeting_days)",
                )
            elif d.mode == "batch" and fm < c.close_day:
                ck.fail(
                    f"{p}.decision.first_meeting_day",
                    f"must be on or after close_day ({c.close_day:g}): a batch call is decided "
                    "after it closes",
                )
            elif fm < c.open_day:
                ck.fail(f"{p}.decision.first_meeting_day", f"is before open_day ({c.open_day:g})")
        if sorted(d.meeting_days) != list(d.meeting_days):
            ck.fail(f"{p}.decision.meeting_days", "must be in increasing order")
        if d.mode == "rolling" and not d.meeting_days and d.meeting_every_days is None:
            ck.fail(f"{p}.decision", "a rolling call needs meeting_days or meeting_every_days")
    if sc.calls and not sc.horizon_days > last_close:
        ck.fail("horizon_days", f"must be after the last close_day ({last_close:g})")

    if not sc.institutions:
        ck.fail("institutions", "must list at least one institution")
    ck.unique("institutions", [i.name for i in sc.institutions])
    for i, inst in enumerate(sc.institutions):
        ck.nonneg(f"institutions[{i}].propensity", inst.propensity)
        if inst.count < 1:
            ck.fail(f"institutions[{i}].count", f"must be at least 1 (got {inst.count})")
        if not inst.country:
            ck.fail(f"institutions[{i}].country", "must not be empty")
    if sc.institutions and sum(i.propensity * i.count for i in sc.institutions) <= 0:
        ck.fail("institutions", "at least one institution needs a propensity above 0")
    for i, prt in enumerate(sc.partners):
        ck.positive(f"partners[{i}].weight", prt.weight)

    pm = sc.proposals
    g = pm.grams_requested
    # lognormal and exponential never reach their infimum 0; the other kinds can.
    if g.minimum < 0 or (g.minimum == 0 and g.kind not in ("lognormal", "exponential")):
        ck.fail(
            "proposals.grams_requested",
            f"requested grams must be positive (this {g.kind} reaches {g.minimum:g})",
        )
    for t, w in pm.sample_type_weights.items():
        ck.known("proposals.sample_type_weights", [t], types, "sample type")
        ck.nonneg(f"proposals.sample_type_weights.{t}", w)
    if pm.sample_type_weights and sum(pm.sample_type_weights.values()) <= 0:
        ck.fail("proposals.sample_type_weights", "must have a positive sum")
    tp = pm.types_per_proposal
    if isinstance(tp, int) and not 1 <= tp <= max(1, len(types)):
        ck.fail(
            "proposals.types_per_proposal",
            f"must be between 1 and the number of sample types ({len(types)})",
        )
    ck.prob("proposals.destructive_probability", pm.destructive_probability)
    ck.prob("proposals.foreign_partner_probability", pm.foreign_partner_probability)
    ck.prob("proposals.data_only_probability", pm.data_only_probability)
    ck.duration("proposals.co_investigators", pm.co_investigators)
    ck.nonneg("proposals.deadline_rush", pm.deadline_rush)

    ck.duration("screening.delay", sc.screening.delay)
    ck.prob("screening.incomplete_probability", sc.screening.incomplete_probability)

    ck.unique("rules", [r.name for r in sc.rules])
    for i, r in enumerate(sc.rules):
        p = f"rules[{i}]"
        if known is not None and r.effect not in known.effects:
            ck.fail(
                f"{p}.effect", f"unknown effect {r.effect!r} (known: {', '.join(known.effects)})"
            )
        s = r.selector
        for key in ("countries", "partner_countries", "any_member_countries"):
            ck.countries(f"{p}.selector.{key}", getattr(s, key), countries)
        ck.known(f"{p}.selector.sample_types", s.sample_types, types, "sample type")
        inst_names = [i.name for i in sc.institutions] + [q.institution for q in sc.partners]
        ck.known(f"{p}.selector.institutions", s.institutions, inst_names, "institution")
        ck.prob(f"{p}.success_probability", r.success_probability)
        for country, v in r.by_country.items():
            ck.countries(f"{p}.by_country", [country], countries)
            ck.prob(f"{p}.by_country.{country}", v)
        ck.duration(f"{p}.delay", r.delay)
        ck.duration(f"{p}.fallback_delay", r.fallback_delay)
        if r.effect == "ban" and (r.delay is not None or r.success_probability != 1.0):
            ck.fail(p, "a ban takes no delay or success_probability")
        _check_window_and_deterrence(ck, p, r)
        _consequences(ck, p, r)

    rv = sc.review
    if rv.reviewers < 1:
        ck.fail("review.reviewers", f"must be at least 1 (got {rv.reviewers})")
    if rv.load < 1:
        ck.fail("review.load", f"must be at least 1 (got {rv.load})")
    if not 1 <= rv.reviews_per_proposal <= max(1, rv.reviewers):
        ck.fail(
            "review.reviews_per_proposal",
            f"must be between 1 and the number of reviewers ({rv.reviewers})",
        )
    ck.duration("review.duration", rv.duration)
    if not 0 < rv.reliability <= 1:
        ck.fail("review.reliability", f"must be in (0, 1] (got {rv.reliability})")
    for country, n in rv.reviewer_countries.items():
        ck.nonneg(f"review.reviewer_countries.{country}", n)
    n_listed = sum(rv.reviewer_countries.values())
    if n_listed > rv.reviewers:
        ck.fail("review.reviewer_countries", f"adds up to more than reviewers ({rv.reviewers})")
    elif "country" in conflict_kinds(rv) and 1 <= rv.reviews_per_proposal <= rv.reviewers:
        # A proposal's reviews go to distinct reviewers outside its lead country (reviewers
        # listed under no country review anyone): with fewer, it would wait forever.
        k = rv.reviews_per_proposal
        for country in sorted({i.country for i in sc.institutions}):
            others = rv.reviewers - rv.reviewer_countries.get(country, 0)
            if others < k:
                ck.fail(
                    "review.reviewer_countries",
                    f"proposals led from {country} need {k} distinct reviewers from elsewhere "
                    f"(reviews_per_proposal) but only {others} of {rv.reviewers} are not from "
                    f"{country} (conflict_of_interest = true)",
                )
    sl = rv.shortlist
    if sl.top_k is not None and sl.top_k < 1:
        ck.fail("review.shortlist.top_k", f"must be at least 1 (got {sl.top_k})")
    if sl.top_fraction is not None and not 0 < sl.top_fraction <= 1:
        ck.fail("review.shortlist.top_fraction", f"must be in (0, 1] (got {sl.top_fraction})")

    check_peer_review(ck, sc)
    check_routes(ck, sc, check_scenario)
    pn = sc.panel
    if not 0 < pn.reliability <= 1:
        ck.fail("panel.reliability", f"must be in (0, 1] (got {pn.reliability})")
    ck.prob("panel.weight", pn.weight)
    ck.duration("panel.delay", pn.delay)

    al = sc.allocation
    if known is not None and al.policy not in known.policies:
        ck.fail(
            "allocation.policy",
            f"unknown policy {al.policy!r} (known: {', '.join(known.policies)})",
        )
    if al.max_awards is not None and al.max_awards < 1:
        ck.fail("allocation.max_awards", f"must be at least 1 (got {al.max_awards})")
    if not 0 < al.max_share <= 1:
        ck.fail("allocation.max_share", f"must be in (0, 1] (got {al.max_share})")
    for country, q in al.quota.items():
        ck.countries("allocation.quota", [country], countries)
        ck.nonneg(f"allocation.quota.{country}", q)
    ck.duration("allocation.approval_delay", al.approval_delay)
    check_awards(ck, sc)
    check_resources(ck, sc)
    check_resubmission(ck, sc)

    lg = sc.logistics
    ck.duration("logistics.agreement_delay", lg.agreement_delay)
    ck.duration("logistics.shipping_delay", lg.shipping_delay)
    ck.duration("logistics.loan_days", lg.loan_days)
    for country, dist in lg.shipping_by_country.items():
        ck.countries("logistics.shipping_by_country", [country], countries)
        ck.duration(f"logistics.shipping_by_country.{country}", dist)
    check_agencies(ck, sc)
    check_intake(ck, sc)
    per_call = check_calls(sc, lambda view: check_scenario(view, known))
    return ck.problems + per_call + check_observed(sc) + check_units(sc)


def _check_window_and_deterrence(ck: _Checker, p: str, r: Rule) -> None:
    """A rule's window (``from`` < ``until``) and the deterrence effect, which alone acts at
    the ``application`` gate (before submission) and alone takes ``application_multiplier``."""
    lo, hi = r.in_force_from, r.in_force_until
    if lo is not None and hi is not None and not hi > lo:
        ck.fail(f"{p}.until", f"must be after from ({lo:g})")
    m = r.application_multiplier
    if r.effect == "deterrence":
        if r.gate != "application":
            ck.fail(
                f"{p}.gate",
                f"a deterrence rule changes who applies: its gate is application (got {r.gate!r})",
            )
        if m is None:
            ck.fail(
                f"{p}.application_multiplier",
                "a deterrence rule needs it (0: selected institutions do not apply; 1: no effect)",
            )
        elif not 0.0 <= m <= 1.0:
            ck.fail(f"{p}.application_multiplier", f"must be between 0 and 1 (got {m})")
        if r.delay is not None or r.fallback_delay is not None or r.success_probability != 1.0:
            ck.fail(p, "a deterrence rule takes no delay, fallback_delay or success_probability")
        return
    if r.gate == "application":
        ck.fail(
            f"{p}.effect",
            f"only effect deterrence acts at the application gate, before submission (got "
            f'{r.effect!r}); selected institutions that never apply: effect = "deterrence", '
            "application_multiplier = 0",
        )
    if m is not None:
        ck.fail(f"{p}.application_multiplier", "only a deterrence rule takes it")


#: Built-in effects that never end in a condition, and those that do only with
#: ``on_failure = "condition"`` (plugin effects are not second-guessed).
_NEVER_CONDITION = ("ban",)
_CONDITION_ON_FAILURE = ("certification", "licence")


def _consequences(ck: _Checker, p: str, r: Rule) -> None:
    """The consequence keys of rule ``r`` (at key path ``p``): valid values, and only on a rule
    that can end in a condition."""
    ck.prob(f"{p}.withdraw_probability", r.withdraw_probability)
    if not 0.0 < r.grant_factor <= 1.0:
        ck.fail(f"{p}.grant_factor", f"must be in (0, 1] (got {r.grant_factor})")
    ck.duration(f"{p}.extra_delay", r.extra_delay)
    never = r.effect in _NEVER_CONDITION or (
        r.effect in _CONDITION_ON_FAILURE and r.on_failure != "condition"
    )
    if not never:
        return
    why = (
        "a ban never ends in a condition"
        if r.effect in _NEVER_CONDITION
        else f'a {r.effect} ends in a condition only with on_failure = "condition"'
    )
    for key, unset in (
        ("withdraw_probability", r.withdraw_probability == 0.0),
        ("extra_delay", r.extra_delay is None),
        ("grant_factor", r.grant_factor == 1.0),
    ):
        if not unset:
            ck.fail(f"{p}.{key}", f"is a consequence of a condition, but {why}")


def check_warnings(sc: Scenario) -> list[Problem]:
    """Things that are valid but probably not meant: a country list (a selector, eligibility,
    a per-country table) none of whose countries has an applicant, partner or reviewer."""
    known = set(sc.countries)
    lists: list[tuple[str, Iterable[str]]] = []
    for i, c in enumerate(sc.calls):
        lists.append((f"calls[{i}].eligible_countries", c.eligible_countries))
    for i, r in enumerate(sc.rules):
        for key in ("countries", "partner_countries", "any_member_countries"):
            lists.append((f"rules[{i}].selector.{key}", getattr(r.selector, key)))
        lists.append((f"rules[{i}].by_country", r.by_country))
    lists.append(("allocation.quota", sc.allocation.quota))
    lists.append(("logistics.shipping_by_country", sc.logistics.shipping_by_country))
    out = []
    if not any(s.export_controlled for s in sc.inventory):
        for i, r in enumerate(sc.rules):
            if r.selector.controlled_items:
                out.append(
                    Problem(
                        f"rules[{i}].selector.controlled_items",
                        "no inventory item is export_controlled, so this never applies",
                    )
                )
    for path, values in lists:
        values = list(values)
        if values and not known.intersection(values):
            out.append(
                Problem(
                    path,
                    f"no applicant, partner or reviewer is from {', '.join(values)}, "
                    "so this never applies",
                )
            )
    return out
