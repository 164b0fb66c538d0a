"""What each proposal requests: grams per sample type, as items or rounded to quanta.

Each call's proposal model is read through :func:`proposal_model` (a call's own
``[proposals]`` overrides, when the scenario format has them, else ``[proposals]``). Every
draw is keyed by the proposal's entity (:func:`samplesim.model.arrivals.draw_keyed`); the
intake keys draw only when set, from blocks of their own (``ITEMS``, ``TYPE_COUNT`` with
``extra = INTAKE``), so no existing draw moves:

* ``types_per_proposal`` as a distribution: one draw per proposal, rounded, at least 1,
  clipped to the types the call offers;
* ``inventory[].item_grams``: a chosen item type is requested as ``items_requested`` whole
  items (rounded, at least 1; one item when unset) of that mass, in place of its share of
  ``grams_requested``;
* ``inventory[].quantum_g``: a type's request is rounded up to a multiple of it;
* ``data_only_probability`` > 0: one uniform draw per proposal (block ``DATA_ONLY`` with
  ``extra = DATA``); below the probability, the proposal requests nothing (data only).

``calls[i].max_grams_per_proposal`` caps ``grams_requested`` before items and rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from samplesim.distributions import Distribution
from samplesim.model.agencies import types_by_call
from samplesim.model.keyed import GRAMS, TYPES, keyed_by_call
from samplesim.model.memo import per_scenario
from samplesim.rng import Streams, name_key
from samplesim.scenario.schema import Call, ProposalModel, Scenario

if TYPE_CHECKING:
    from samplesim.model.arrivals import ProposalTable

__all__ = ["INTAKE", "ITEMS", "TYPE_COUNT", "draw_requests", "keyed_by_model", "proposal_model"]
__all__ += ["DATA", "DATA_ONLY"]

#: Attribute numbers of the intake blocks of the ``proposals`` stream (with ``extra=INTAKE``).
ITEMS, TYPE_COUNT = 7, 8
#: The ``extra`` key of the intake blocks (apart from any other feature's attribute 7 or 8).
INTAKE = name_key("intake")
#: Attribute number and ``extra`` key of the data-only draw (apart from any other block).
DATA_ONLY, DATA = 9, name_key("data_only")

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def proposal_model(sc: Scenario, call: Call) -> ProposalModel:
    """The proposal model of ``call``: its own ``proposals`` if any, else ``[proposals]``."""
    return getattr(call, "proposals", None) or sc.proposals


def keyed_by_model(
    sc: Scenario,
    p: ProposalTable,
    streams: Streams,
    attribute: int,
    pick: Callable[[ProposalModel], Sampler],
    extra: int = 0,
) -> np.ndarray:
    """One keyed attribute of every proposal, drawn with its call's proposal model."""
    models = [proposal_model(sc, c) for c in sc.calls]
    return keyed_by_call(p, streams, "proposals", attribute, models, pick, extra)


def _per_call(sc: Scenario, value: Callable[[ProposalModel], object]) -> list[object]:
    return [value(proposal_model(sc, c)) for c in sc.calls]


@per_scenario
def _type_weights(sc: Scenario) -> np.ndarray:
    """``(calls × types)``: each call's normalised sample-type weights on its agency's types
    (once per scenario; read-only)."""
    types = sc.sample_types
    rows = []
    for c in sc.calls:
        pm = proposal_model(sc, c)
        w = np.array([pm.sample_type_weights.get(t, 0.0) for t in types], dtype=float)
        if not pm.sample_type_weights:
            w = np.ones(len(types))
        rows.append(w / w.sum())
    out = np.where(types_by_call(sc), np.array(rows), 0.0)
    out.flags.writeable = False
    return out


