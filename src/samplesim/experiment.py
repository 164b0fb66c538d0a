"""Experiments: replications, paired variant comparisons and parameter sweeps.

Every experiment is a list of runs ``(point, variant, replication)`` with one root ``seed``.
Replication ``r`` of every variant and every sweep point uses the same random streams
(common random numbers), so differences between variants or points are paired.

Runs are grouped into batches (tasks). A task carries the raw scenario data and its list of
runs; the worker builds each scenario it needs (cached per process) and returns the batch's
rows of the tidy ``runs`` long table (docs/tables.md). Batches run on any executor
(:mod:`samplesim.executors`) and are stored as they finish (:mod:`samplesim.store`); the final
table is sorted by (point, variant, replication, country, metric), so it never depends on the
executor, the number of workers or the batch size.

Python API (mirrors the command line)::

    import samplesim
    r = samplesim.replicate("scenarios/change5-2023.toml", replications=100)
    r.summary        # replications table: mean and 95 % t-interval per variant/country/metric
    r.runs           # the long runs table
    c = samplesim.compare("scenarios/change5-2023.toml", variants=["lottery"], replications=50)
    c.comparison     # paired-t and Welch intervals of variant - baseline
    s = samplesim.sweep("scenarios/change5-2023.toml", params={"allocation.max_share": (0.1, 0.5)},
                        samples=64, design="sobol")
    s.points, s.sensitivity
"""

from __future__ import annotations

import math
import pickle
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from samplesim.design import Param, make_params, make_points, sobol_indices
from samplesim.errors import ExperimentError, UserError, check_seed
from samplesim.executors import make_executor
from samplesim.outcomes import SUMMARY_COLUMNS
from samplesim.output import make_manifest, write_json
from samplesim.paths import atomic_write, ensure_dir
from samplesim.progress import RunProgress
from samplesim.scenario import Scenario, build_scenario, load_raw, raw_digest
from samplesim.scenario.convert import CONVERTER
from samplesim.stats import comparison_table, replications_table, t_interval
from samplesim.store import MemoryStore, ResultStore, empty_runs, run_key, sort_runs
from samplesim.worker import RunSpec, Task, run_batch, run_summary

__all__ = [
    "ExperimentResult",
    "compare",
    "parse_precision",
    "replicate",
    "run_summary",
    "run_task",
    "sweep",
]

#: Numeric summary metrics (every ``SUMMARY_COLUMNS`` name but ``country``).
METRICS: list[str] = [c for c in SUMMARY_COLUMNS if c != "country"]
#: Metrics defined for the whole run only (NaN for every country, left out of the long table).
ALL_ONLY = ("inventory_used_fraction", "inventory_reserved_g", "merit_efficiency", "fairness_index")
COUNT_METRICS = METRICS[: METRICS.index("pending") + 1]
DEFAULT_OUTCOMES = ("approved", "grams_granted", "median_days_to_samples")
DEFAULT_PRECISION_CAP = 1000


# --------------------------------------------------------------------------------------------
# One run's summary (samplesim.worker.run_summary) -> long rows


