"""ABC-SMC with pyabc: priors, sampler, a run (new or resumed) and the posterior as tables.

pyabc (Klinger, Rickert & Hasenauer 2018) implements the ABC-SMC scheme of Beaumont et al.
(2009) / Del Moral et al. (2012): generation ``t`` proposes particles by perturbing the
previous weighted population, keeps those whose simulated facts fall within ``eps_t`` of the
observed ones, re-weights them (prior / proposal density) and lowers ``eps`` to the median
distance of the accepted population. Priors are uniform on each ``--param`` range.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import numpy as np
import pandas as pd

from samplesim.calibration.model import FactDistance, FactModel
from samplesim.errors import UserError

__all__ = ["EXECUTORS", "INSTALL_HINT", "import_pyabc", "run_abc"]

#: Where particles are simulated: ``auto`` (processes if there are two cores or more, else
#: serial), ``serial`` (reproducible: same seed, same posterior), ``processes``, ``dask``.
EXECUTORS = ("auto", "serial", "processes", "dask")
INSTALL_HINT = 'pip install "samplesim[calibrate]"'


def import_pyabc() -> Any:
    """The pyabc module, or a UserError naming the extra that installs it."""
    try:
        import pyabc
    except ImportError:
        raise UserError(
            f"calibration needs pyabc, which is not installed; run: {INSTALL_HINT}"
        ) from None
    return pyabc


def _sampler(
    pyabc: Any, executor: str, jobs: int | None, scheduler: str | None, stack: ExitStack
) -> tuple[Any, str]:
    """pyabc's sampler for ``executor`` and its label; a Dask client (and a local cluster
    when no ``scheduler`` address is given) is closed by ``stack``."""
    if executor == "auto":
        executor = "processes" if (jobs or min(2, os.cpu_count() or 1)) > 1 else "serial"
    if executor == "serial":
        return pyabc.sampler.SingleCoreSampler(check_max_eval=True), "serial"
    if executor == "processes":
        n = jobs or min(2, os.cpu_count() or 1)
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=n), f"processes ×{n}"
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = stack.enter_context(Client(scheduler, timeout=20))
        except (OSError, TimeoutError) as exc:
            raise UserError(f"scheduler {scheduler}: cannot connect ({exc})",
                            param="scheduler") from None  # fmt: skip
    else:
        cluster = stack.enter_context(
            LocalCluster(n_workers=jobs or 2, threads_per_worker=1, processes=True)
        )
        client = stack.enter_context(Client(cluster))
    sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client, batch_size=4)
    return sampler, f"dask ×{len(client.scheduler_info().get('workers', {}))}"


@contextlib.contextmanager
def _quiet_logs(quiet: bool) -> Iterator[None]:
    """pyabc's INFO lines (one per generation) only when not ``quiet``."""
    loggers = [logging.getLogger(n) for n in ("ABC", "ABC.History", "ABC.Sampler", "ABC.Distance",
                                              "ABC.Epsilon", "ABC.Population")]  # fmt: skip
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING if quiet else logging.INFO)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, old, strict=True):
            lg.setLevel(lvl)


def run_abc(
    model: FactModel,
    observed: dict[str, float],
    db: str,
    *,
    population: int,
    generations: int,
    min_epsilon: float,
    max_simulations: int | None,
    seed: int,
    resume: bool,
    executor: str,
    jobs: int | None,
    scheduler: str | None,
    quiet: bool,
) -> tuple[Any, str]:
    """Run (or, with ``resume``, continue) ABC-SMC until ``generations`` populations exist in
    total, ``eps`` reaches ``min_epsilon`` or ``max_simulations`` were used; (History,
    executor label). The serial sampler seeds numpy's global generator from ``seed`` and
    the number of populations already stored (the previous state is restored afterwards)."""
    pyabc = import_pyabc()
    prior = pyabc.Distribution(
        **{p.path: pyabc.RV("uniform", p.low, p.high - p.low) for p in model.params}
    )
    state = np.random.get_state()
    with ExitStack() as stack, _quiet_logs(quiet):
        sampler, label = _sampler(pyabc, executor, jobs, scheduler, stack)
        abc = pyabc.ABCSMC(
            model, prior, FactDistance.for_facts(observed), population_size=population,
            sampler=sampler, eps=pyabc.epsilon.MedianEpsilon(),
        )  # fmt: skip
        try:
            if resume:
                history = abc.load(db, 1)
                done = history.max_t + 1
            else:
                history = abc.new(db, observed, meta_info={"samplesim": "calibration"})
                done = 0
            np.random.seed((seed * 1_000_003 + done) % 2**32)
            left = generations - done
            if left > 0:
                history = abc.run(
                    minimum_epsilon=min_epsilon, max_nr_populations=left,
                    max_total_nr_simulations=max_simulations or np.inf,
                )  # fmt: skip
        finally:
            np.random.set_state(state)
    return history, label


def posterior_tables(history: Any, params: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(posterior samples of the last generation: one column per parameter plus ``weight``,
    sorted by the parameters; generations: t, epsilon, accepted, simulations, acceptance)."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    post = df[params].reset_index(drop=True).astype(float)
    post.columns.name = None
    post["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    post = post.sort_values([*params, "weight"], ignore_index=True)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].sort_values("t")
    gens = pd.DataFrame(
        {
            "generation": pops["t"].astype("int64").to_numpy(),
            "epsilon": pops["epsilon"].astype(float).to_numpy(),
            "accepted": pops["particles"].astype("int64").to_numpy(),
            "simulations": pops["samples"].astype("int64").to_numpy(),
        }
    )
    gens["acceptance"] = gens["accepted"] / gens["simulations"].where(gens["simulations"] > 0)
    return post, gens
