"""``samplesim.calibrate``: fit scenario parameters to observed facts by ABC-SMC (pyabc).

Output directory (``out``)::

    manifest.json     kind "calibration", the spec (scenario digest, facts, params, seed...),
                      status ("running" until the tables are written, then "done")
    abc.db            pyabc's SQLite history: every generation, what ``resume`` continues
    posterior.csv     the last generation: one column per parameter and ``weight`` (sum 1)
    intervals.csv     per parameter: prior range, mean, sd, p05, median, p95
    generations.csv   generation, epsilon, accepted, simulations, acceptance
    ppc.csv           posterior predictive check (the columns of check.csv)
    ppc_values.csv    the predictive draws: parameters and simulated facts, one row per draw

Every table is written atomically; the command adds ``plots/``.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from samplesim.calibration.abc import EXECUTORS, import_pyabc, posterior_tables, run_abc
from samplesim.calibration.facts import load_facts
from samplesim.calibration.model import FactModel
from samplesim.calibration.tables import intervals, predictive_check
from samplesim.design import Param, make_params, parse_param
from samplesim.errors import UserError, check_seed
from samplesim.experiment.resolve import load_plugins_for_workers, resolve
from samplesim.paths import atomic_write, ensure_dir, refuse_symlink, write_json
from samplesim.results_dir import manifest_problem, read_manifest_or_none
from samplesim.run_output import make_manifest
from samplesim.scenario import raw_digest
from samplesim.scenario.observed import lead_countries

__all__ = ["CalibrationResult", "calibrate"]

KIND = "calibration"


@attrs.frozen
class CalibrationResult:
    """A calibration: the posterior and its checks as DataFrames.

    Attributes:
        posterior: the last ABC-SMC generation, one column per parameter and ``weight``.
        intervals: per parameter: prior range, mean, sd, p05, median, p95.
        generations: epsilon, accepted particles, simulations and acceptance per generation.
        ppc: the posterior predictive check (columns of ``check.csv``).
        ppc_values: per predictive draw, its parameters and its simulated facts.
        observed: fact name -> observed value; params: the calibrated parameters.
    """

    posterior: pd.DataFrame
    intervals: pd.DataFrame
    generations: pd.DataFrame
    ppc: pd.DataFrame
    ppc_values: pd.DataFrame
    observed: dict[str, float]
    params: tuple[Param, ...]
    scenario: str
    manifest: dict[str, Any] = attrs.Factory(dict)
    out: Path | None = None
    executor: str = ""

    @property
    def simulations(self) -> int:
        """Simulations used by ABC-SMC over all generations."""
        return int(self.generations["simulations"].sum())


def _specs(params: Any) -> dict[str, tuple[float, float]]:
    if isinstance(params, str):
        params = [params]
    if isinstance(params, dict):
        try:
            return {str(k): (float(v[0]), float(v[1])) for k, v in params.items()}
        except (TypeError, ValueError, IndexError):
            raise UserError(f"params: expected {{'path': (low, high)}}, got {params!r}",
                            param="params") from None  # fmt: skip
    if isinstance(params, list | tuple) and all(isinstance(s, str) for s in params):
        return {path: (lo, hi) for path, lo, hi in map(parse_param, params)}
    raise UserError(f"params: expected PATH=LOW:HIGH strings or a dict, got {params!r}",
                    param="params")  # fmt: skip


def _whole(value: Any, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise UserError(f"{name} must be an integer of at least {least}, got {value!r}",
                        param=name)  # fmt: skip
    return value


def _check_options(population: Any, generations: Any, min_epsilon: Any, predictive: Any,
                   max_simulations: Any, executor: Any, jobs: Any) -> None:  # fmt: skip
    _whole(population, "population", 5)
    _whole(generations, "generations", 1)
    _whole(predictive, "predictive", 2)
    if max_simulations is not None:
        _whole(max_simulations, "max_simulations", 1)
    if jobs is not None:
        _whole(jobs, "jobs", 1)
    try:
        eps = float(min_epsilon)
    except (TypeError, ValueError):
        eps = math.nan
    if not (math.isfinite(eps) and eps >= 0):
        raise UserError(f"min_epsilon must be a number >= 0, got {min_epsilon!r}",
                        param="min_epsilon")  # fmt: skip
    if executor not in EXECUTORS:
        raise UserError(f"executor {executor!r}: choose from {', '.join(EXECUTORS)}",
                        param="executor")  # fmt: skip


def _open_out(out: Path, manifest: dict[str, Any], resume: bool) -> bool:
    """Check ``out`` before anything is written; whether a finished calibration is there."""
    exists = refuse_symlink(out, "is")
    if exists and not out.is_dir():
        raise UserError(f"{out}: exists and is not a directory", param="out")
    if not (exists and any(out.iterdir())):
        if resume:
            raise UserError(f"{out}: nothing to resume (no calibration there)", param="resume")
        return False
    if not resume:
        raise UserError(f"{out}: directory is not empty; pass resume=True to continue the "
                        "calibration it holds, or choose another out", param="resume",
                        also=("out",))  # fmt: skip
    problem = manifest_problem(out, (KIND,))
    if problem:
        raise UserError(f"{out}: {problem}; not touching it", also=("out",))
    old = read_manifest_or_none(out) or {}
    if old.get("spec") != manifest["spec"]:
        diff = sorted(k for k in set(old.get("spec", {})) | set(manifest["spec"])
                      if old.get("spec", {}).get(k) != manifest["spec"].get(k))  # fmt: skip
        raise UserError(f"{out}: holds a calibration with another spec (differs in: "
                        f"{', '.join(diff)}); not touching it")  # fmt: skip
    refuse_symlink(out / "abc.db", "is")
    if not (out / "abc.db").is_file():
        raise UserError(f"{out}: has no abc.db to resume from", param="resume")
    return old.get("status") == "done" and old.get("generations") == manifest["generations"]


def calibrate(
    scenario: str | Path | dict[str, Any],
    params: dict[str, tuple[float, float]] | list[str] | str,
    observed: str | Path | None = None,
    *,
    population: int = 200,
    generations: int = 8,
    min_epsilon: float = 0.0,
    max_simulations: int | None = None,
    predictive: int = 200,
    seed: int = 1,
    executor: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    quiet: bool = True,
    plugins: list[str] | str | None = None,
) -> CalibrationResult:
    """Fit ``params`` (uniform priors on their ranges) to observed facts by ABC-SMC.

    Args:
        scenario: a scenario file path or raw scenario data (the baseline is calibrated;
            facts of a variant run that variant at the same parameters).
        params: ``["review.reviewers=5:40", ...]`` or ``{"review.reviewers": (5, 40)}``;
            any key path a sweep takes (integer keys are rounded when simulated).
        observed: a TOML file of ``[observed.NAME]`` facts (default: the scenario's own).
        population: particles per generation; generations: the most generations in total;
            min_epsilon: stop once the acceptance threshold is this small;
            max_simulations: stop after this many simulations.
        predictive: runs of the posterior predictive check.
        executor: ``auto`` (processes on two cores or more, else serial), ``serial`` (the
            only reproducible one: same seed, same posterior), ``processes`` or ``dask``
            (``scheduler``: a Dask scheduler address; default a local cluster of ``jobs``).
        out: directory for the tables (and pyabc's ``abc.db``); ``resume`` continues the
            calibration there up to ``generations`` (or just rewrites its tables).

    Returns:
        A :class:`CalibrationResult` (posterior, intervals, generations, ppc...).
    """
    seed = check_seed(seed)
    _check_options(population, generations, min_epsilon, predictive, max_simulations,
                   executor, jobs)  # fmt: skip
    if resume and out is None:
        raise UserError("resume needs an out directory", param="resume")
    import_pyabc()
    res = resolve(scenario)
    if res.scenario is not None:
        raise UserError("scenario: calibrate takes a scenario file or raw data, not an edited "
                        "Scenario object", param="scenario")  # fmt: skip
    specs = _specs(params)
    plist = make_params(res.raw, res.source, specs)
    sc = load_facts(res.raw, res.source, observed)
    names, modules, _ = load_plugins_for_workers(plugins)
    facts = tuple(sc.observed.items())
    obs = {k: float(f.value) for k, f in facts}
    model = FactModel(res.raw, res.source, raw_digest(res.raw), seed, tuple(plist), facts,
                      tuple(lead_countries(sc)), (*names, *modules))  # fmt: skip
    spec = {"params": {p.path: [p.low, p.high] for p in plist}, "observed": obs,
            "facts_file": None if observed is None else str(observed), "population": population,
            "seed": seed}  # fmt: skip
    manifest = make_manifest(attrs.evolve(sc, source=res.source), kind=KIND, seed=seed,
                             spec=spec, generations=generations, min_epsilon=float(min_epsilon),
                             max_simulations=max_simulations, predictive=predictive)  # fmt: skip
    tmp, finished, created = None, False, False
    if out is None:
        tmp = Path(tempfile.mkdtemp(prefix="samplesim-abc-"))
        where = tmp
    else:
        where = Path(out)
        finished = _open_out(where, manifest, resume)
        created = not where.exists() or not any(where.iterdir())
        ensure_dir(where)
        write_json(where / "manifest.json", {**manifest, "status": "running"})
    try:
        history, label = run_abc(
            model, obs, f"sqlite:///{(where / 'abc.db').resolve()}", population=population,
            generations=0 if finished else generations,
            min_epsilon=float(min_epsilon), max_simulations=max_simulations, seed=seed,
            resume=resume, executor=executor, jobs=jobs, scheduler=scheduler, quiet=quiet,
        )  # fmt: skip
        post, gens = posterior_tables(history, [p.path for p in plist])
    except Exception:  # a failed start leaves nothing; an interrupted run stays resumable
        if created:
            shutil.rmtree(where, ignore_errors=True)
        raise
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    ints = intervals(post, plist)
    ppc, values, thetas = predictive_check(model, post, obs, predictive, seed)
    ppc_values = pd.concat([thetas, values], axis=1)
    manifest = {**manifest, "executor": label, "simulations": int(gens["simulations"].sum())}
    if out is not None:
        tables = {"posterior": post, "intervals": ints, "generations": gens, "ppc": ppc,
                  "ppc_values": ppc_values}  # fmt: skip
        for name, df in tables.items():
            atomic_write(
                where / f"{name}.csv",
                lambda f, df=df: df.to_csv(f, index=False, float_format="%.6g"),
            )
        write_json(where / "manifest.json", {**manifest, "status": "done"})
    return CalibrationResult(post, ints, gens, ppc, ppc_values, obs, tuple(plist), sc.name,
                             manifest, None if out is None else where, label)  # fmt: skip