def _long_rows(
    labels: list[str], vals: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(country, metric, value) arrays of one run, ALL-only metrics for ALL only."""
    c = len(labels)
    cs, ms, vs = [], [], []
    lab = np.asarray(labels, dtype=object)
    for metric in METRICS:
        v = vals[metric]
        if metric in ALL_ONLY:
            cs.append(lab[-1:])
            ms.append(np.asarray([metric], dtype=object))
            vs.append(v[-1:])
        else:
            cs.append(lab)
            ms.append(np.full(c, metric, dtype=object))
            vs.append(v)
    return np.concatenate(cs), np.concatenate(ms), np.concatenate(vs).astype(float)


def _frame(done: list[tuple[RunSpec, list[str], dict[str, np.ndarray]]], seed: int) -> pd.DataFrame:
    """The long-table rows of a batch's finished runs."""
    if not done:
        return empty_runs()
    frames = [(run, *_long_rows(labels, vals)) for run, labels, vals in done]
    sizes = [len(f[1]) for f in frames]
    return pd.DataFrame(
        {
            "point": np.repeat([f[0].point for f in frames], sizes).astype("int64"),
            "variant": np.repeat(np.asarray([f[0].variant for f in frames], dtype=object), sizes),
            "replication": np.repeat([f[0].replication for f in frames], sizes).astype("int64"),
            "seed": np.full(sum(sizes), seed, dtype="int64"),
            "country": np.concatenate([f[1] for f in frames]),
            "metric": np.concatenate([f[2] for f in frames]),
            "value": np.concatenate([f[3] for f in frames]),
        }
    )


def run_task(task: Task) -> tuple[pd.DataFrame, list[str], list[dict[str, Any]]]:
    """Run a batch in this process: its long-table rows, the keys of the runs that finished
    and one record per run that raised (see :func:`samplesim.worker.run_batch`)."""
    done, keys, errors = run_batch(task)
    return _frame(done, task.seed), keys, errors


# --------------------------------------------------------------------------------------------
# Experiment plans and the driver


@attrs.frozen
class ExperimentResult:
    """What an experiment produced (the tables of docs/tables.md).

    Attributes:
        kind: ``replications``, ``comparison`` or ``sweep``.
        runs: the tidy long table (point, variant, replication, seed, country, metric, value).
        summary: the ``replications`` table (mean, 95 % t-interval; per point for sweeps).
        comparison: the ``comparison`` table (``compare`` only).
        points: the ``points`` table (``sweep`` only).
        sensitivity: the ``sensitivity`` table (Sobol' sweeps only).
        errors: runs that raised (key, point, variant, replication, seed, error).
        precision: for sequential stopping: metric, country, target, half_width, n, reached.
        manifest: the experiment manifest; out: the output directory (or None).
        executed: runs executed by this call (resumed runs excluded); wall: seconds.
        executor: where the runs executed (``serial``, ``processes ×2``, ``dask ×4``).
    """

    kind: str
    runs: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame | None = None
    points: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    errors: pd.DataFrame | None = None
    precision: dict[str, Any] | None = None
    manifest: dict[str, Any] = attrs.Factory(dict)
    out: Path | None = None
    executed: int = 0
    wall: float = 0.0
    executor: str = ""


@attrs.define
class _Plan:
    kind: str
    raw: dict[str, Any]
    source: str
    digest: str
    base: Scenario
    seed: int
    variants: list[str]
    points: pd.DataFrame  # point + one column per param (one row, no params, when no sweep)
    params: list[Param] = attrs.Factory(list)
    extra: dict[str, Any] = attrs.Factory(dict)
    scenario: Scenario | None = None  # the caller's object (see _resolve)
    label: str = "baseline"  # the variant that ``raw`` itself is
    plugins: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    shipped: dict[str, dict[str, Any]] = attrs.Factory(dict)
    exact: bool = True  # whether ``raw`` rebuilds ``scenario`` exactly (params need it)

    def task(self, runs: list[RunSpec], shipped: bytes | None) -> Task:
        return Task(
            self.raw, self.source, self.digest, self.seed, tuple(runs),
            self.scenario, self.label, self.plugins, shipped, self.modules,
        )  # fmt: skip

    def point_params(self) -> list[tuple[int, tuple[tuple[str, Any], ...]]]:
        names = [p.path for p in self.params]
        out = []
        for row in self.points.itertuples(index=False):
            vals = row[1:]
            out.append((int(row[0]), tuple((n, _py(v)) for n, v in zip(names, vals, strict=True))))
        return out

    def runs(self, replications: range) -> list[RunSpec]:
        specs = []
        for point, params in self.point_params():
            for v in self.variants:
                for r in replications:
                    key = run_key(self.digest, v, point, r, self.seed, [list(x) for x in params])
                    specs.append(RunSpec(key, point, v, params, r))
        return specs

    def spec(self) -> dict[str, Any]:
        """The experiment's identity (what ``--resume`` must match)."""
        return {
            "kind": self.kind,
            "scenario_digest": self.digest,
            "seed": self.seed,
            "variants": self.variants,
            "params": [[p.path, p.low, p.high, p.integer] for p in self.params],
            "points": self.points.to_dict(orient="records") if self.params else [],
            **self.extra,
        }


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@attrs.frozen
class _Resolved:
    raw: dict[str, Any]
    source: str
    label: str  # the variant ``raw`` is (``baseline`` unless a Scenario object says otherwise)
    scenario: Scenario | None = None  # an edited Scenario object, run exactly as given
    exact: bool = True  # whether ``raw`` rebuilds ``scenario`` exactly


def _object_raw(sc: Scenario) -> dict[str, Any]:
    raw = CONVERTER.unstructure(sc)
    for k in ("source", "variant", "digest"):
        raw.pop(k, None)
    return raw


def _resolve(scenario: Any) -> _Resolved:
    """The raw data behind a path, raw dict or Scenario object.

    A Scenario object equal to what its ``.source`` file gives is run from the file (same
    digest as the path). Any other object (e.g. ``attrs.evolve(sc, inventory=...)``) is run
    exactly as given: its data is the experiment's ``sc.variant`` (usually ``baseline``), a
    named variant applies that variant's overrides to the object, and the recorded digest is
    that of the object's data, so stores and ``resume`` never mix it with the file.
    """
    if isinstance(scenario, Scenario):
        sc = scenario
        if sc.source and Path(sc.source).is_file():
            try:
                raw = load_raw(sc.source)
                label = sc.variant
                from_file = build_scenario(raw, sc.source, variant=label, check_variants=False)
            except Exception:
                from_file = None
            if from_file == sc:
                return _Resolved(raw, sc.source, "baseline")
        raw = _object_raw(sc)
        source = sc.source or "<scenario>"
        try:
            rebuilt = build_scenario(raw, source, check_variants=False)
            exact = attrs.evolve(rebuilt, variant=sc.variant) == sc
        except Exception:
            exact = False
        return _Resolved(raw, source, sc.variant, sc, exact)
    if isinstance(scenario, dict):
        return _Resolved(scenario, "<scenario>", "baseline")
    if not isinstance(scenario, str | Path):
        raise UserError(
            f"scenario must be a file path, a Scenario or raw data, got {type(scenario).__name__}",
            param="scenario",
        )
    return _Resolved(load_raw(scenario), str(scenario), "baseline")


def _plugins(
    plugins: Any,
) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, dict[str, Any]]]:
    """Load ``plugins`` and installed ones: (plugins, other modules that registered
    policies/effects, entries defined in ``__main__``) for the workers."""
    from samplesim.plugins import discover, load_plugins, registered_elsewhere

    names = load_plugins(plugins)
    discover()
    modules, by_value = registered_elsewhere()
    return names, tuple(m for m in modules if m not in names), by_value


