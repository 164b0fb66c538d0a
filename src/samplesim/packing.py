"""A batch's finished runs as a few flat arrays: what an experiment worker sends back.

A run's metrics (:func:`samplesim.metrics.summarize`) and per-call values
(:func:`samplesim.call_metrics.call_values`) become the rows of the ``runs`` and per-call long
tables in the worker, as codes (country, metric, call) and values, so that a batch travels as
a dozen arrays instead of dozens of small arrays per run, and the driver only concatenates
and decodes them (:mod:`samplesim.batch_tables`). Numpy only: workers import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from samplesim.call_metrics import CALL_METRICS, call_values
from samplesim.metrics import METRIC_NAMES, METRICS, summarize

if TYPE_CHECKING:
    from samplesim.model.record import RunRecord

__all__ = ["CALL_METRIC_NAMES", "Packed", "Packer", "codes"]

#: The per-call metrics in table order (what ``Packed.call_metric`` codes index).
CALL_METRIC_NAMES: tuple[str, ...] = tuple(CALL_METRICS)

_WHOLE_RUN = np.array([m.scope == "all" for m in METRICS.values()])
_LAYOUTS: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _layout(c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``c`` row labels: the mask of the (metric × label) values that are rows of the runs
    table (whole-run metrics for ``ALL`` only), and the metric and label index of each row, in
    :func:`samplesim.metrics.to_long` order (metrics, then labels)."""
    got = _LAYOUTS.get(c)
    if got is None:
        m = len(METRIC_NAMES)
        cols = np.broadcast_to(np.arange(c), (m, c))
        mask = ~_WHOLE_RUN[:, None] | (cols == c - 1)
        metric = np.broadcast_to(np.arange(m, dtype=np.int16)[:, None], (m, c))[mask]
        got = _LAYOUTS[c] = (mask, metric, cols[mask])
    return got


@attrs.frozen
class Packed:
    """The finished runs of a batch (in batch order) and its failed runs.

    Per finished run: ``point``, ``variant`` (codes into ``variants``), ``replication``,
    ``rows`` (its rows of the runs table) and ``call_rows`` (its per-call rows). Per row of the
    runs table: ``country`` (codes into ``labels``), ``metric`` (codes into
    :data:`samplesim.metrics.METRIC_NAMES`) and ``value``; per per-call row: ``call`` (codes into
    ``calls``), ``call_metric`` (codes into :data:`CALL_METRIC_NAMES`) and ``call_value``.
    """

    seed: int
    keys: list[str]
    errors: list[dict[str, Any]]
    variants: tuple[str, ...]
    point: np.ndarray
    variant: np.ndarray
    replication: np.ndarray
    rows: np.ndarray
    labels: tuple[str, ...]
    country: np.ndarray
    metric: np.ndarray
    value: np.ndarray
    call_rows: np.ndarray
    calls: tuple[str, ...]
    call: np.ndarray
    call_metric: np.ndarray
    call_value: np.ndarray


def codes(table: dict[str, int], names: Sequence[str], dtype: Any = np.int32) -> np.ndarray:
    """Each name's code in ``table`` (a new name gets the next code)."""
    return np.array([table.setdefault(n, len(table)) for n in names], dtype=dtype)


class Packer:
    """Collects the finished runs of a batch (:meth:`add`), then packs them (:meth:`packed`)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.keys: list[str] = []
        self._variants: dict[str, int] = {}
        self._labels: dict[str, int] = {}
        self._calls: dict[str, int] = {}
        self._runs: list[tuple[int, int, int]] = []
        self._sizes: list[tuple[int, int]] = []
        self._parts: list[tuple[np.ndarray, ...]] = []

    def add(self, key: str, point: int, variant: str, replication: int, record: RunRecord) -> None:
        """Add one finished run (nothing is added when computing its metrics raises)."""
        labels, values = summarize(record)
        mask, metric, cols = _layout(len(labels))
        grid = np.array([values[name] for name in METRIC_NAMES], dtype=float)
        per = call_values(record)
        n = len(record.scenario.calls)
        call_value = np.concatenate([np.asarray(per[k], dtype=float) for k in CALL_METRIC_NAMES])
        # Everything computed: now record the run.
        country = codes(self._labels, labels)[cols]
        call = np.tile(codes(self._calls, [c.name for c in record.scenario.calls]), len(per))
        call_metric = np.repeat(np.arange(len(CALL_METRIC_NAMES), dtype=np.int16), n)
        var = self._variants.setdefault(variant, len(self._variants))
        self._runs.append((point, var, replication))
        self._sizes.append((len(metric), len(call_value)))
        self._parts.append((country, metric, grid[mask], call, call_metric, call_value))
        self.keys.append(key)

    def packed(self, errors: list[dict[str, Any]]) -> Packed:
        """The batch's finished runs and ``errors`` (its runs that raised)."""
        runs = np.array(self._runs, dtype=np.int64).reshape(-1, 3)
        sizes = np.array(self._sizes, dtype=np.int64).reshape(-1, 2)

        def cat(i: int, dtype: Any) -> np.ndarray:
            parts = [p[i] for p in self._parts]
            return np.concatenate(parts) if parts else np.zeros(0, dtype)

        return Packed(
            self.seed, self.keys, errors, tuple(self._variants), runs[:, 0],
            runs[:, 1].astype(np.int32), runs[:, 2], sizes[:, 0], tuple(self._labels),
            cat(0, np.int32), cat(1, np.int16), cat(2, float), sizes[:, 1], tuple(self._calls),
            cat(3, np.int32), cat(4, np.int16), cat(5, float),
        )  # fmt: skip
