"""Per-call settings: ``[calls.review]``, ``[calls.panel]``, ``[calls.allocation]``,
``[calls.proposals]``, ``[calls.logistics]``, ``[calls.screening]``.

Each is a partial table: every key it gives replaces the top-level one for that call's
proposals (nested tables such as ``allocation.lottery`` merge key by key). The loader merges
them into full tables before structuring (:func:`merge_call_settings`), so a call's object is
a complete :class:`~samplesim.scenario.schema.Review` (etc.) and its errors name the call's
key path; :func:`check_calls` runs the top-level cross-field checks on the merged result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from samplesim.scenario.errors import Problem
from samplesim.scenario.overrides import deep_merge
from samplesim.scenario.schema import Call, Scenario

__all__ = [
    "SECTIONS",
    "call_raw",
    "check_calls",
    "inherited_once",
    "merge_call_settings",
    "overridden",
]

#: The tables a call may override, in the order they are checked.
SECTIONS = ("review", "panel", "allocation", "proposals", "logistics", "screening")
#: The ``calls[i].`` before a section's key path.
_CALL_SECTION = re.compile(r"calls\[\d+\]\.(?=(?:" + "|".join(SECTIONS) + r")(?:\.|$))")

#: What a section is when the scenario leaves it out (``panel`` is off at the top level).
_TOP_DEFAULTS: dict[str, dict[str, Any]] = {"panel": {"enabled": False}}

_POOL_HINT = (
    "the reviewer pool is shared by every call; to give a call reviewers of its own use "
    "[[review.panels]] with route.calls"
)
#: ``[review]`` keys a call cannot override, with why.
REFUSED_REVIEW_KEYS: dict[str, str] = {
    "reviewers": _POOL_HINT,
    "load": _POOL_HINT,
    "reviewer_countries": _POOL_HINT,
    "panels": _POOL_HINT,
    "conflict_of_interest": _POOL_HINT,
    "source": _POOL_HINT,
    "reviews_per_applicant": _POOL_HINT,
    "distributed_reliability": _POOL_HINT,
    "max_reviews_per_round": _POOL_HINT,
    "leniency_sd": "reviewers' traits belong to the shared pool; set it in [review]",
    "precision_sd": "reviewers' traits belong to the shared pool; set it in [review]",
    "expertise": "reviewers' traits belong to the shared pool; set it in [review]",
    "reliability_outside_expertise": "reviewers' traits belong to the shared pool; set it in "
    "[review]",
    "reviews_per_proposal": "cannot be set per call in this version; set it in [review]",
    "scale": "one grade scale serves every call; set it in [review.scale]",
}


def merge_call_settings(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """``raw`` with each call's partial section tables merged over the top-level ones
    (unchanged when no call has any), and the problems of refused keys."""
    calls = raw.get("calls")
    if not isinstance(calls, list) or not any(
        isinstance(c, dict) and any(s in c for s in SECTIONS) for c in calls
    ):
        return raw, []
    problems: list[Problem] = []
    merged_calls: list[Any] = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            merged_calls.append(call)
            continue
        call = dict(call)
        for section in SECTIONS:
            part = call.get(section)
            if not isinstance(part, dict):
                continue  # absent, or not a table: structuring names the key
            if section == "review":
                for key in sorted(set(part) & set(REFUSED_REVIEW_KEYS)):
                    problems.append(Problem(f"calls[{i}].review.{key}", REFUSED_REVIEW_KEYS[key]))
            top = raw.get(section)
            base = top if isinstance(top, dict) else _TOP_DEFAULTS.get(section, {})
            call[section] = deep_merge(base, part)
        merged_calls.append(call)
    return {**raw, "calls": merged_calls}, problems


def inherited_once(problems: list[Problem]) -> list[Problem]:
    """``problems`` without those a call's section only inherits from the top-level table
    (the same message at ``calls[i].<section>...`` as at ``<section>...``): reported once."""
    seen = {(p.path, p.message) for p in problems}

    def inherited(p: Problem) -> bool:
        own = _CALL_SECTION.match(p.path) is not None
        return own and (_CALL_SECTION.sub("", p.path, count=1), p.message) in seen

    return [p for p in problems if not inherited(p)]


def overridden(call: Call) -> list[str]:
    """The sections ``call`` overrides, in :data:`SECTIONS` order."""
    return [s for s in SECTIONS if getattr(call, s) is not None]


def _view(sc: Scenario, call: Call) -> Scenario:
    """``sc`` as the call's proposals see it: the call's sections in place of the top-level
    ones (and no calls, so that only the sections' checks report)."""
    changes = {s: getattr(call, s) for s in overridden(call)}
    return attrs.evolve(sc, calls=[], **changes)


def check_calls(sc: Scenario, check: Callable[[Scenario], list[Problem]]) -> list[Problem]:
    """The problems of each call's merged sections, found by ``check`` (the top-level
    cross-field checks) and named by the call's key path; a problem the top-level section
    has already is reported once, there."""
    calls = [(i, c) for i, c in enumerate(sc.calls) if overridden(c)]
    if not calls:
        return []
    top = {(p.path, p.message) for p in check(attrs.evolve(sc, calls=[]))}
    out: list[Problem] = []
    for i, call in calls:
        out += _trait_problems(sc, i, call)
        sections = tuple(f"{s}." for s in overridden(call)) + tuple(overridden(call))
        for p in check(_view(sc, call)):
            if (p.path, p.message) in top or not p.path.startswith(sections):
                continue
            out.append(Problem(f"calls[{i}].{p.path}", p.message))
    return out


def _trait_problems(sc: Scenario, i: int, call: Call) -> list[Problem]:
    """With reviewers who differ, a score is made from the pool's reliability: refuse a
    call's own (it would be ignored)."""
    rv, own = sc.review, call.review
    if own is None or own.reliability == rv.reliability:
        return []
    out = rv.reliability_outside_expertise
    alike = (
        rv.leniency_sd == 0
        and rv.precision_sd == 0
        and (rv.expertise == 1 or out is None or out == rv.reliability)
    )
    if alike:
        return []
    return [
        Problem(
            f"calls[{i}].review.reliability",
            "reviewers who differ (review.leniency_sd, precision_sd, expertise) score with the "
            "pool's reliability; set it in [review]",
        )
    ]


def call_raw(call: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """A call's unstructured table without the sections it does not override (None) and
    without the keys of its ``review`` that belong to the shared pool (``top``: the
    unstructured top-level ``review``, equal there by construction)."""
    out = {k: v for k, v in call.items() if not (k in SECTIONS and v is None)}
    review = out.get("review")
    if isinstance(review, dict):
        out["review"] = {
            k: v for k, v in review.items() if k not in REFUSED_REVIEW_KEYS or top.get(k) != v
        }
    return out
