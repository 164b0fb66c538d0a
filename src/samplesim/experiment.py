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
import time
import traceback
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from samplesim.design import Param, make_params, make_points, sobol_indices
from samplesim.errors import UserError
from samplesim.executors import make_executor
from samplesim.model.world import World
from samplesim.outcomes import SUMMARY_COLUMNS, build_result
from samplesim.output import make_manifest, write_json
from samplesim.paths import atomic_write, ensure_dir
from samplesim.progress import RunProgress
from samplesim.scenario import Scenario, build_scenario, load_raw, raw_digest, set_path
from samplesim.stats import comparison_table, replications_table, t_interval
from samplesim.store import MemoryStore, ResultStore, empty_runs, run_key, sort_runs

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
_DAY_STAGES = ("submitted", "cleared", "reviewed", "shortlisted", "decision", "samples")


# --------------------------------------------------------------------------------------------
# One run -> long rows (a lean equivalent of outcomes.summarize, built from the World arrays)


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


def _long_rows(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(country, metric, value) arrays of one run, ALL-only metrics for ALL only."""
    try:
        labels, vals = run_summary(w)
    except (AttributeError, KeyError, TypeError, ValueError):  # pragma: no cover
        # The World's internals changed under the lean path: fall back to the full tables.
        summary = build_result(w).summary
        labels = summary["country"].tolist()
        vals = {m: summary[m].to_numpy(dtype=float) for m in METRICS}
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


# --------------------------------------------------------------------------------------------
# Tasks (what a worker receives) and the worker function


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
    """A batch of runs of one scenario (raw data, shipped to the worker)."""

    raw: dict[str, Any]
    source: str
    digest: str
    seed: int
    runs: tuple[RunSpec, ...]


_SCENARIOS: dict[tuple[Any, ...], Scenario] = {}


def _scenario(task: Task, run: RunSpec) -> Scenario:
    key = (task.digest, task.source, run.variant, run.params)
    sc = _SCENARIOS.get(key)
    if sc is None:
        if len(_SCENARIOS) > 256:
            _SCENARIOS.clear()
        overrides = [set_path(path, value) for path, value in run.params]
        sc = build_scenario(
            task.raw, task.source, variant=run.variant, overrides=overrides, check_variants=False
        )
        _SCENARIOS[key] = sc
    return sc


def run_task(task: Task) -> tuple[pd.DataFrame, list[str], list[dict[str, Any]]]:
    """Run a batch: the long-table rows of its runs, the keys of the runs that finished and
    one record per run that raised (the batch carries on)."""
    frames: list[tuple[RunSpec, np.ndarray, np.ndarray, np.ndarray]] = []
    keys: list[str] = []
    errors: list[dict[str, Any]] = []
    for run in task.runs:
        try:
            sc = _scenario(task, run)
            w = World(sc, task.seed, run.replication).run()
            frames.append((run, *_long_rows(w)))
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
    if not frames:
        return empty_runs(), keys, errors
    sizes = [len(f[1]) for f in frames]
    df = pd.DataFrame(
        {
            "point": np.repeat([f[0].point for f in frames], sizes).astype("int64"),
            "variant": np.repeat(np.asarray([f[0].variant for f in frames], dtype=object), sizes),
            "replication": np.repeat([f[0].replication for f in frames], sizes).astype("int64"),
            "seed": np.full(sum(sizes), task.seed, dtype="int64"),
            "country": np.concatenate([f[1] for f in frames]),
            "metric": np.concatenate([f[2] for f in frames]),
            "value": np.concatenate([f[3] for f in frames]),
        }
    )
    return df, keys, errors


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


def _resolve(scenario: Any) -> tuple[dict[str, Any], str, str | None]:
    """(raw data, source, variant) of a path, a loaded Scenario or a raw dict."""
    if isinstance(scenario, Scenario):
        if not scenario.source or not Path(scenario.source).exists():
            raise UserError(
                "a loaded Scenario must come from a file (its .source); pass the path instead"
            )
        raw = load_raw(scenario.source)
        if scenario.digest and raw_digest(raw) != scenario.digest:
            raise UserError(
                f"{scenario.source}: the file changed since the scenario was loaded; reload it"
            )
        return raw, scenario.source, (None if scenario.variant == "baseline" else scenario.variant)
    if isinstance(scenario, dict):
        return scenario, "<scenario>", None
    return load_raw(scenario), str(scenario), None


def _plan(kind: str, scenario: Any, seed: int, variants: list[str] | None) -> _Plan:
    if seed < 0:
        raise UserError("seed must be a non-negative integer")
    raw, source, sc_variant = _resolve(scenario)
    base = build_scenario(raw, source)  # checks the scenario and all its variants
    if variants is None:
        variants = [sc_variant or "baseline"]
    for v in variants:
        build_scenario(raw, source, variant=v, check_variants=False)  # unknown name -> error
    points = pd.DataFrame({"point": np.zeros(1, dtype="int64")})
    return _Plan(kind, raw, source, base.digest, base, seed, variants, points)


def _batch_size(n_runs: int, jobs: int, batch_size: int | None) -> int:
    if batch_size is not None:
        if batch_size < 1:
            raise UserError("--batch-size must be at least 1")
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
    tasks = [
        Task(plan.raw, plan.source, plan.digest, plan.seed, tuple(todo[i : i + size]))
        for i in range(0, len(todo), size)
    ]
    progress.add_total(len(todo))
    for df, keys, errors in executor.map_unordered(run_task, tasks):
        store.add(df, keys, errors)
        progress.advance(len(keys) + len(errors))
    return len(todo)


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
        raise UserError(f"--precision {spec!r}: expected METRIC[@COUNTRY]=HALFWIDTH (> 0)")
    if metric not in METRICS:
        raise UserError(f"--precision: unknown metric {metric!r} (known: {', '.join(METRICS)})")
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
    executor: str = "serial",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
) -> tuple[pd.DataFrame, MemoryStore, dict[str, Any] | None, int, float, dict[str, Any], set]:
    if not isinstance(replications, int | np.integer) or replications < 1:
        raise UserError(f"replications must be a positive integer (got {replications!r})")
    prec = parse_precision(precision)
    cap = replications if precision_cap is None else precision_cap
    if prec is not None and cap < 2:
        raise UserError("--precision needs room for at least 2 replications")
    manifest = _manifest(
        plan, replications, executor=executor, precision=None if prec is None else list(prec)
    )
    # The executor first: an unreachable scheduler must not leave an output directory behind.
    ex = make_executor(executor, jobs, scheduler)
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
                    raise UserError(f"--precision: no values of {metric}@{country} in the runs")
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
    return errors


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
        help="where runs execute (default: processes for 100 runs or more, else serial)",
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


def execution_kwargs(args: Any, n_runs: int) -> dict[str, Any]:
    """API keyword arguments from the parsed execution options."""
    executor = args.executor
    if executor is None:
        executor = "dask" if args.scheduler else ("processes" if n_runs >= 100 else "serial")
    return {
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
    executor: str = "serial",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
) -> ExperimentResult:
    """Run ``replications`` replications (indices 0..K-1, root ``seed``) of a scenario.

    Args:
        scenario: a scenario file path, a loaded :class:`Scenario` (reloaded from its
            ``.source``) or raw scenario data.
        replications: K, the number of replications (with ``precision``: the first batch is
            min(K, 10) and ``max_replications`` caps the total; default cap K).
        precision: ``"metric[@COUNTRY]=halfwidth"``: add replications in batches until the
            95 % half-width of that metric (country ALL by default) is below the target.
        executor, jobs, scheduler: see :func:`samplesim.executors.make_executor`.
        out: an experiment directory to write (parts, runs.parquet, replications.csv,
            manifest.json); ``resume`` continues an interrupted one.

    Returns:
        An :class:`ExperimentResult`; ``.summary`` is the replications table, ``.runs`` the
        long runs table, ``.precision`` the stopping outcome.
    """
    plan = _plan("replications", scenario, seed, None if variant is None else [variant])
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
    )


def compare(
    scenario: str | Path | Scenario | dict[str, Any],
    variants: list[str] | None = None,
    replications: int = 30,
    *,
    seed: int = 1,
    executor: str = "serial",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    plots: bool = True,
    quiet: bool = True,
) -> ExperimentResult:
    """Run the baseline and every variant on the same replications (common random numbers).

    Args:
        variants: variant names (default: every variant the scenario declares).
        Others as in :func:`replicate`.

    Returns:
        An :class:`ExperimentResult`; ``.comparison`` holds, per (variant, country, metric),
        the paired-t interval of ``variant - baseline`` and the Welch interval for contrast.
        With ``out`` and ``plots``, ``out/plots/comparison.png`` is drawn by
        ``samplesim.plots.comparison_forest`` when that function exists.
    """
    raw, _, _ = _resolve(scenario)
    declared = list(raw.get("variants", {}) or {})
    if variants is None:
        variants = declared
    variants = [v for v in dict.fromkeys(variants) if v != "baseline"]
    if not variants:
        raise UserError("compare needs at least one variant (the scenario declares none)")
    unknown = [v for v in variants if v not in declared]
    if unknown:
        raise UserError(
            f"unknown variant(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(declared) or 'none'})"
        )
    plan = _plan("comparison", scenario, seed, ["baseline", *variants])
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
            raise UserError(f"--outcomes: unknown metric {metric!r} (known: {', '.join(METRICS)})")
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
    executor: str = "serial",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
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

    if isinstance(params, list | tuple):
        specs = {}
        for s in params:
            path, lo, hi = parse_param(s)
            specs[path] = (lo, hi)
    else:
        specs = {k: (float(v[0]), float(v[1])) for k, v in params.items()}
    chosen = _parse_outcomes(outcomes)
    plan = _plan("sweep", scenario, seed, None if variant is None else [variant])
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
    )


__all__ += ["METRICS", "sort_runs"]