def _plan(
    kind: str, scenario: Any, seed: Any, variants: list[str] | None, plugins: Any = None
) -> _Plan:
    seed = check_seed(seed)
    names, modules, by_value = _plugins(plugins)
    res = scenario if isinstance(scenario, _Resolved) else _resolve(scenario)
    raw, source = res.raw, res.source
    if res.scenario is not None and not res.exact:
        # The object's data does not rebuild it: run the object itself, nothing derived.
        base = attrs.evolve(res.scenario, digest=raw_digest(raw))
    else:
        base = build_scenario(raw, source)  # checks the scenario and all its variants
    digest = raw_digest(raw)
    if variants is None:
        variants = [res.label]
    derived = [v for v in variants if v != res.label]
    if derived and res.scenario is not None and (res.label != "baseline" or not res.exact):
        why = (
            f"it is already variant {res.label!r}"
            if res.label != "baseline"
            else "its data cannot be rebuilt from its attributes"
        )
        raise UserError(
            f"variants {derived!r} cannot be applied to this edited Scenario ({why}); "
            "pass the baseline Scenario or the scenario file",
            param="variants",
        )
    for v in derived:
        build_scenario(raw, source, variant=v, check_variants=False)  # unknown name -> error
    if res.scenario is not None:
        base = attrs.evolve(res.scenario, digest=digest)
    points = pd.DataFrame({"point": np.zeros(1, dtype="int64")})
    return _Plan(
        kind, raw, source, digest, base, seed, variants, points,
        scenario=res.scenario, label=res.label, plugins=names, modules=modules, shipped=by_value,
        exact=res.exact,
    )  # fmt: skip


