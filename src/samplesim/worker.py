"""What a worker process runs: a batch of simulation runs, with only the imports it needs.

This module is what executors send to worker processes. It imports the model, the scenario
layer and numpy, never pandas, scipy, matplotlib or SALib (each would add a second or more to
every worker's start-up); the parent turns the returned arrays into the runs table.

A :class:`Task` carries the raw scenario data, optionally the exact :class:`Scenario` object
the caller passed (run as is for its own variant without parameter overrides), the plugin
modules to import and the policies/effects defined in ``__main__`` (sent by value).
"""

from __future__ import annotations

import contextlib
import importlib
import pickle
import traceback
from typing import Any

import attrs
import numpy as np

from samplesim.model.world import World
from samplesim.scenario import Scenario, build_scenario, set_path

__all__ = ["RunSpec", "Task", "run_batch", "run_summary"]

_DAY_STAGES = ("submitted", "cleared", "reviewed", "shortlisted", "decision", "samples")


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


def _median(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def run_summary(w: World) -> tuple[list[str], dict[str, np.ndarray]]:
    """The summary of a finished run, straight from the :class:`World` arrays.

    Same numbers as :func:`samplesim.outcomes.summarize` (equal up to floating-point
    summation order; tested), without building the proposals/events DataFrames, which cost
    ~10x the simulation itself. Returns the row labels (countries sorted, then ``ALL``) and
    one array per metric.
    """
    tr, p = w.trace, w.props
    day = {s: np.asarray(tr.days[s], dtype=float) for s in _DAY_STAGES}
    countries = sorted({a.country for a in w.applicants} | set(w.country_of))
    c = len(countries)
    idx = (
        np.searchsorted(np.asarray(countries), np.asarray(w.country_of))
        if w.n
        else np.zeros(0, dtype=np.int64)
    )
    state = np.asarray(tr.state, dtype=object)
    awarded = np.asarray(w.awarded, dtype=float)
    approved = awarded > 0
    blocked = state == "blocked"
    n = w.n
    granted = tr.granted.sum(axis=1) if n else np.zeros(0)
    requested = p.requested.sum(axis=1) if n else np.zeros(0)
    flags = {
        "submitted": np.ones(n),
        "screened_out": (state == "incomplete") | (state == "ineligible"),
        "blocked": blocked,
        "blocked_after_approval": blocked & approved,
        "cleared": ~np.isnan(day["cleared"]),
        "reviewed": ~np.isnan(day["reviewed"]),
        "shortlisted": ~np.isnan(day["shortlisted"]),
        "approved": approved,
        "delivered": state == "delivered",
        "pending": state == "pending",
        "grams_requested": requested,
        "grams_granted": granted,
    }
    out: dict[str, np.ndarray] = {}
    for k, v in flags.items():
        per = np.bincount(idx, weights=np.asarray(v, dtype=float), minlength=c)
        out[k] = np.append(per, float(np.sum(v)))
    dd = day["decision"] - day["submitted"]
    ds = day["samples"] - day["submitted"]
    out["median_days_to_decision"] = np.array(
        [_median(dd[idx == i]) for i in range(c)] + [_median(dd)]
    )
    out["median_days_to_samples"] = np.array(
        [_median(ds[idx == i]) for i in range(c)] + [_median(ds)]
    )
    sub = out["submitted"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["approval_rate"] = np.where(
            sub > 0, out["approved"] / np.where(sub > 0, sub, 1), np.nan
        )
    g_all = out["grams_granted"][-1]
    out["grams_share"] = out["grams_granted"] / g_all if g_all > 0 else np.full(c + 1, np.nan)
    initial = float(sum(s.grams for s in w.sc.inventory))
    m = int(approved.sum())
    if m:
        top = np.argsort(-np.asarray(p.merit, dtype=float), kind="stable")[:m]
        merit_eff = approved[top].sum() / m
    else:
        merit_eff = np.nan
    rates = out["approval_rate"][:c][sub[:c] > 0]
    rates = rates[~np.isnan(rates)]
    jain = (
        float(rates.sum() ** 2 / (len(rates) * (rates**2).sum()))
        if len(rates) and np.any(rates > 0)
        else np.nan
    )
    for k, v in (
        ("inventory_used_fraction", g_all / initial if initial else np.nan),
        ("inventory_reserved_g", float(w.inventory.reserved.sum())),
        ("merit_efficiency", merit_eff),
        ("fairness_index", jain),
    ):
        col = np.full(c + 1, np.nan)
        col[-1] = v
        out[k] = col
    return [*countries, "ALL"], out


def _summary(w: World) -> tuple[list[str], dict[str, np.ndarray]]:
    try:
        return run_summary(w)
    except (AttributeError, KeyError, TypeError, ValueError):  # pragma: no cover
        # The World's internals changed under the lean path: fall back to the full tables.
        from samplesim.outcomes import SUMMARY_COLUMNS, build_result

        summary = build_result(w).summary
        metrics = [c for c in SUMMARY_COLUMNS if c != "country"]
        return summary["country"].tolist(), {m: summary[m].to_numpy(dtype=float) for m in metrics}


def run_batch(
    task: Task,
) -> tuple[list[tuple[RunSpec, list[str], dict[str, np.ndarray]]], list[str], list[dict]]:
    """Run a batch: per finished run (spec, row labels, metric arrays), the keys of the runs
    that finished and one record per run that raised (the batch carries on)."""
    done: list[tuple[RunSpec, list[str], dict[str, np.ndarray]]] = []
    keys: list[str] = []
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
            w = World(_scenario(task, run), task.seed, run.replication).run()
            done.append((run, *_summary(w)))
            keys.append(run.key)
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
    return done, keys, errors
