"""Several named review panels (``[[review.panels]]``) in one run.

Each proposal goes to the first panel whose route matches
(:func:`samplesim.scenario.panels.route_rows`); each panel is its own reviewer pool (its
reviewers, load, conflicts, countries, institutions) with its own number of reviews, review
reliability, duration and deadline. Reviewer ids are global: panel ``g``'s reviewers follow
those of panels ``0..g-1``. The review mean combines that panel's reviews only.

Draws: review noise for ``max(reviews_per_proposal)`` slots per proposal (the same block as
without panels; identical when every panel keeps the file's number), durations per panel
from the proposal's stream keyed by the panel's name.

``review.normalise_panels``: shortlist and allocation rank on the review score standardised
within its panel (z-score among that panel's proposals of the same decision batch); the
``review_score`` column stays the panel's raw mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from samplesim.model.arrivals import draw_keyed
from samplesim.model.reviewer_traits import review_se
from samplesim.model.reviewers import ReviewerPool
from samplesim.model.sources import reviewer_source, source_reliability
from samplesim.rng import name_key
from samplesim.scenario.panels import panel_reviews, route_rows
from samplesim.scenario.schema import Review

if TYPE_CHECKING:
    from samplesim.model.world import World

__all__ = ["ReviewPanels", "review_panels"]


def review_panels(w: World) -> ReviewPanels | None:
    """Set up ``w``'s review panels (None, and nothing changed, without any)."""
    return ReviewPanels(w) if w.sc.review.panels else None


class ReviewPanels:
    """The run's panels: each proposal's panel, each panel's pool and review settings."""

    def __init__(self, w: World) -> None:
        sc, p = w.sc, w.props
        self.names = [pn.name for pn in sc.review.panels]
        self.normalise = sc.review.normalise_panels
        #: Each panel's ``[review]`` (its own keys, the rest inherited).
        self.reviews: list[Review] = panel_reviews(sc.review)
        apps = w.applicants
        self.of = route_rows(
            sc,
            [sc.calls[c].name for c in p.call],
            [apps[a].kind for a in p.applicant],
            w.country_of,
            p.requested,
        )
        self.scenarios = [attrs.evolve(sc, review=rv) for rv in self.reviews]  # kept alive
        self.pools: list[ReviewerPool] = []
        self.offset: list[int] = []
        conflicted: list[list[int]] = [[] for _ in range(len(p))]
        countries: list[str] = []
        for g, psc in enumerate(self.scenarios):
            pool, conf = reviewer_source(psc, p, w.country_of)
            self.offset.append(len(countries))
            countries += pool.country_of
            self.pools.append(pool)
            if conf is not None:
                for i in np.flatnonzero(self.of == g).tolist():
                    conflicted[i] = conf[i]
        w.conflicted = conflicted
        #: Every reviewer of the run by global id (requests go to the panels' pools).
        w.pool = ReviewerPool(countries, 1, False)
        self._draw(w)

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` rows after the first attempts (see :meth:`add_row`)."""
        self.of = np.concatenate([self.of, np.zeros(extra, dtype=self.of.dtype)])

    def add_row(self, w: World, one: Any, j: int) -> None:
        """Route row ``j`` (the one proposal of ``one``, a stand-in world whose stage draws
        are set) to its panel, and draw its reviews and conflicts under that panel."""
        sc, q, apps = w.sc, one.props, w.applicants
        of = route_rows(sc, [sc.calls[int(q.call[0])].name], [apps[int(q.applicant[0])].kind],
                        one.country_of, q.requested)  # fmt: skip
        g = int(of[0])
        self.of[j] = g
        self._draw(one, of)
        _pool, conf = reviewer_source(self.scenarios[g], q, one.country_of)
        w.conflicted[j] = [] if conf is None else conf[0]

    def _draw(self, w: Any, of: np.ndarray | None = None) -> None:
        """Each proposal's review scores, durations and declines under its panel (``of``:
        each row's panel; the run's routing by default)."""
        of = self.of if of is None else of
        sc, p, s, n = w.sc, w.props, w.streams, w.n
        k_row = np.array([rv.reviews_per_proposal for rv in self.reviews])[of]
        kmax = max(rv.reviews_per_proposal for rv in self.reviews)
        rho = np.array([source_reliability(rv) for rv in self.reviews])[of]
        noise = draw_keyed(p, s, "review", 0, lambda r, m: r.standard_normal((m, kmax)))
        noise = noise.reshape(n, kmax)
        w.review_noise = noise
        scores = np.sqrt(rho)[:, None] * w.seen_merit[:, None] + np.sqrt(1 - rho)[:, None] * noise
        if w.grades is not None:
            scores = w.grades.graded(scores)
        w.review_scores = scores
        durations = np.zeros((n, kmax))
        for g, rv in enumerate(self.reviews):
            rows = of == g
            if rows.any():

                def sample(r: np.random.Generator, m: int, d=rv.duration) -> np.ndarray:
                    return d.sample(r, m * kmax).reshape(m, kmax)

                got = draw_keyed(p, s, "review", 1, sample, extra=name_key(self.names[g]),
                                 rows=rows)  # fmt: skip
                durations[rows] = got[rows]
        # One row per proposal; its panel's reviews_per_proposal first columns are its own.
        w.review_durations = durations
        w.review_mean = [float(scores[i, : k_row[i]].mean()) for i in range(n)]
        se = [0.0] * n
        for g, rv in enumerate(self.reviews):
            idx = np.flatnonzero(of == g)
            if len(idx):
                k = rv.reviews_per_proposal
                got = review_se(scores[idx, :k], source_reliability(rv))
                for i, v in zip(idx.tolist(), got, strict=True):
                    se[i] = v
        w.review_se[:] = se
        p_decline = sc.review.decline_probability
        if p_decline > 0 and w.declines is not None:  # as many invitations per slot as before
            shape = (kmax, w.declines.shape[2])
            w.declines = draw_keyed(
                p, s, "review", 3, lambda r, m: r.random((m, *shape)) < p_decline
            )
            w.declines[:, :, -1] = False

    def normaliser(self) -> Callable[[list[int], Sequence[float]], dict[int, float]] | None:
        """What the call desks rank on with ``review.normalise_panels`` (else None)."""
        return self.normalised if self.normalise else None

    def normalised(self, batch: list[int], score: Sequence[float]) -> dict[int, float]:
        """The z-score of each proposal of ``batch`` among the batch's proposals of its panel
        (0 for a panel's only proposal; NaN stays NaN)."""
        out: dict[int, float] = {}
        for g in range(len(self.reviews)):
            mine = [i for i in batch if self.of[i] == g]
            vals = np.array([score[i] for i in mine], dtype=float)
            ok = ~np.isnan(vals)
            mu = vals[ok].mean() if ok.any() else 0.0
            sd = vals[ok].std() if ok.sum() > 1 else 0.0
            for i, v in zip(mine, vals, strict=True):
                out[i] = v if math.isnan(v) else ((v - mu) / sd if sd > 0 else 0.0)
        return out