def _batch_size(n_runs: int, jobs: int, batch_size: int | None) -> int:
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise UserError(f"batch_size must be an integer, got {batch_size!r}", "batch_size")
        if batch_size < 1:
            raise UserError("batch_size must be at least 1", param="batch_size")
        return batch_size
    return max(5, min(50, math.ceil(n_runs / (4 * max(1, jobs)))))


def _execute(
    plan: _Plan,
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
    size = _batch_size(len(todo), executor.jobs, batch_size)
    shipped = _shipped(plan, executor)
    tasks = [plan.task(todo[i : i + size], shipped) for i in range(0, len(todo), size)]
    progress.add_total(len(todo))
    for done, keys, errors in executor.map_unordered(run_batch, tasks):
        store.add(_frame(done, plan.seed), keys, errors)
        progress.advance(len(keys) + len(errors))
        progress.set_executor(executor.label)
    return len(todo)


def _shipped(plan: _Plan, executor: Any) -> bytes | None:
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


def parse_precision(spec: str | tuple[str, float] | None) -> tuple[str, str, float] | None:
    """``"approved=0.5"`` / ``"approved@US=0.5"`` -> (metric, country, half-width)."""
    if spec is None:
        return None
    if isinstance(spec, tuple):
        target, hw = spec
        spec = f"{target}={hw}"
    lhs, eq, rhs = str(spec).partition("=")
    metric, _, country = lhs.strip().partition("@")
    country = country or "ALL"
    try:
        hw = float(rhs)
    except ValueError:
        hw = float("nan")
    if not eq or not metric or not (hw > 0 and math.isfinite(hw)):
        raise UserError(
            f"precision {spec!r}: expected METRIC[@COUNTRY]=HALFWIDTH (> 0)", param="precision"
        )
    if metric not in METRICS:
        raise UserError(
            f"precision: unknown metric {metric!r} (known: {', '.join(METRICS)})",
            param="precision",
        )
    return metric, country, hw


def _manifest(plan: _Plan, replications: int, **extra: Any) -> dict[str, Any]:
    sc = plan.base
    return make_manifest(
        sc,
        kind=plan.kind,
        seed=plan.seed,
        variants=plan.variants,
        replications=replications,
        params={p.path: [p.low, p.high] for p in plan.params},
        spec=plan.spec(),
        **extra,
    )


def _run_plan(
    plan: _Plan,
    replications: int,
    *,
    precision: Any = None,
    precision_cap: int | None = None,
    executor: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
) -> tuple[pd.DataFrame, MemoryStore, dict[str, Any] | None, int, float, dict[str, Any], set]:
    if not isinstance(replications, int | np.integer) or replications < 1:
        raise UserError(
            f"replications must be a positive integer, got {replications!r}", param="replications"
        )
    prec = parse_precision(precision)
    cap = replications if precision_cap is None else precision_cap
    if prec is not None and cap < 2:
        raise UserError(
            "precision needs room for at least 2 replications (max_replications)",
            param="max_replications",
        )
    manifest = _manifest(
        plan, replications, executor=executor, precision=None if prec is None else list(prec)
    )
    # The executor first: an unreachable scheduler must not leave an output directory behind.
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
    t0 = time.perf_counter()
    executed = 0
    prec_info = None
    with ex, RunProgress(plan.kind, quiet) as progress:
        if prec is None:
            n = replications
            executed += _execute(plan, plan.runs(range(n)), store, ex, progress, batch_size)
        else:
            metric, country, target = prec
            n = min(cap, 10)
            while True:
                executed += _execute(plan, plan.runs(range(n)), store, ex, progress, batch_size)
                runs = _planned(store.runs(), plan, n)
                sel = runs[
                    (runs["variant"] == plan.variants[0])
                    & (runs["country"] == country)
                    & (runs["metric"] == metric)
                ]
                if sel.empty:
                    raise UserError(
                        f"precision: no values of {metric}@{country} in the runs", "precision"
                    )
                ci = t_interval(sel["value"].to_numpy())
                hw = ci.half_width
                if hw < target or n >= cap:
                    break
                need = n * (hw / target) ** 2 * 1.1 if hw == hw else 2 * n
                n = int(min(cap, max(n + 10, math.ceil(need))))
            prec_info = {
                "metric": metric,
                "country": country,
                "target": target,
                "half_width": hw,
                "n": n,
                "cap": cap,
                "reached": bool(hw < target),
            }
    wall = time.perf_counter() - t0
    specs = plan.runs(range(n))
    runs = _planned(store.runs(), plan, n)
    manifest["replications"] = n
    manifest["executor"] = ex.label
    return runs, store, prec_info, executed, wall, manifest, {s.key for s in specs}


def _planned(runs: pd.DataFrame, plan: _Plan, n: int) -> pd.DataFrame:
    """Only the runs of the plan with ``n`` replications (a resumed directory may hold more)."""
    keep = runs["replication"] < n
    keep &= runs["variant"].isin(plan.variants) & runs["point"].isin(plan.points["point"])
    return runs[keep].reset_index(drop=True) if not keep.all() else runs


def _finish(
    kind: str,
    store: MemoryStore,
    runs: pd.DataFrame,
    manifest: dict[str, Any],
    keys: set[str],
    tables: dict[str, pd.DataFrame | None],
) -> pd.DataFrame:
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
        finished = sorted(store.done_keys() & keys)
        write_json(
            out / "manifest.json",
            {
                **manifest,
                "status": "complete" if not len(errors) else "complete_with_errors",
                "runs": len(finished),
                "errors": len(errors),
                "finished_keys": finished,
            },
        )
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


# --------------------------------------------------------------------------------------------
# Command-line helpers shared by run / compare / sweep


def add_execution_arguments(p: Any, replications_default: int | None = 30) -> None:
    """``--seed --out --executor --jobs --scheduler --batch-size --resume --quiet``."""
    from samplesim.executors import EXECUTORS

    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--out", type=Path, default=None, help="output directory")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="where runs execute (default auto: serial, switching to worker processes when "
        "the first batch shows they pay)",
    )
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="address of a running Dask scheduler (with --executor dask)",
    )
    p.add_argument(
        "--batch-size", type=int, default=None, help="runs per task (default 5-50, automatic)"
    )
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted experiment in --out"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    from samplesim.plugins import add_plugin_argument

    add_plugin_argument(p)


