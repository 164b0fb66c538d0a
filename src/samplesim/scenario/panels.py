"""Several named review panels (``[[review.panels]]``): their keys, the route that sends a
proposal to the first panel whose route matches, and their checks (called by
:mod:`samplesim.scenario.routes`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from samplesim.distributions import Distribution

if TYPE_CHECKING:
    from samplesim.scenario.checks import _Checker
    from samplesim.scenario.errors import Problem
    from samplesim.scenario.schema import Review, Scenario

    #: The whole-scenario check (passed in by the caller: importing it here is a cycle).
    Check = Callable[[Scenario, None], list[Problem]]

__all__ = [
    "PANEL_KEYS",
    "ReviewPanel",
    "Route",
    "check_panels",
    "panel_review",
    "panel_reviews",
    "route_rows",
]

#: The ``[review]`` keys a panel may set for itself (unset keys inherit from ``[review]``).
PANEL_KEYS = (
    "reviewers", "load", "reviews_per_proposal", "reliability", "duration",
    "reviewer_countries", "reviewer_institutions", "conflicts", "deadline_days", "deadline_day",
)  # fmt: skip


@attrs.frozen
class Route:
    """Which proposals a panel takes (``[review.panels.route]``): every selector given must
    match (a listed value matches); an empty route takes every proposal."""

    sample_types: list[str] = attrs.Factory(list)  # requests any of these types
    kinds: list[str] = attrs.Factory(list)  # lead institution's kind
    countries: list[str] = attrs.Factory(list)  # lead country
    calls: list[str] = attrs.Factory(list)
    min_request: float | None = None  # total requested amount, at least
    max_request: float | None = None  # total requested amount, at most

    @property
    def empty(self) -> bool:
        """True when the route selects nothing: the panel takes every proposal left."""
        return self == Route()


@attrs.frozen
class ReviewPanel:
    """One named review panel (``[[review.panels]]``): its own reviewer pool."""

    name: str
    reviewers: int | None = None
    load: int | None = None
    reviews_per_proposal: int | None = None
    reliability: float | None = None
    duration: Distribution | None = None
    reviewer_countries: dict[str, int] | None = None
    reviewer_institutions: dict[str, int] | None = None
    conflicts: list[str] | None = None
    deadline_days: float | None = None
    deadline_day: float | None = None
    route: Route = attrs.Factory(Route)


def panel_review(rv: Review, pn: ReviewPanel) -> Review:
    """``[review]`` as panel ``pn`` sees it: its own keys, the others inherited."""
    own: dict[str, Any] = {k: getattr(pn, k) for k in PANEL_KEYS if getattr(pn, k) is not None}
    return attrs.evolve(rv, panels=[], normalise_panels=False, **own)


def panel_reviews(rv: Review) -> list[Review]:
    """Each panel's ``[review]`` (``[rv]`` itself without panels)."""
    return [panel_review(rv, pn) for pn in rv.panels] if rv.panels else [rv]


def route_rows(
    sc: Scenario,
    calls: Sequence[str],
    kinds: Sequence[str],
    countries: Sequence[str],
    requested: np.ndarray,
) -> np.ndarray:
    """The panel index of each proposal (rows: call name, lead kind, lead country, requested
    amount by sample type): the first panel whose route matches. Zeros without panels."""
    n = len(calls)
    out = np.full(n, -1, dtype=np.int64)
    panels = sc.review.panels
    if not panels:
        return np.zeros(n, dtype=np.int64)
    total = requested.sum(axis=1) if n else np.zeros(0)
    types = sc.sample_types
    for g, pn in enumerate(panels):
        r = pn.route
        ok = out < 0
        if r.calls:
            ok &= np.isin(np.asarray(calls, dtype=object), r.calls)
        if r.kinds:
            ok &= np.isin(np.asarray(kinds, dtype=object), r.kinds)
        if r.countries:
            ok &= np.isin(np.asarray(countries, dtype=object), r.countries)
        if r.sample_types:
            cols = [types.index(t) for t in r.sample_types if t in types]
            ok &= (requested[:, cols] > 0).any(axis=1) if n else ok
        if r.min_request is not None:
            ok &= total >= r.min_request
        if r.max_request is not None:
            ok &= total <= r.max_request
        out[ok] = g
    return np.maximum(out, 0)  # the last panel takes every proposal (the checks require it)


def check_panels(ck: _Checker, sc: Scenario, check_scenario: Check) -> None:
    """``[[review.panels]]``: names, routes, a catch-all last panel, and each panel's own
    review keys (checked as ``[review]`` is, reported under ``review.panels[j]``)."""
    rv = sc.review
    if not rv.panels:
        if rv.normalise_panels:
            ck.fail("review.normalise_panels", "needs [[review.panels]]")
        return
    ck.unique("review.panels", [pn.name for pn in rv.panels])
    if not rv.panels[-1].route.empty:
        ck.fail(
            f"review.panels[{len(rv.panels) - 1}].route",
            "the last panel must have no route: it takes every proposal the others do not",
        )
    _check_unsupported(ck, rv)
    calls = [c.name for c in sc.calls]
    kinds = sorted({i.kind for i in sc.institutions})
    for j, pn in enumerate(rv.panels):
        p, r = f"review.panels[{j}].route", pn.route
        ck.known(f"{p}.sample_types", r.sample_types, sc.sample_types, "sample type")
        ck.known(f"{p}.kinds", r.kinds, kinds, "institution kind")
        ck.known(f"{p}.calls", r.calls, calls, "call")
        ck.countries(f"{p}.countries", r.countries, sc.countries)
        ck.nonneg(f"{p}.min_request", r.min_request)
        ck.nonneg(f"{p}.max_request", r.max_request)
        lo, hi = r.min_request, r.max_request
        if lo is not None and hi is not None and lo > hi:
            ck.fail(f"{p}.max_request", f"must be at least min_request ({lo})")
    _check_panel_reviews(ck, sc, check_scenario)


def _check_unsupported(ck: _Checker, rv: Review) -> None:
    """What panels do not combine with (yet): refused, not silently ignored."""
    if rv.source != "pool":
        ck.fail("review.panels", 'needs source = "pool"')
    if rv.max_reviews_per_round is not None:
        ck.fail("review.panels", "does not combine with max_reviews_per_round")
    differ = (
        rv.leniency_sd != 0
        or rv.precision_sd != 0
        or rv.expertise != 1
        or rv.reliability_outside_expertise is not None
    )
    if differ:
        ck.fail("review.panels", "does not combine with reviewers who differ (leniency_sd, ...)")


def _check_panel_reviews(ck: _Checker, sc: Scenario, check_scenario: Check) -> None:
    """Each panel's review keys: the problems its own ``[review]`` has that the file's has not
    (``check_scenario``: :func:`samplesim.scenario.checks.check_scenario`)."""
    plain = attrs.evolve(sc.review, panels=[], normalise_panels=False)
    base = {(p.path, p.message) for p in check_scenario(attrs.evolve(sc, review=plain), None)}
    for j, pn in enumerate(sc.review.panels):
        own = attrs.evolve(sc, review=panel_review(sc.review, pn))
        for prob in check_scenario(own, None):
            if (prob.path, prob.message) in base or not prob.path.startswith("review."):
                continue
            ck.fail(f"review.panels[{j}].{prob.path.removeprefix('review.')}", prob.message)
