"""Every stage's per-proposal randomness, drawn up front for one :class:`World`.

Each attribute comes from its proposal's entity stream (call, institution, ordinal): block
(stage stream, attribute number); see :class:`samplesim.rng.EntityStream`. A call's own
settings (``[calls.review]``, ``[calls.panel]``, ``[calls.logistics]``,
``[calls.screening]``) change the distribution its proposals' values are drawn from, never
the block: other calls' proposals keep theirs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from samplesim.model.conflicts import perceived_merit
from samplesim.model.keyed import draw_keyed, keyed_by_call
from samplesim.model.per_call import by_call, settings
from samplesim.model.reviewer_traits import review_se
from samplesim.model.sources import source_reliability
from samplesim.model.typed import floats
from samplesim.rng import name_key

if TYPE_CHECKING:
    from samplesim.model.world import World

__all__ = ["MAX_INVITATIONS", "draw_stages"]

#: Invitations per review slot at most: the last one is accepted (0.9^63 < 0.2 %).
MAX_INVITATIONS = 64


def _per_row(values: list[float], call: np.ndarray) -> float | np.ndarray:
    """One value per call as a scalar when all calls share it, else one per proposal."""
    groups = by_call(values, call)
    return groups[0][0] if len(groups) == 1 else np.asarray(values, dtype=float)[call]


def _flags(w: World, stream: str, attribute: int, probs: list[float]) -> np.ndarray | None:
    """Bool per proposal: a uniform draw below its call's probability (no draw for a call
    whose probability is 0: a uniform in [0, 1) is never below it); None if all are 0."""
    p, s = w.props, w.streams
    out: np.ndarray | None = None
    for q, rows in by_call(probs, p.call):
        if q <= 0:
            continue
        hit = draw_keyed(p, s, stream, attribute, lambda r, m: r.random(m), rows=rows) < q
        hit = hit if rows is None else hit & rows
        out = hit if out is None else out | hit
    return out


def draw_stages(w: World) -> None:
    """Set ``w``'s per-proposal stage draws (screening, review, panel, logistics)."""
    sc, n, s, p = w.sc, w.n, w.streams, w.props

    def keyed(stream: str, attribute: int, sample: Callable) -> np.ndarray:
        return draw_keyed(p, s, stream, attribute, sample)

    def per_call(stream: str, attribute: int, values: list[Any], sample_of: Callable):
        return keyed_by_call(p, s, stream, attribute, values, sample_of)

    scr = settings(sc, "screening")
    inc = _flags(w, "screening", 0, [x.incomplete_probability for x in scr])
    w.incomplete = np.zeros(n, bool) if inc is None else inc
    screen_delay = per_call("screening", 1, scr, lambda x: x.delay.sample)
    reviews = w.call_review
    rv = sc.review
    k = rv.reviews_per_proposal  # one value for every call (refused per call)
    rho = _per_row([source_reliability(r) for r in reviews], p.call)
    w.seen_merit = perceived_merit(sc, p, w.applicants)  # merit + identity bias
    noise = keyed("review", 0, lambda r, m: r.standard_normal((m, k))).reshape(n, k)
    w.review_noise = noise  # with reviewer traits, a score is set when it is assigned
    if isinstance(rho, np.ndarray):
        a, b = np.sqrt(rho)[:, None], np.sqrt(1 - rho)[:, None]
        w.review_scores = a * w.seen_merit[:, None] + b * noise
    else:
        w.review_scores = math.sqrt(rho) * w.seen_merit[:, None] + math.sqrt(1 - rho) * noise
    gm = w.grades
    if gm is not None:  # reported on the grade scale; ranked on its internal equivalent
        w.review_scores = gm.graded(w.review_scores)
    durations = per_call(
        "review", 1, reviews, lambda x: lambda r, m: x.duration.sample(r, m * k).reshape(m, k)
    )
    # Declined invitations: one draw per proposal, review slot and invitation (at most
    # MAX_INVITATIONS; the last is always accepted).
    w.declines = None
    shape = (k, MAX_INVITATIONS)
    for q, rows in by_call([r.decline_probability for r in reviews], p.call):
        if q <= 0:
            continue
        d = draw_keyed(p, s, "review", 3, lambda r, m, q=q: r.random((m, *shape)) < q, rows=rows)
        if rows is not None:
            d &= rows[:, None, None]
        w.declines = d if w.declines is None else w.declines | d
    if w.declines is not None:
        w.declines[:, :, -1] = False
    w.review_durations = durations.reshape(n, k)  # a float array: no float object per review
    w.review_mean = floats(w.review_scores.mean(axis=1))
    if isinstance(rho, np.ndarray) and k < 2:
        w.review_se = np.sqrt(1 - rho).tolist()
    else:
        w.review_se = review_se(w.review_scores, rho if isinstance(rho, float) else 0.0)
    panels = w.call_panel
    rp = _per_row([x.reliability for x in panels], p.call)
    panel_noise = keyed("panel", 0, lambda r, m: r.standard_normal(m))
    if isinstance(rp, np.ndarray):
        w.panel_score = np.sqrt(rp) * p.merit + np.sqrt(1 - rp) * panel_noise
    else:
        w.panel_score = math.sqrt(rp) * p.merit + math.sqrt(1 - rp) * panel_noise
    if gm is not None:
        w.panel_score = gm.graded(w.panel_score)
    # Discussion moves a discussed proposal's review mean (calibrated: discussion.py).
    w.discussion = [0.0] * n
    for sd, rows in by_call([x.discussion_sd for x in panels], p.call):
        if sd > 0:
            moved = sd * draw_keyed(p, s, "panel", 1, lambda r, m: r.standard_normal(m), rows=rows)
            w.discussion = (moved if rows is None else np.where(rows, moved, w.discussion)).tolist()
    # Ties in score are broken by submission order or by a draw keyed per proposal.
    ties = [r.ties for r in reviews]
    order = np.arange(n, dtype=float)
    for tie, rows in by_call(ties, p.call):
        if tie == "random":
            u = draw_keyed(p, s, "review", 2, lambda r, m: r.random(m), rows=rows)
            order = u if rows is None else np.where(rows, u, order)
    w.tiebreak = floats(order)
    _logistics(w)
    w.screen_delay = floats(screen_delay)


def _logistics(w: World) -> None:
    p, s = w.props, w.streams
    lgs = settings(w.sc, "logistics")
    agreement = keyed_by_call(p, s, "logistics", 0, lgs, lambda x: x.agreement_delay.sample)
    # The shipping delay of a lead country with its own distribution comes from it.
    ship = keyed_by_call(p, s, "logistics", 1, lgs, lambda x: x.shipping_delay.sample)
    ship = ship.astype(float)
    for lg, rows in by_call(lgs, p.call):
        for country, dist in lg.shipping_by_country.items():
            mask = np.array([c == country for c in w.country_of], dtype=bool)
            if rows is not None:
                mask &= rows
            if mask.any():
                alt = draw_keyed(p, s, "logistics", 1, dist.sample, extra=name_key(country),
                                 rows=mask)  # fmt: skip
                ship = np.where(mask, alt, ship)
    # Per-proposal scalars as typed arrays: indexing one is much cheaper than numpy.
    w.ship_delay = floats(ship)
    w.loan_days = floats(keyed_by_call(p, s, "logistics", 2, lgs, lambda x: x.loan_days.sample))
    w.agreement_delay = floats(agreement)