def execution_kwargs(args: Any, n_runs: int) -> dict[str, Any]:
    """API keyword arguments from the parsed execution options."""
    executor = args.executor
    if executor is None:
        executor = "dask" if args.scheduler else "auto"
    return {
        "plugins": list(getattr(args, "plugin", []) or []),
        "seed": args.seed,
        "executor": executor,
        "jobs": args.jobs,
        "scheduler": args.scheduler,
        "out": args.out,
        "resume": args.resume,
        "batch_size": args.batch_size,
        "quiet": args.quiet,
    }


# --------------------------------------------------------------------------------------------
# Public API


def replicate(
    scenario: str | Path | Scenario | dict[str, Any],
    replications: int = 30,
    *,
    seed: int = 1,
    variant: str | None = None,
    precision: str | tuple[str, float] | None = None,
    max_replications: int | None = None,
    executor: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
    plugins: list[str] | str | None = None,
) -> ExperimentResult:
    """Run ``replications`` replications (indices 0..K-1, root ``seed``) of a scenario.

    Args:
        scenario: a scenario file path, raw scenario data or a :class:`Scenario` object,
            run exactly as given (an edited object too; ``variant`` then applies that
            variant's overrides to the object).
        replications: K, the number of replications (with ``precision``: the first batch is
            min(K, 10) and ``max_replications`` caps the total; default cap K).
        precision: ``"metric[@COUNTRY]=halfwidth"``: add replications in batches until the
            95 % half-width of that metric (country ALL by default) is below the target.
        seed: the root seed, a non-negative integer.
        executor, jobs, scheduler: see :func:`samplesim.executors.make_executor`; the
            default ``auto`` starts worker processes only when a measured batch shows
            they pay.
        plugins: modules to import first, in this process and every worker (they register
            policies or rule effects); installed ``samplesim.plugins`` entry points load
            by themselves.
        out: an experiment directory to write (parts, runs.parquet, replications.csv,
            manifest.json); ``resume`` continues an interrupted one.

    Returns:
        An :class:`ExperimentResult`; ``.summary`` is the replications table, ``.runs`` the
        long runs table, ``.precision`` the stopping outcome.
    """
    plan = _plan("replications", scenario, seed, None if variant is None else [variant], plugins)
    runs, store, prec, executed, wall, manifest, keys = _run_plan(
        plan,
        replications,
        precision=precision,
        precision_cap=max_replications,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        out=out,
        resume=resume,
        batch_size=batch_size,
        quiet=quiet,
    )
    summary = replications_table(runs)
    manifest["precision_result"] = prec
    errors = _finish("replications", store, runs, manifest, keys, {"replications": summary})
    return ExperimentResult(
        "replications",
        runs,
        summary,
        errors=errors,
        precision=prec,
        manifest=manifest,
        out=store.out,
        executed=executed,
        wall=wall,
        executor=manifest.get("executor", ""),
    )


