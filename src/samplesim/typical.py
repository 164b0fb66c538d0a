"""The typical replication of a scenario: what ``samplesim run`` shows when no seed is given.

One run is an anecdote: a single replication can sit far out in the spread (a decision that
slips a year). Without an explicit ``--seed``, ``samplesim run`` runs :data:`TYPICAL_OF`
cheap replications and keeps the one nearest the median of the headline metrics, and says so.
Nothing here is hand-picked: the choice is computed from the runs, so it follows any change
in how the model draws its random numbers.
"""

from __future__ import annotations

import warnings

import attrs
import numpy as np

from samplesim.errors import check_seed
from samplesim.metrics import METRICS, RunView
from samplesim.model import RunRecord, run_world
from samplesim.outcomes import SimulationResult, build_result
from samplesim.scenario import Scenario

__all__ = ["TYPICAL_METRICS", "TYPICAL_OF", "Typical", "typical_replication"]

#: Replications run to choose the typical one.
TYPICAL_OF = 20
#: Whole-run metrics whose medians define "typical".
TYPICAL_METRICS: tuple[str, ...] = ("approved", "grams_granted", "median_days_to_decision")


@attrs.frozen
class Typical:
    """The chosen replication: its index among ``of`` (seed ``seed``), its result, and per
    metric its value and the median over the ``of`` replications."""

    replication: int
    of: int
    seed: int
    result: SimulationResult
    values: dict[str, float]
    medians: dict[str, float]

    def describe(self) -> str:
        """``replication 7 of 20 (seed 1), the one nearest the median``."""
        return f"replication {self.replication} of {self.of} (seed {self.seed}), nearest the median"

    def labels(self) -> list[str]:
        """The human labels of the metrics that define "typical"."""
        return [METRICS[m].label for m in self.values]

    def manifest(self) -> dict[str, object]:
        """What the run's manifest records about the choice."""
        return {
            "of": self.of,
            "rule": "nearest the median",
            "metrics": list(self.values),
            "values": self.values,
            "medians": self.medians,
        }


def _whole_run(record: RunRecord, metrics: tuple[str, ...]) -> list[float]:
    """The whole-run (``ALL``, the last row) values of ``metrics`` in a run record: the
    summary table's numbers, without building any table."""
    v = RunView(record)
    return [float(v[m][-1]) for m in metrics]


def nearest_median(values: np.ndarray) -> int:
    """Row of ``values`` (replications x metrics) nearest the column medians: the sum over
    metrics of |value - median| / standard deviation; a missing value counts as far away;
    ties go to the lowest index."""
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(v).any(axis=0)
    v = v[:, keep]
    if not v.shape[1]:
        return 0
    med = np.nanmedian(v, axis=0)
    sd = np.nanstd(v, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    d = np.abs(v - med) / sd
    d = np.where(np.isfinite(d), d, np.nanmax(np.where(np.isfinite(d), d, 0), axis=0) + 1)
    return int(np.argmin(d.sum(axis=1)))


def typical_replication(
    scenario: Scenario,
    seed: int = 1,
    of: int = TYPICAL_OF,
    metrics: tuple[str, ...] = TYPICAL_METRICS,
) -> Typical:
    """Run replications 0..of-1 of ``scenario`` with root ``seed`` and return the one nearest
    the median of ``metrics`` (whole run). ``simulate(scenario, seed, r)`` reproduces it."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics: {', '.join(unknown)}")
    if of < 1:
        raise ValueError("of must be at least 1")
    seed = check_seed(seed)
    records = [run_world(scenario, seed, r) for r in range(of)]
    rows = np.array([_whole_run(rec, metrics) for rec in records])
    r = nearest_median(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a metric missing in every run
        med = [float(x) for x in np.nanmedian(rows, axis=0)]
    return Typical(
        replication=r,
        of=of,
        seed=seed,
        result=build_result(records[r]),  # what simulate(scenario, seed, r) returns
        values={m: float(x) for m, x in zip(metrics, rows[r], strict=True)},
        medians=dict(zip(metrics, med, strict=True)),
    )
