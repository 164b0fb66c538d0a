"""Driving an experiment: runs in batches through an executor, stored as they finish, with
sequential stopping on a precision target, then the final tables written.

The final ``runs`` table is sorted by (point, variant, replication, country, metric), so it
never depends on the executor, the number of workers or the batch size.
"""

from __future__ import annotations

import contextlib
import math
import pickle
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from samplesim.errors import ExperimentError, UserError, check_count
from samplesim.executors import make_executor
from samplesim.experiment.plan import Plan, check_country, make_manifest_of, parse_precision
from samplesim.intervals import interval_kind
from samplesim.limits import MAX_BATCH_SIZE, MAX_REPLICATIONS, MAX_RUNS
from samplesim.paths import atomic_write, write_json
from samplesim.progress import RunProgress
from samplesim.stopping import DEFAULT_MIN_REPLICATIONS, METHODS, until_precise
from samplesim.store import MemoryStore, ResultStore
from samplesim.worker import RunSpec, run_packed

__all__ = ["execute", "finish", "run_plan"]


def _batch_size(n_runs: int, jobs: int, batch_size: int | None) -> int:
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise UserError(f"batch_size must be an integer, got {batch_size!r}", "batch_size")
        return check_count(batch_size, "batch_size", 1, MAX_BATCH_SIZE)
    return max(5, min(50, math.ceil(n_runs / (4 * max(1, jobs)))))


def _batches(n_runs: int, jobs: int, batch_size: int | None) -> list[int]:
    """The sizes of the batches of ``n_runs`` runs: ``batch_size`` each when given; otherwise
    decreasing (guided self-scheduling: a quarter of what remains per worker pair, capped at
    :func:`_batch_size`, at least 5), so that with several workers the last batches are small
    and no worker finishes long before the others."""
    size = _batch_size(n_runs, jobs, batch_size)
    if batch_size is not None or jobs <= 1:
        return [min(size, n_runs - i) for i in range(0, n_runs, size)]
    out, left = [], n_runs
    while left:
        n = min(left, max(5, min(size, math.ceil(left / (2 * jobs)))))
        out.append(n)
        left -= n
    return out


def execute(
    plan: Plan,
    specs: list[RunSpec],
    store: MemoryStore,
    executor: Any,
    progress: RunProgress,
    batch_size: int | None,
) -> int:
    done = store.done_keys()
    todo = [s for s in specs if s.key not in done]
    if not todo:
        return 0
    shipped = _shipped(plan, executor)
    tasks, start = [], 0
    for n in _batches(len(todo), executor.jobs, batch_size):
        tasks.append(plan.task(todo[start : start + n], shipped))
        start += n
    progress.add_total(len(todo))
    for batch in executor.map_unordered(run_packed, tasks):
        store.add_packed(batch)
        progress.advance(len(batch.keys) + len(batch.errors))
        progress.set_executor(executor.label)
    return len(todo)


def _shipped(plan: Plan, executor: Any) -> bytes | None:
    """Policies/effects defined in ``__main__``, pickled by value for worker processes.

    Raises:
        UserError: when they cannot be pickled and the executor has worker processes.
    """
    if not any(plan.shipped.values()) or executor.name == "serial":
        return None
    if executor.name == "auto" and not executor.allow_parallel:
        return None
    names = [f"{k[:-1] if k == 'effects' else 'policy'} {n!r}" for k in plan.shipped
             for n in plan.shipped[k]]  # fmt: skip
    try:
        import cloudpickle

        return cloudpickle.dumps(plan.shipped, protocol=pickle.DEFAULT_PROTOCOL)
    except Exception as exc:
        raise UserError(
            f"{', '.join(names)} defined in __main__ cannot be sent to worker processes ({exc}); "
            "put it in a module and pass plugins=['that_module'], or use executor='serial'",
            param="plugins",
        ) from None


