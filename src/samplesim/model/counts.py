"""Fixed or empirical proposal counts of a call (``calls[i].proposal_counts``).

A listed count is either fixed or one value drawn uniformly from its list per replication.
Random numbers (only drawn when the keys are set) come from the ``arrivals`` stream of
entities of their own, so no existing draw moves:

* the value of an empirical count: block ``(arrivals, PICK)`` of the entity
  ``(call, "country", CC)`` or ``(call, institution)``;
* a country's count is split among its institutions (copies included, those listed in
  ``by_institution`` excluded, weighted by propensity × applying to the call) by one
  multinomial draw from block ``(arrivals, SPLIT)`` of ``(call, "country", CC)``; an
  institution's count among its ``count`` copies from ``(arrivals, SPLIT)`` of
  ``(call, institution)``. The split depends on the other institutions of the country
  (common random numbers hold per country, not per institution).
"""

from __future__ import annotations

import numpy as np

from samplesim.rng import Streams
from samplesim.scenario.schema import Call

__all__ = ["PICK", "SPLIT", "listed_counts"]

#: Attribute numbers of the ``arrivals`` blocks of count entities (0, 1: Poisson and days).
PICK, SPLIT = 2, 3


def _value(value: int | list[int], streams: Streams, *entity: str) -> int:
    if isinstance(value, int):
        return value
    if len(value) == 1:
        return value[0]
    k = int(streams.entity(*entity).block("arrivals", PICK).integers(len(value)))
    return value[k]


def _split(total: int, weights: np.ndarray, streams: Streams, *entity: str) -> np.ndarray:
    if total == 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    if len(weights) == 1:
        return np.array([total], dtype=np.int64)
    rng = streams.entity(*entity).block("arrivals", SPLIT)
    return rng.multinomial(total, weights / weights.sum()).astype(np.int64)


def listed_counts(
    call: Call,
    names: list[str],
    countries: list[str],
    weights: np.ndarray,
    streams: Streams,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(counts, listed)`` per applicant (institution copies in order: ``names`` are the
    institutions' file names, ``countries`` theirs, ``weights`` propensity × applying):
    ``listed`` applicants take ``counts``; the others keep their Poisson draw, or none when
    ``only_listed``. None when the call sets no ``proposal_counts``."""
    pc = call.proposal_counts
    if pc is None:
        return None
    n = len(names)
    counts = np.zeros(n, dtype=np.int64)
    listed = np.full(n, pc.only_listed, dtype=bool)
    name_a = np.array(names, dtype=object)
    country_a = np.array(countries, dtype=object)
    by_inst = name_a[:, None] == np.array(list(pc.by_institution), dtype=object)[None, :]
    in_inst = by_inst.any(axis=1) if pc.by_institution else np.zeros(n, dtype=bool)
    for inst, value in pc.by_institution.items():
        rows = np.flatnonzero(name_a == inst)
        total = _value(value, streams, call.name, inst)
        w = np.where(weights[rows] > 0, weights[rows], 0.0)
        w = w if w.sum() > 0 else np.ones(len(rows))  # listed: applies even at propensity 0
        counts[rows] = _split(total, w, streams, call.name, inst)
        listed[rows] = True
    for cc, value in pc.by_country.items():
        rows = np.flatnonzero((country_a == cc) & ~in_inst)
        total = _value(value, streams, call.name, "country", cc)
        counts[rows] = _split(total, weights[rows], streams, call.name, "country", cc)
        listed[rows] = True
    return counts, listed
