"""Review routes (issue 10): the technical feasibility / curation review (``[feasibility]``)
and its checks (called by :mod:`samplesim.scenario.checks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from samplesim.distributions import Distribution, Fixed
from samplesim.scenario.panels import check_panels

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker
    from samplesim.scenario.panels import Check
    from samplesim.scenario.schema import Review, Scenario

__all__ = [
    "CONFLICT_KINDS",
    "MAX_FEASIBILITY_STAFF",
    "Feasibility",
    "check_routes",
    "conflict_kinds",
    "institution_country",
    "institution_reviewers",
]

#: What can put a reviewer in conflict with a proposal (``review.conflicts``).
CONFLICT_KINDS = ("country", "institution", "team")
#: Largest identity bias, in latent merit SDs.
MAX_IDENTITY_BIAS = 5.0

#: Most simultaneous feasibility assessments (curation staff).
MAX_FEASIBILITY_STAFF = 10_000


def _fixed(value: float) -> Any:
    return attrs.Factory(lambda: Fixed(value))


@attrs.frozen
class Feasibility:
    """Technical feasibility / curation review between screening and peer review
    (``[feasibility]``): ``staff`` assessments at once, each taking ``duration`` days; a
    proposal is declined (``infeasible``) with ``decline_probability``, else its request is
    shrunk with ``shrink_probability`` to the fraction ``shrink_to`` (values above 1 keep it
    whole)."""

    enabled: bool = False
    staff: int = 1
    duration: Distribution = _fixed(14)
    decline_probability: float = 0.0
    shrink_probability: float = 0.0
    shrink_to: Distribution = _fixed(0.5)


def conflict_kinds(rv: Review) -> tuple[str, ...]:
    """The review's conflicts of interest: ``review.conflicts`` when given, else
    ``("country",)`` under ``conflict_of_interest`` (the old switch) and none without."""
    if rv.conflicts is not None:
        return tuple(rv.conflicts)
    return ("country",) if rv.conflict_of_interest else ()


def institution_country(sc: Scenario, name: str) -> str | None:
    """The country of the institution a reviewer may belong to (None if there is none): an
    applicant (``Name``, or ``Name #k`` with ``count > 1``) or a partner institution. Counted
    copies are not expanded: ``count`` may be large."""
    for inst in sc.institutions:
        if inst.count == 1 and name == inst.name:
            return inst.country
        head, sep, k = name.rpartition(" #")
        if (
            inst.count > 1
            and sep
            and head == inst.name
            and k.isdigit()
            and 1 <= int(k) <= inst.count
        ):
            return inst.country
    for pt in sc.partners:
        if pt.institution == name:
            return pt.country
    return None


def _known_institutions(sc: Scenario) -> str:
    """The institution names a reviewer may belong to, for a message."""
    names = [i.name if i.count == 1 else f"{i.name} #1..#{i.count}" for i in sc.institutions]
    return ", ".join([*names, *(pt.institution for pt in sc.partners)])


def institution_reviewers(sc: Scenario) -> tuple[list[str], list[str]]:
    """Institution and country of each reviewer listed in ``review.reviewer_institutions``, in
    file order (their ids follow the reviewers listed by country)."""
    names: list[str] = []
    countries: list[str] = []
    for name, k in sc.review.reviewer_institutions.items():
        names += [name] * max(int(k), 0)
        countries += [institution_country(sc, name) or ""] * max(int(k), 0)
    return names, countries


def check_routes(ck: _Checker, sc: Scenario, check_scenario: Check) -> None:
    """Record every problem of the review-route keys of ``sc`` on ``ck`` (``check_scenario``
    checks each panel's own ``[review]``)."""
    fe = sc.feasibility
    if not 1 <= fe.staff <= MAX_FEASIBILITY_STAFF:
        ck.fail(
            "feasibility.staff", f"must be between 1 and {MAX_FEASIBILITY_STAFF} (got {fe.staff})"
        )
    ck.duration("feasibility.duration", fe.duration)
    ck.prob("feasibility.decline_probability", fe.decline_probability)
    ck.prob("feasibility.shrink_probability", fe.shrink_probability)
    if not fe.shrink_to.minimum > 0:
        ck.fail(
            "feasibility.shrink_to",
            f"the fraction of the request kept must be greater than 0 (this {fe.shrink_to.kind} "
            f"reaches {fe.shrink_to.minimum})",
        )
    _check_conflicts(ck, sc)
    check_panels(ck, sc, check_scenario)


def _check_conflicts(ck: _Checker, sc: Scenario) -> None:
    """``review.conflicts``, ``reviewer_institutions``, ``dual_anonymous``, ``identity_bias``."""
    rv = sc.review
    if rv.conflicts is not None:
        ck.choices("review.conflicts", list(rv.conflicts), CONFLICT_KINDS, "conflict")
        if rv.conflicts and not rv.conflict_of_interest:
            ck.fail(
                "review.conflicts",
                "conflict_of_interest = false says there are none: drop one of the two keys "
                "(conflicts = [] also means none)",
            )
        if set(rv.conflicts) - {"country"} and rv.source != "pool":
            ck.fail("review.conflicts", 'institution and team conflicts need source = "pool"')
    for name, k in rv.reviewer_institutions.items():
        path = f"review.reviewer_institutions.{name}"
        if institution_country(sc, name) is None:
            ck.fail(path, f"unknown institution {name!r} (known: {_known_institutions(sc)})")
        if not 0 <= k <= rv.reviewers:
            ck.fail(path, f"must be between 0 and reviewers ({rv.reviewers}) (got {k})")
    if rv.reviewer_institutions:
        if rv.source != "pool":
            ck.fail("review.reviewer_institutions", 'needs source = "pool"')
        listed = sum(rv.reviewer_countries.values()) + sum(rv.reviewer_institutions.values())
        if listed > rv.reviewers:
            ck.fail(
                "review.reviewer_institutions",
                f"with reviewer_countries, adds up to more than reviewers ({rv.reviewers})",
            )
        _check_capacity(ck, sc, listed)
    kinds = sorted({i.kind for i in sc.institutions})
    for kind, shift in rv.identity_bias.items():
        path = f"review.identity_bias.{kind}"
        if kind not in kinds:
            ck.fail(path, f"unknown institution kind {kind!r} (known: {', '.join(kinds)})")
        if not -MAX_IDENTITY_BIAS <= shift <= MAX_IDENTITY_BIAS:
            ck.fail(path, f"must be between -{MAX_IDENTITY_BIAS:g} and {MAX_IDENTITY_BIAS:g} "
                    f"merit SDs (got {shift})")  # fmt: skip


def _check_capacity(ck: _Checker, sc: Scenario, listed: int) -> None:
    """Each applicant needs ``reviews_per_proposal`` reviewers outside its conflicts by country
    and (lead) institution, or its proposals would wait for reviewers forever."""
    rv, kinds = sc.review, conflict_kinds(sc.review)
    k = rv.reviews_per_proposal
    if (
        listed > rv.reviewers
        or not 1 <= k <= rv.reviewers
        or not {"institution", "team"} & set(kinds)
    ):
        return
    names, inst_countries = institution_reviewers(sc)
    countries = [c for c, m in rv.reviewer_countries.items() for _ in range(m)] + inst_countries
    # Applicants that differ: each listed one, and per institution one copy listed by none.
    applicants: dict[str, str] = {}
    for inst in sc.institutions:
        if inst.count == 1:
            applicants[inst.name] = inst.country
            continue
        listed = [n for n in rv.reviewer_institutions if n.rpartition(" #")[0] == inst.name]
        applicants.update(dict.fromkeys(listed, inst.country))
        if len(listed) < inst.count:
            applicants[f"{inst.name} (a copy listed by none)"] = inst.country
    by_country = "country" in kinds
    for name, country in applicants.items():
        out = sum(by_country and c == country for c in countries)
        out += sum(n == name and not (by_country and c == country)
                   for n, c in zip(names, inst_countries, strict=True))  # fmt: skip
        if rv.reviewers - out < k:
            ck.fail(
                "review.reviewer_institutions",
                f"proposals led from {name} need {k} distinct reviewers (reviews_per_proposal) "
                f"outside their conflicts but only {rv.reviewers - out} of {rv.reviewers} are",
            )