def _types_per_proposal(
    sc: Scenario, p: ProposalTable, streams: Streams, available: np.ndarray
) -> np.ndarray:
    tp = _per_call(sc, lambda pm: pm.types_per_proposal)
    if all(isinstance(t, int) for t in tp):
        return np.minimum(np.array(tp, dtype=np.int64)[p.call], available)

    def sampler(pm: ProposalModel) -> Sampler:
        t = pm.types_per_proposal
        if isinstance(t, Distribution):
            return t.sample
        return lambda _r, m: np.full(m, float(t))

    k = keyed_by_model(sc, p, streams, TYPE_COUNT, sampler, INTAKE)
    return np.minimum(np.maximum(np.rint(k), 1).astype(np.int64), available)


def _items(sc: Scenario, p: ProposalTable, streams: Streams, requested: np.ndarray) -> None:
    """Item types: whole items of ``item_grams``; quantum types: rounded up (in place)."""
    n_types = len(sc.inventory)
    item_g = np.array([s.item_grams or 0.0 for s in sc.inventory])
    if (item_g > 0).any() and len(p):

        def sampler(pm: ProposalModel) -> Sampler:
            d = pm.items_requested
            if d is None:
                return lambda _r, m: np.ones((m, n_types))
            return lambda r, m: d.sample(r, m * n_types).reshape(m, n_types)

        n_items = keyed_by_model(sc, p, streams, ITEMS, sampler, INTAKE)
        n_items = np.maximum(np.rint(n_items), 1.0)
        cols = item_g > 0
        requested[:, cols] = np.where(requested[:, cols] > 0, n_items[:, cols] * item_g[cols], 0.0)
    for t, s in enumerate(sc.inventory):
        q = s.quantum_g
        if q:
            # Rounded up, with a tolerance so that an exact multiple stays as it is.
            steps = np.ceil(requested[:, t] / q - 1e-9)
            requested[:, t] = np.where(requested[:, t] > 0, np.maximum(steps, 1) * q, 0.0)


def draw_requests(sc: Scenario, p: ProposalTable, streams: Streams) -> np.ndarray:
    """``(proposals × types)`` grams requested: the total, its sample types, items, quanta."""
    n, types = len(p), sc.sample_types
    if not n:
        return np.zeros((0, len(types)))
    total = keyed_by_model(sc, p, streams, GRAMS, lambda pm: pm.grams_requested.sample)
    caps = np.array(
        [c.max_grams_per_proposal if c.max_grams_per_proposal else np.inf for c in sc.calls]
    )
    total = np.minimum(total, caps[p.call])
    weights = _type_weights(sc)[p.call]
    k = _types_per_proposal(sc, p, streams, (weights > 0).sum(axis=1))
    keys = keyed_by_model(sc, p, streams, TYPES, lambda _pm: lambda r, m: r.random((m, len(types))))
    # Weighted sampling without replacement (Efraimidis–Spirakis keys).
    with np.errstate(divide="ignore"):
        scores = np.where(weights > 0, np.log(keys) / np.where(weights > 0, weights, 1), -np.inf)
    chosen = np.argsort(-scores, axis=1)[:, : int(k.max(initial=0))]
    take = np.arange(chosen.shape[1]) < k[:, None]
    requested = np.zeros((n, len(types)))
    rows = np.repeat(np.arange(n), k)
    requested[rows, chosen[take]] = np.repeat(total / np.maximum(k, 1), k)
    _items(sc, p, streams, requested)
    _data_only(sc, p, streams, requested)
    return requested


def _data_only(sc: Scenario, p: ProposalTable, streams: Streams, requested: np.ndarray) -> None:
    """Zero the requests of data-only proposals (in place); draws only when some call's
    ``data_only_probability`` is positive."""
    prob = np.array(_per_call(sc, lambda pm: pm.data_only_probability), dtype=float)
    if not (prob > 0).any() or not len(p):
        return
    u = keyed_by_model(sc, p, streams, DATA_ONLY, lambda _pm: lambda r, m: r.random(m), DATA)
    requested[u < prob[p.call]] = 0.0
