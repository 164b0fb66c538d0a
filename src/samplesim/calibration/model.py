"""The simulator as ABC sees it: parameter values in, the observed facts' simulated values out.

:class:`FactModel` runs one replication of the scenario with the parameters set through the
``--param`` override machinery (:func:`samplesim.worker.run_batch`, as a sweep point does) and
returns one value per fact; facts of a variant run that variant with the same parameters
and the same random streams. :class:`FactDistance` is the discrepancy ABC thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from samplesim.calibration.facts import fact_value
from samplesim.design import Param
from samplesim.scenario.schema import ObservedFact
from samplesim.worker import RunSpec, Task, run_batch

__all__ = ["FactDistance", "FactModel"]


@attrs.frozen
class FactModel:
    """One simulation per call: ``model(theta)`` -> ``{fact: value}`` (NaN when undefined or
    when the run raised). Picklable, so pyabc can ship it to processes or a Dask cluster."""

    raw: dict[str, Any]
    source: str
    digest: str
    seed: int
    params: tuple[Param, ...]
    facts: tuple[tuple[str, ObservedFact], ...]
    leads: tuple[str, ...]
    plugins: tuple[str, ...] = ()

    def settings(self, theta: Mapping[str, float]) -> tuple[tuple[str, Any], ...]:
        """The scenario overrides for ``theta`` (integer keys rounded)."""
        return tuple((p.path, p.value(float(theta[p.path]))) for p in self.params)

    def simulate(self, theta: Mapping[str, float], replication: int) -> dict[str, float]:
        """The facts' values in replication ``replication`` (root seed ``seed``) at ``theta``."""
        params = self.settings(theta)
        variants = list(dict.fromkeys(f.variant for _, f in self.facts))
        runs = tuple(RunSpec(v, 0, v, params, int(replication)) for v in variants)
        task = Task(self.raw, self.source, self.digest, self.seed, runs, plugins=self.plugins)
        done, _, _ = run_batch(task)
        by_variant = {run.variant: (labels, vals) for run, labels, vals in done}
        out = {}
        for name, fact in self.facts:
            got = by_variant.get(fact.variant)
            out[name] = math.nan if got is None else fact_value(*got, fact, list(self.leads))
        return out

    def __call__(self, theta: Mapping[str, float]) -> dict[str, float]:
        """pyabc's model interface: a fresh replication drawn from numpy's global generator
        (which pyabc's serial sampler seeds, so a serial calibration is reproducible)."""
        return self.simulate(theta, int(np.random.randint(0, 2**31 - 1)))


@attrs.frozen
class FactDistance:
    """``sum_i |sim_i - obs_i| / scale_i`` over the facts, with ``scale_i = max(|obs_i|, 1)``
    (a relative error, floored at one unit so a zero observation still counts); infinite
    when a simulated fact is undefined (NaN), so that particle is never accepted."""

    scales: tuple[tuple[str, float], ...]

    @classmethod
    def for_facts(cls, observed: Mapping[str, float]) -> FactDistance:
        """The distance for these observed values."""
        return cls(tuple((k, max(abs(float(v)), 1.0)) for k, v in observed.items()))

    def __call__(self, x: Mapping[str, float], x0: Mapping[str, float]) -> float:
        d = 0.0
        for key, scale in self.scales:
            v = float(x[key])
            if not math.isfinite(v):
                return math.inf
            d += abs(v - float(x0[key])) / scale
        return d
