"""What a worker process runs: a batch of simulation runs, with only the imports it needs.

This module is what executors send to worker processes. It imports the model, the scenario
layer, the metrics and numpy, never pandas, scipy, matplotlib or SALib (each would add a second
or more to every worker's start-up); the parent turns the returned arrays into the runs table.
A run's metrics are :func:`samplesim.metrics.summarize` of its record, the same function that
makes ``simulate()``'s summary table.

A :class:`Task` carries the raw scenario data, optionally the exact :class:`Scenario` object
the caller passed (run as is for its own variant without parameter overrides), the plugin
modules to import and the policies/effects defined in ``__main__`` (sent by value).
"""

from __future__ import annotations

import contextlib
import importlib
import pickle
import traceback
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from samplesim.call_metrics import pack
from samplesim.metrics import summarize
from samplesim.model import run_world
from samplesim.packing import Packed, Packer
from samplesim.scenario import Scenario, build_scenario, set_path

__all__ = ["RunSpec", "Task", "run_batch", "run_packed", "run_summary"]

#: One run's metrics from its record (kept under its old name for importers).
run_summary = summarize


@attrs.frozen
class RunSpec:
    """One run of an experiment."""

    key: str
    point: int
    variant: str
    params: tuple[tuple[str, Any], ...]
    replication: int


@attrs.frozen
class Task:
    """A batch of runs of one scenario, shipped to the worker.

    ``raw`` is the scenario data that ``label`` names (``baseline`` for a file; the variant
    of a Scenario object otherwise); other variants apply their overrides to it.
    ``scenario`` is the caller's object, run unchanged for ``label`` without parameters.
    ``plugins`` are module names to import first; ``modules`` are modules that registered
    policies/effects in the caller's process (imported if they can be); ``shipped`` holds
    cloudpickled policies/effects defined in ``__main__``.
    """

    raw: dict[str, Any]
    source: str
    digest: str
    seed: int
    runs: tuple[RunSpec, ...]
    scenario: Scenario | None = None
    label: str = "baseline"
    plugins: tuple[str, ...] = ()
    shipped: bytes | None = None
    modules: tuple[str, ...] = ()


_SCENARIOS: dict[tuple[Any, ...], Scenario] = {}
_PREPARED: set[Any] = set()


def _prepare(task: Task) -> None:
    """Import the task's plugins and register what it ships (once per process)."""
    key = (task.plugins, task.modules, task.shipped)
    if key in _PREPARED:
        return
    from samplesim.plugins import discover, install, load_plugins

    discover()
    load_plugins(task.plugins)
    for module in task.modules:
        # Not needed by this scenario, or its "unknown policy" error will say so.
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if task.shipped is not None:
        install(pickle.loads(task.shipped))
    _PREPARED.add(key)


def _scenario(task: Task, run: RunSpec) -> Scenario:
    if task.scenario is not None and run.variant == task.label and not run.params:
        return task.scenario
    key = (task.digest, task.source, task.label, run.variant, run.params)
    sc = _SCENARIOS.get(key)
    if sc is None:
        if len(_SCENARIOS) > 256:
            _SCENARIOS.clear()
        overrides = [set_path(path, value) for path, value in run.params]
        variant = None if run.variant == task.label else run.variant
        sc = build_scenario(
            task.raw, task.source, variant=variant, overrides=overrides, check_variants=False
        )
        sc = attrs.evolve(sc, variant=run.variant)
        _SCENARIOS[key] = sc
    return sc


def _each(task: Task, finished: Callable[[RunSpec, Any], None]) -> list[dict[str, Any]]:
    """Run every run of ``task``, handing each record to ``finished(run, record)``; one error
    record per run that raised in either (the batch carries on)."""
    errors: list[dict[str, Any]] = []
    try:
        _prepare(task)
        prep_error = None
    except Exception:  # a plugin that fails to import fails every run of the batch
        prep_error = traceback.format_exc(limit=5)
    for run in task.runs:
        try:
            if prep_error is not None:
                raise RuntimeError(f"plugins failed to load in the worker:\n{prep_error}")
            finished(run, run_world(_scenario(task, run), task.seed, run.replication))
        except Exception as exc:  # a failed run is recorded, not fatal
            errors.append(
                {
                    "key": run.key,
                    "point": run.point,
                    "variant": run.variant,
                    "replication": run.replication,
                    "seed": task.seed,
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(limit=5),
                }
            )
    return errors


def run_batch(
    task: Task,
) -> tuple[list[tuple[RunSpec, list[str], dict[str, np.ndarray]]], list[str], list[dict]]:
    """Run a batch: per finished run (spec, row labels, metric arrays with the per-call values
    under ``call:`` keys, :func:`samplesim.call_metrics.pack`), the keys of the runs that
    finished and one record per run that raised (the batch carries on)."""
    done: list[tuple[RunSpec, list[str], dict[str, np.ndarray]]] = []

    def finished(run: RunSpec, record: Any) -> None:
        labels, values = summarize(record)
        done.append((run, labels, {**values, **pack(record)}))

    errors = _each(task, finished)
    return done, [run.key for run, _, _ in done], errors


def run_packed(task: Task) -> Packed:
    """Run a batch (as :func:`run_batch`) and return its runs' long rows packed in a few
    arrays (:class:`samplesim.packing.Packed`): what experiment workers send back."""
    packer = Packer(task.seed)

    def finished(run: RunSpec, record: Any) -> None:
        packer.add(run.key, run.point, run.variant, run.replication, record)

    return packer.packed(_each(task, finished))