def run_plan(
    plan: Plan,
    replications: int,
    *,
    precision: Any = None,
    precision_cap: int | None = None,
    min_replications: int = DEFAULT_MIN_REPLICATIONS,
    stopping: str = "batch",
    executor: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
) -> tuple[pd.DataFrame, MemoryStore, dict[str, Any] | None, int, float, dict[str, Any], set]:
    """Run ``plan`` with ``replications`` replications (or until ``precision``) and return
    (runs, store, precision outcome, runs executed, wall seconds, manifest, planned keys)."""
    if not isinstance(replications, int | np.integer) or replications < 1:
        raise UserError(
            f"replications must be a positive integer, got {replications!r}", param="replications"
        )
    # Every argument is checked here, before the output directory is created.
    check_count(replications, "replications", 1, MAX_REPLICATIONS)
    prec = parse_precision(precision)
    cap = replications if precision_cap is None else precision_cap
    if prec is not None:
        check_count(cap, "max_replications", 1, MAX_REPLICATIONS)
        check_country(plan, prec[1], "precision")
    if stopping not in METHODS:
        raise UserError(f"stopping must be one of {', '.join(METHODS)}", param="stopping")
    if not isinstance(min_replications, int | np.integer) or min_replications < 2:
        raise UserError("min_replications must be an integer >= 2", param="min_replications")
    if prec is not None and cap < 2:
        raise UserError(
            "precision needs room for at least 2 replications (max_replications)",
            param="max_replications",
        )
    n_runs = len(plan.points) * len(plan.variants) * max(replications, cap)
    if n_runs > MAX_RUNS:
        raise UserError(
            f"replications: {n_runs} runs (points x variants x replications), over the limit "
            f"of {MAX_RUNS}",
            param="replications",
        )
    if batch_size is not None:
        _batch_size(1, 1, batch_size)
    manifest = make_manifest_of(
        plan, replications, executor=executor, precision=None if prec is None else list(prec)
    )
    ex, store = _open(plan, manifest, executor, jobs, scheduler, out, resume)
    if getattr(store, "set_aside", None):
        manifest["set_aside"] = list(store.set_aside)
    t0 = time.perf_counter()
    prec_info = None
    with _closing_on_error(store), ex, RunProgress(plan.kind, quiet) as progress:

        def run(n: int) -> int:
            return execute(plan, plan.runs(range(n)), store, ex, progress, batch_size)

        if prec is None:
            n = replications
            executed = run(n)
        else:
            n, executed, prec_info = _until_precise(
                plan, store, run, prec, cap, min_replications, stopping
            )
    wall = time.perf_counter() - t0
    specs = plan.runs(range(n))
    runs = _planned(store.runs(), plan, n)
    manifest["replications"] = n
    manifest["executor"] = ex.label
    return runs, store, prec_info, executed, wall, manifest, {s.key for s in specs}


@contextlib.contextmanager
def _closing_on_error(store: MemoryStore) -> Iterator[None]:
    """Release the store's lock when the block raises (``finish`` releases it otherwise)."""
    try:
        yield
    except BaseException:
        store.close()
        raise


def _open(
    plan: Plan,
    manifest: dict[str, Any],
    executor: str,
    jobs: int | None,
    scheduler: str | None,
    out: str | Path | None,
    resume: bool,
) -> tuple[Any, MemoryStore]:
    """The executor, then the store (an unreachable scheduler must not leave an output
    directory behind)."""
    ex = make_executor(executor, jobs, scheduler, size=lambda task: len(task.runs))
    try:
        _shipped(plan, ex)
    except UserError:
        if ex.name != "auto":
            ex.close()
            raise
        ex.allow_parallel = False  # __main__ policies that cannot travel: stay in-process
    try:
        store: MemoryStore = (
            ResultStore(Path(out), manifest, resume=resume) if out is not None else MemoryStore()
        )
    except BaseException:
        ex.close()
        raise
    return ex, store


