"""Experiments (the public API): replications, paired variant comparisons and parameter sweeps.

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

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from samplesim.design import check_design_size, make_params, make_points
from samplesim.errors import UserError, check_seed
from samplesim.experiment.best import best_selection, parse_best
from samplesim.experiment.call_tables import experiment_calls
from samplesim.experiment.driver import finish, run_plan
from samplesim.experiment.outcome_specs import parse_outcomes as _parse_outcomes
from samplesim.experiment.plan import check_country, make_plan
from samplesim.experiment.resolve import resolve
from samplesim.experiment.sweep_tables import morris_effects, sobol_indices
from samplesim.scenario import Scenario
from samplesim.stats import comparison_table, replications_table
from samplesim.stopping import DEFAULT_MIN_REPLICATIONS

#: Replications per sweep point unless told otherwise.
DEFAULT_SWEEP_REPLICATIONS = 10

__all__ = ["ExperimentResult", "compare", "replicate", "sweep"]


@attrs.frozen(repr=False)
class ExperimentResult:
    """What an experiment produced (the tables of docs/tables.md).

    Attributes:
        kind: ``replications``, ``comparison`` or ``sweep``.
        runs: the tidy long table (point, variant, replication, seed, country, metric, value).
        summary: the ``replications`` table (mean, 95 % t-interval; per point for sweeps).
        comparison: the ``comparison`` table (``compare`` only).
        points: the ``points`` table (``sweep`` only).
        sensitivity: the ``sensitivity`` table (Sobol' sweeps only).
        morris: the ``morris`` table of elementary effects (Morris sweeps only).
        errors: runs that raised (key, point, variant, replication, seed, error).
        precision: for sequential stopping: metric, country, target, half_width, n, reached.
        manifest: the experiment manifest; out: the output directory (or None).
        executed: runs executed by this call (resumed runs excluded); wall: seconds.
        executor: where the runs executed (``serial``, ``processes ×2``, ``dask ×4``).
        selection: ``compare(best=...)`` only: which variants may be best (subset selection).
        calls: the per-call table (variant, call, metric: n, mean, 95 % interval; per point
            for sweeps).
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
    selection: pd.DataFrame | None = None
    morris: pd.DataFrame | None = None
    calls: pd.DataFrame | None = None

    def __repr__(self) -> str:
        """At most 20 lines: what ran, key metrics with 95 % CIs, tables, files."""
        from samplesim.cards import experiment_text

        return experiment_text(self)

    def _repr_html_(self) -> str:
        """The card Jupyter shows (:mod:`samplesim.cards`)."""
        from samplesim.cards import experiment_html

        return experiment_html(self)


def replicate(
    scenario: str | Path | Scenario | dict[str, Any],
    replications: int = 30,
    *,
    seed: int = 1,
    variant: str | None = None,
    precision: str | tuple[str, float] | None = None,
    max_replications: int | None = None,
    min_replications: int = DEFAULT_MIN_REPLICATIONS,
    stopping: str = "batch",
    executor: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = True,
    plugins: list[str] | str | None = None,
    before_complete: Callable[[Path], object] | None = None,
) -> ExperimentResult:
    """Run ``replications`` replications (indices 0..K-1, root ``seed``) of a scenario.

    Args:
        scenario: a scenario file path, raw scenario data or a :class:`Scenario` object,
            run exactly as given (an edited object too; ``variant`` then applies that
            variant's overrides to the object).
        replications: K, the number of replications (with ``precision``:
            ``max_replications`` caps the total; default cap K).
        precision: ``"metric[@COUNTRY]=halfwidth"``: add replications until the 95 %
            half-width of that metric (country ALL by default) is below the target, starting
            at ``min_replications`` (default 20); intervals by the metric's kind (exact
            Garwood/Wilson hulls for counts/proportions, see :mod:`samplesim.stopping`).
        stopping: ``"batch"`` (default) or ``"hrd"`` (Hoad, Robinson & Davies 2010,
            with a look-ahead).
        seed: the root seed, a non-negative integer.
        executor, jobs, scheduler: see :func:`samplesim.executors.make_executor`; the
            default ``auto`` starts worker processes only when a measured batch shows
            they pay.
        plugins: modules to import first, in this process and every worker (they register
            policies or rule effects); installed ``samplesim.plugins`` entry points load
            by themselves.
        out: an experiment directory to write (parts, runs.parquet, replications.csv,
            manifest.json); ``resume`` continues an interrupted one.
        before_complete: called with ``out`` once its tables are written, before its
            manifest says complete (the command line draws the figures there).

    Returns:
        An :class:`ExperimentResult`; ``.summary`` is the replications table, ``.runs`` the
        long runs table, ``.precision`` the stopping outcome.
    """
    plan = make_plan(
        "replications", scenario, seed, None if variant is None else [variant], plugins
    )
    runs, store, prec, executed, wall, manifest, keys = run_plan(
        plan,
        replications,
        precision=precision,
        precision_cap=max_replications,
        min_replications=min_replications,
        stopping=stopping,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        out=out,
        resume=resume,
        batch_size=batch_size,
        quiet=quiet,
    )
    summary = replications_table(runs)
    calls = experiment_calls(store, runs, ("variant", "call", "metric"))
    manifest["precision_result"] = prec
    errors = finish(
        "replications",
        store,
        runs,
        manifest,
        keys,
        {"replications": summary, "calls": calls},
        before_complete,
    )
    return ExperimentResult(
        "replications",
        runs,
        summary,
        calls=calls,
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
    plots: bool | None = None,
    quiet: bool = True,
    plugins: list[str] | str | None = None,
    before_complete: Callable[[Path], object] | None = None,
    best: str | None = None,
) -> ExperimentResult:
    """Run the baseline and every variant on the same replications (common random numbers).

    Args:
        variants: variant names, or one name (default: every variant the scenario declares).
            With an edited :class:`Scenario`, the object is the baseline and each variant
            applies its overrides to it.
        best: ``"metric[@COUNTRY][:max|min]"``: which policy is best for that metric (larger
            is better unless ``:min``), by Bonferroni subset selection with common random
            numbers (``.selection``; see :mod:`samplesim.multiplicity`).
        Others as in :func:`replicate`.

    Returns:
        An :class:`ExperimentResult`; ``.comparison`` holds, per (variant, country, metric),
        the paired-t interval of ``variant - baseline``, the Welch interval for contrast, and
        over the whole family the Holm-adjusted p-value, whether the difference survives it,
        and the Bonferroni simultaneous interval.
        No figure is drawn: ``samplesim.plots.comparison_forest(result.comparison)`` draws the
        forest plot (``samplesim compare`` writes it as ``plots/comparison.png``); ``plots``
        is ignored and kept only so that older calls keep working.
    """
    if plots:
        warnings.warn(
            "compare(plots=True) draws nothing any more; use "
            "samplesim.plots.comparison_forest(result.comparison)",
            DeprecationWarning,
            stacklevel=2,
        )
    check_seed(seed)
    res = resolve(scenario)
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
    goal = parse_best(best)
    plan = make_plan("comparison", res, seed, ["baseline", *variants], plugins)
    runs, store, _, executed, wall, manifest, keys = run_plan(
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
    selection = best_selection(runs, goal, ["baseline", *variants])
    calls = experiment_calls(store, runs, ("variant", "call", "metric"))
    errors = finish(
        "comparison",
        store,
        runs,
        manifest,
        keys,
        {"replications": summary, "comparison": comp, "selection": selection, "calls": calls},
        before_complete,
    )
    return ExperimentResult(
        "comparison",
        runs,
        summary,
        calls=calls,
        comparison=comp,
        selection=selection,
        errors=errors,
        manifest=manifest,
        out=store.out,
        executed=executed,
        wall=wall,
        executor=manifest.get("executor", ""),
    )


class SensitivityWarning(UserWarning):
    """A Sobol' index that noise or a small design leaves undetermined."""


def sweep(
    scenario: str | Path | Scenario | dict[str, Any],
    params: dict[str, tuple[float, float]] | list[str],
    samples: int | None = None,
    design: str = "lhs",
    *,
    levels: int | dict[str, int] | None = None,
    replications: int = DEFAULT_SWEEP_REPLICATIONS,
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
    before_complete: Callable[[Path], object] | None = None,
) -> ExperimentResult:
    """Sweep parameters over a design; every point runs the same replications (CRN),
    ``replications`` of them (default 10: Sobol' indices need replications to separate a
    parameter's effect from simulation noise, see :mod:`samplesim.sensitivity`).

    Args:
        params: ``{"review.reviewers": (5, 40), ...}`` or ``["review.reviewers=5:40", ...]``.
        samples: N for ``lhs`` (N points) and ``sobol`` (N a power of two; N * (D + 2) points).
        design: ``grid`` (``levels`` per parameter, default 5), ``lhs``, ``sobol`` or
            ``morris`` (``samples`` >= 2 trajectories of D + 2 points on an even number of
            ``levels``, default 4; two or more parameters; see :mod:`samplesim.morris`).
        outcomes: ``metric[@COUNTRY]`` names for the sensitivity table (default approved,
            grams_granted, median_days_to_samples at ALL).
        variant: sweep around one of the scenario's variants instead of the baseline.

    Returns:
        An :class:`ExperimentResult` with ``.points``, ``.runs``, ``.summary`` (per point)
        and, for ``sobol``, ``.sensitivity`` (S1, ST with 95 % bootstrap bounds and half-widths
        per outcome and parameter, a ``(dummy)`` row giving the noise floor, whether each
        parameter is distinguishable from it, warnings; each warning is also emitted as a
        :class:`SensitivityWarning` and kept in the manifest); for ``morris``, ``.morris``
        (mu, mu_star with its bootstrap half-width and lower bound, sigma, a ``(dummy)`` noise
        floor and whether each parameter is distinguishable from it).
    """
    from samplesim.design import parse_param

    if isinstance(params, str):
        params = [params]
    if isinstance(params, list | tuple):
        specs = {}
        for s in params:
            path, lo, hi = parse_param(s)
            if path in specs:
                raise UserError(f"params: {path} is given twice", param="params")
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
    plan = make_plan("sweep", scenario, seed, None if variant is None else [variant], plugins)
    if not plan.exact:
        raise UserError(
            "params cannot be swept around this edited Scenario (its data cannot be rebuilt "
            "from its attributes); pass the scenario file",
            param="params",
        )
    for _name, _metric, country in chosen:
        check_country(plan, country, "outcomes")
    plan.params = make_params(plan.raw, plan.source, specs, variant=plan.variants[0])
    if levels is None:
        from samplesim.design import MORRIS_LEVELS

        levels = MORRIS_LEVELS if design == "morris" else 5
    check_design_size(plan.params, design, samples, levels)
    plan.points = make_points(plan.params, design, samples, levels, seed)
    plan.extra = {"design": design, "samples": samples, "levels": levels}
    runs, store, _, executed, wall, manifest, keys = run_plan(
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
    sens = morris = None
    if design in ("sobol", "morris"):
        if design == "sobol":
            sens, notes = sobol_indices(plan, runs, chosen, seed)
        else:
            assert isinstance(levels, int)
            morris, notes = morris_effects(plan, runs, chosen, seed, levels)
        manifest["sensitivity_warnings"] = notes
        for note in notes:
            warnings.warn(note, SensitivityWarning, stacklevel=2)
    manifest["outcomes"] = [c[0] for c in chosen]
    calls = experiment_calls(store, runs, ("point", "variant", "call", "metric"))
    tables = {"points": plan.points, "replications": summary, "sensitivity": sens}
    errors = finish(
        "sweep",
        store,
        runs,
        manifest,
        keys,
        {**tables, "morris": morris, "calls": calls},
        before_complete,
    )
    return ExperimentResult(
        "sweep",
        runs,
        summary,
        calls=calls,
        points=plan.points,
        sensitivity=sens,
        morris=morris,
        errors=errors,
        manifest=manifest,
        out=store.out,
        executed=executed,
        wall=wall,
        executor=manifest.get("executor", ""),
    )