def compare(
    scenario: str | Path | Scenario | dict[str, Any],
    variants: list[str] | None = None,
    replications: int = 30,
    *,
    seed: int = 1,
    executor: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    plots: bool = True,
    quiet: bool = True,
    plugins: list[str] | str | None = None,
) -> ExperimentResult:
    """Run the baseline and every variant on the same replications (common random numbers).

    Args:
        variants: variant names, or one name (default: every variant the scenario declares).
            With an edited :class:`Scenario`, the object is the baseline and each variant
            applies its overrides to it.
        Others as in :func:`replicate`.

    Returns:
        An :class:`ExperimentResult`; ``.comparison`` holds, per (variant, country, metric),
        the paired-t interval of ``variant - baseline`` and the Welch interval for contrast.
        With ``out`` and ``plots``, ``out/plots/comparison.png`` is drawn by
        ``samplesim.plots.comparison_forest`` when that function exists.
    """
    check_seed(seed)
    res = _resolve(scenario)
    declared = list(res.raw.get("variants", {}) or {})
    if variants is None:
        variants = declared
    elif isinstance(variants, str):
        variants = [variants]
    elif not all(isinstance(v, str) for v in variants):
        raise UserError(f"variants must be variant names, got {variants!r}", param="variants")
    variants = [v for v in dict.fromkeys(variants) if v != "baseline"]
    if not variants:
        raise UserError(
            "compare needs at least one variant (the scenario declares none)", param="variants"
        )
    unknown = [v for v in variants if v not in declared]
    if unknown:
        raise UserError(
            f"variants: unknown variant(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(declared) or 'none'})",
            param="variants",
        )
    plan = _plan("comparison", res, seed, ["baseline", *variants], plugins)
    runs, store, _, executed, wall, manifest, keys = _run_plan(
        plan,
        replications,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        out=out,
        resume=resume,
        batch_size=batch_size,
        quiet=quiet,
    )
    summary = replications_table(runs)
    comp = comparison_table(runs)
    errors = _finish(
        "comparison", store, runs, manifest, keys, {"replications": summary, "comparison": comp}
    )
    if store.out is not None and plots:
        from samplesim import plots as plotting

        if hasattr(plotting, "comparison_forest"):
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt

            fig = plotting.comparison_forest(comp)
            atomic_write(
                ensure_dir(store.out / "plots") / "comparison.png",
                lambda tmp: fig.savefig(tmp, dpi=120, format="png"),
            )
            plt.close(fig)
    return ExperimentResult(
        "comparison",
        runs,
        summary,
        comparison=comp,
        errors=errors,
        manifest=manifest,
        out=store.out,
        executed=executed,
        wall=wall,
        executor=manifest.get("executor", ""),
    )


def _parse_outcomes(outcomes: list[str] | str | None) -> list[tuple[str, str, str]]:
    if outcomes is None:
        outcomes = list(DEFAULT_OUTCOMES)
    if isinstance(outcomes, str):
        outcomes = [o for o in outcomes.split(",") if o.strip()]
    out = []
    for o in outcomes:
        metric, _, country = o.strip().partition("@")
        if metric not in METRICS:
            raise UserError(
                f"outcomes: unknown metric {metric!r} (known: {', '.join(METRICS)})", "outcomes"
            )
        out.append((o.strip(), metric, country or "ALL"))
    return out