def _until_precise(
    plan: Plan,
    store: MemoryStore,
    run: Callable[[int], int],
    prec: tuple[str, str, float],
    cap: int,
    min_replications: int,
    method: str,
) -> tuple[int, int, dict[str, Any]]:
    """Sequential stopping (:func:`samplesim.stopping.until_precise`) on the target metric of
    the first variant. Returns n, the runs executed and the stopping outcome."""
    metric, country, target = prec
    executed = 0

    def values(n: int) -> np.ndarray:
        nonlocal executed
        executed += run(n)
        runs = _planned(store.runs(), plan, n)
        sel = runs[
            (runs["variant"] == plan.variants[0])
            & (runs["country"] == country)
            & (runs["metric"] == metric)
        ].sort_values("replication")
        if sel.empty:
            raise UserError(f"precision: no values of {metric}@{country} in the runs", "precision")
        return sel["value"].to_numpy(dtype=float)

    stop = until_precise(
        values, metric, target, cap, min_replications=min_replications, method=method
    )
    info = {
        "metric": metric,
        "country": country,
        "target": target,
        "half_width": stop.ci.half_width,
        "ci_low": stop.ci.low,
        "ci_high": stop.ci.high,
        "interval": interval_kind(metric),
        "method": stop.method,
        "min_replications": min(cap, min_replications),
        "n": stop.n,
        "cap": cap,
        "reached": stop.reached,
    }
    return stop.n, executed, info


def _planned(runs: pd.DataFrame, plan: Plan, n: int) -> pd.DataFrame:
    """Only the runs of the plan with ``n`` replications (a resumed directory may hold more)."""
    keep = runs["replication"] < n
    keep &= runs["variant"].isin(plan.variants) & runs["point"].isin(plan.points["point"])
    return runs[keep].reset_index(drop=True) if not keep.all() else runs


def finish(
    kind: str,
    store: MemoryStore,
    runs: pd.DataFrame,
    manifest: dict[str, Any],
    keys: set[str],
    tables: dict[str, pd.DataFrame | None],
    before_complete: Callable[[Path], object] | None = None,
) -> pd.DataFrame:
    """Write the final tables and mark the directory complete; ``before_complete(out)`` runs
    after the tables are written and before manifest.json says ``complete`` (the commands
    draw their figures there), with a manifest that already holds every final field."""
    errors = store.error_table()
    errors = errors[errors["key"].isin(keys)].reset_index(drop=True)
    if store.out is not None:
        out = store.out
        atomic_write(out / "runs.parquet", lambda tmp: runs.to_parquet(tmp, index=False))
        for name, df in tables.items():
            if df is not None:
                atomic_write(
                    out / f"{name}.csv",
                    lambda tmp, df=df: df.to_csv(tmp, index=False, float_format="%.10g"),
                )
        if len(errors):
            atomic_write(out / "errors.csv", lambda tmp: errors.to_csv(tmp, index=False))
        else:  # a clean resume: the errors of an earlier attempt are gone
            with contextlib.suppress(FileNotFoundError):
                (out / "errors.csv").unlink()
        finished = sorted(store.done_keys() & keys)
        final = {
            **manifest,
            "status": "complete" if not len(errors) else "complete_with_errors",
            "runs": len(finished),
            "errors": len(errors),
            "finished_keys": finished,
        }
        if before_complete is not None and len(runs):
            write_json(out / "manifest.json", {**final, "status": "running"})
            before_complete(out)
        write_json(out / "manifest.json", final)
    store.close()
    _check_failures(runs, errors, store)
    return errors


def _check_failures(runs: pd.DataFrame, errors: pd.DataFrame, store: MemoryStore) -> None:
    """Raise :class:`ExperimentError` when every run of a variant (or of all) raised."""
    if not len(errors):
        return
    ok = set(runs["variant"].unique())
    dead = [v for v in dict.fromkeys(errors["variant"]) if v not in ok]
    if not dead:
        return
    first = errors[errors["variant"] == dead[0]].iloc[0]
    tb = next((e.get("traceback", "") for e in store.errors if e["key"] == first["key"]), "")
    what = "every run" if not ok else f"every run of variant(s) {', '.join(map(repr, dead))}"
    raise ExperimentError(
        f"{what} raised ({int(errors['variant'].isin(dead).sum())} runs); "
        f"first error: {first['error']}",
        traceback=tb,
    )
