"""Notices of intent and outline review before full proposals (``calls[i].intent``).

With ``[calls.intent]`` the call's arrivals are intents (between ``open_day`` and
``deadline_day``). Their draws come from each intent's entity (call, institution) at its
ordinal, from blocks of their own, so no existing draw moves:

* ``(arrivals, FULL)``: the full proposal's day, uniform (or rushed towards ``close_day``)
  between ``deadline_day + outline_days`` and ``close_day``;
* ``(arrivals, PROCEED)``: whether an invited intent is followed by a full proposal;
* ``(arrivals, OUTLINE)``: the outline score's noise, ``sqrt(r) merit + sqrt(1 - r) noise``
  (the merit is the proposal's own, block ``(proposals, MERIT)``).

The top ``invite_fraction`` of a call's outlines (rounded up) are invited; the ranking is
over the whole call, so one institution's outlines can change another's invitation. An
intent not invited ends ``not_invited`` when invitations are known (``deadline_day +
outline_days``); one not followed up ends ``no_full_proposal`` at ``close_day``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from samplesim.model.keyed import MERIT
from samplesim.model.requests import proposal_model
from samplesim.rng import Streams
from samplesim.scenario.schema import Call, Scenario

if TYPE_CHECKING:
    from samplesim.model.trace import Trace

__all__ = [
    "FULL",
    "OUTLINE",
    "PROCEED",
    "intent_days",
    "intent_step",
    "resolve_intents",
    "schedule",
]

#: Attribute numbers of the intent blocks of the ``arrivals`` stream (0-3: counts and days).
FULL, PROCEED, OUTLINE = 4, 5, 6

#: Per entity: (day the row is processed, intent day or NaN, fate: "" for a full proposal).
Resolved = tuple[np.ndarray, np.ndarray, np.ndarray]


def intent_days(rng: np.random.Generator, m: int, call: Call, rush: float) -> np.ndarray:
    """Days of ``m`` intents: uniform in ``[open_day, deadline_day]``, tilted towards the
    deadline by ``rush`` (Beta(1 + rush, 1))."""
    assert call.intent is not None
    u = rng.random(m) if rush == 0 else rng.beta(1.0 + rush, 1.0, m)
    return call.open_day + (call.intent.deadline_day - call.open_day) * u


def resolve_intents(
    sc: Scenario, ents: list[tuple[int, int, np.ndarray]], names: list[str], streams: Streams
) -> list[Resolved]:
    """For each entity ``(call index, applicant index, arrival days)`` (``names``: the
    applicants' names): its rows' processing days, intent days and fates."""
    out: list[Resolved | None] = [None] * len(ents)
    by_call: dict[int, list[int]] = {}
    for k, (ci, _a, days) in enumerate(ents):
        if sc.calls[ci].intent is None:
            out[k] = (days, np.full(len(days), np.nan), np.full(len(days), "", dtype=object))
        else:
            by_call.setdefault(ci, []).append(k)
    for ci, ks in by_call.items():
        for k, res in zip(ks, _resolve_call(sc, sc.calls[ci], [ents[k] for k in ks], names,
                                            streams), strict=True):  # fmt: skip
            out[k] = res
    return [r for r in out if r is not None]


def _resolve_call(
    sc: Scenario,
    call: Call,
    ents: list[tuple[int, int, np.ndarray]],
    names: list[str],
    streams: Streams,
) -> list[Resolved]:
    it = call.intent
    assert it is not None
    rush = proposal_model(sc, call).deadline_rush
    lo, hi = it.deadline_day + it.outline_days, call.close_day
    pp, outline = it.proceed_probability, it.review == "outline"
    parts = []
    for _ci, a, days in ents:
        m = len(days)
        es = streams.entity(call.name, names[a])
        g = es.block("arrivals", FULL)
        u = g.random(m) if rush == 0 else g.beta(1.0 + rush, 1.0, m)
        full = lo + (hi - lo) * u
        proceed = (
            es.block("arrivals", PROCEED).random(m) < pp if 0 < pp < 1 else np.full(m, pp >= 1)
        )
        score = np.zeros(m)
        if outline:
            r = it.outline_reliability
            merit = es.block("proposals", MERIT).standard_normal(m)
            noise = es.block("arrivals", OUTLINE).standard_normal(m)
            score = math.sqrt(r) * merit + math.sqrt(1 - r) * noise
        parts.append((full, proceed, score))
    scores = np.concatenate([s for *_, s in parts]) if parts else np.zeros(0)
    invited = np.ones(len(scores), dtype=bool)
    if outline and len(scores):
        keep = math.ceil(it.invite_fraction * len(scores) - 1e-9)
        invited[:] = False
        invited[np.argsort(-scores, kind="stable")[:keep]] = True
    out, pos = [], 0
    for (_ci, _a, days), (full, proceed, _s) in zip(ents, parts, strict=True):
        inv = invited[pos : pos + len(days)]
        pos += len(days)
        fate = np.where(inv, np.where(proceed, "", "no_full_proposal"), "not_invited")
        process = np.where(inv, np.where(proceed, full, hi), lo)
        out.append((process, days, fate.astype(object)))
    return out


def schedule(submit: np.ndarray, intent: np.ndarray) -> list[tuple[float, int, int]]:
    """``(day, kind, row)`` in time order: kind 0 stamps a row's intent, kind 1 processes
    the row (its full proposal, or its end as an intent). Without intents: the rows in
    order (they are sorted by ``submit``)."""
    sub = submit.tolist()
    if not np.isfinite(intent).any():
        return [(t, 1, i) for i, t in enumerate(sub)]
    items = [(t, 1, i) for i, t in enumerate(sub)]
    items += [(float(d), 0, i) for i, d in enumerate(intent.tolist()) if d == d]
    return sorted(items)


#: Why an intent ended, by fate (the terminal event's reason).
REASONS = {
    "not_invited": "outline review: not invited to submit a full proposal",
    "no_full_proposal": "no full proposal followed the notice of intent",
}


def intent_step(trace: Trace, i: int, kind: int, day: float, fate: str) -> None:
    """Stamp row ``i``'s intent (``kind`` 0), or end an intent not followed up (kind 1)."""
    if kind == 0:
        trace.stamp(i, "intent", day)
    else:
        trace.finish(i, day, fate, REASONS[fate])