def sweep(
    scenario: str | Path | Scenario | dict[str, Any],
    params: dict[str, tuple[float, float]] | list[str],
    samples: int | None = None,
    design: str = "lhs",
    *,
    levels: int | dict[str, int] = 5,
    replications: int = 1,
    outcomes: list[str] | str | None = None,
    variant: str | None = None,
    seed: int = 1,
    executor: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
    plugins: list[str] | str | None = None,
) -> ExperimentResult:
    """Sweep parameters over a design; every point runs the same replications (CRN).

    Args:
        params: ``{"review.reviewers": (5, 40), ...}`` or ``["review.reviewers=5:40", ...]``.
        samples: N for ``lhs`` (N points) and ``sobol`` (N a power of two; N * (D + 2) points).
        design: ``grid`` (``levels`` per parameter), ``lhs`` or ``sobol``.
        outcomes: ``metric[@COUNTRY]`` names for the sensitivity table (default approved,
            grams_granted, median_days_to_samples at ALL).
        variant: sweep around one of the scenario's variants instead of the baseline.

    Returns:
        An :class:`ExperimentResult` with ``.points``, ``.runs``, ``.summary`` (per point)
        and, for ``sobol``, ``.sensitivity`` (S1, S1_conf, ST, ST_conf per outcome/param).
    """
    from samplesim.design import parse_param

    if isinstance(params, str):
        params = [params]
    if isinstance(params, list | tuple):
        specs = {}
        for s in params:
            path, lo, hi = parse_param(s)
            specs[path] = (lo, hi)
    elif isinstance(params, dict):
        try:
            specs = {k: (float(v[0]), float(v[1])) for k, v in params.items()}
        except (TypeError, ValueError, IndexError):
            raise UserError(
                f"params: expected {{'path': (low, high)}}, got {params!r}", param="params"
            ) from None
    else:
        raise UserError(f"params: expected a dict or a list, got {params!r}", param="params")
    chosen = _parse_outcomes(outcomes)
    plan = _plan("sweep", scenario, seed, None if variant is None else [variant], plugins)
    if not plan.exact:
        raise UserError(
            "params cannot be swept around this edited Scenario (its data cannot be rebuilt "
            "from its attributes); pass the scenario file",
            param="params",
        )
    plan.params = make_params(plan.raw, plan.source, specs, variant=plan.variants[0])
    plan.points = make_points(plan.params, design, samples, levels, seed)
    plan.extra = {"design": design, "samples": samples, "levels": levels}
    runs, store, _, executed, wall, manifest, keys = _run_plan(
        plan,
        replications,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        out=out,
        resume=resume,
        batch_size=batch_size,
        quiet=quiet,
    )
    summary = replications_table(runs, by=("point", "variant", "country", "metric"))
    sens = None
    if design == "sobol":
        rows = []
        for name, metric, country in chosen:
            s = summary[(summary["metric"] == metric) & (summary["country"] == country)]
            y = s.set_index("point")["mean"].reindex(plan.points["point"]).to_numpy()
            idx = sobol_indices(plan.params, y, seed=seed)
            for j, p in enumerate(plan.params):
                rows.append(
                    {
                        "outcome": name,
                        "parameter": p.path,
                        **{
                            k: (float(idx[k][j]) if idx else np.nan)
                            for k in ("S1", "S1_conf", "ST", "ST_conf")
                        },
                    }
                )
        sens = pd.DataFrame(
            rows, columns=["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
        )
    manifest["outcomes"] = [c[0] for c in chosen]
    errors = _finish(
        "sweep",
        store,
        runs,
        manifest,
        keys,
        {"points": plan.points, "replications": summary, "sensitivity": sens},
    )
    return ExperimentResult(
        "sweep",
        runs,
        summary,
        points=plan.points,
        sensitivity=sens,
        errors=errors,
        manifest=manifest,
        out=store.out,
        executed=executed,
        wall=wall,
        executor=manifest.get("executor", ""),
    )


__all__ += ["METRICS", "sort_runs"]
