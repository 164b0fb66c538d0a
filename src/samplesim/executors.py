"""Where batches of runs execute: in this process, in a process pool, or on a Dask cluster.

Every executor has the same small interface, :meth:`Executor.map_unordered`, yielding each
task's result as soon as it is done (in completion order; callers sort the final table, so
the result never depends on the executor or the number of workers).

``auto`` (the default) runs the first batch in this process, measures it, and starts worker
processes only when the projected serial time of the rest clearly exceeds the workers'
start-up plus the parallel time (:class:`AutoExecutor`).

Nothing here has global side effects at import: the process pool uses an explicit
``spawn`` context (safe from notebooks, since task functions live in the package) and never
calls :func:`multiprocessing.set_start_method`.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import numbers
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from samplesim.errors import UserError

__all__ = ["EXECUTORS", "AutoExecutor", "Executor", "default_jobs", "make_executor"]

EXECUTORS = ("auto", "serial", "processes", "dask")

log = logging.getLogger(__name__)

#: Seconds for a pool of spawned workers to start and import ``samplesim.worker``: measured
#: at 0.8-0.9 s for two workers (start, import, a first batch) on a nearly idle 2-core machine
#: (benchmarks/bench_executors.py), 2.1-2.5 s before the workers' imports were trimmed; kept
#: above the measurement so that a loaded machine does not start workers that cannot pay.
WORKER_STARTUP_S = 1.2


#: Dask settings of the local cluster that :class:`DaskExecutor` starts (not of a cluster that
#: it joins).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
}


def default_jobs() -> int:
    """All cores (``os.cpu_count()``)."""
    return os.cpu_count() or 1


class Executor:
    """Runs ``fn(item)`` for every item; a context manager that releases its workers."""

    name = "serial"
    jobs = 1

    @property
    def label(self) -> str:
        """Where the runs execute: ``serial``, ``processes ×2``, ``dask ×4``."""
        return self.name if self.name == "serial" else f"{self.name} ×{self.jobs}"

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            yield fn(item)

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor(Executor):
    """A :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method."""

    name = "processes"

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        from samplesim.parent_watch import watch_parent

        self._pool = cf.ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=watch_parent,  # workers exit when this process dies
            initargs=(os.getpid(),),
        )

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        futures = [self._pool.submit(fn, it) for it in items]
        try:
            for f in cf.as_completed(futures):
                yield f.result()
        finally:
            for f in futures:
                f.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """A ``distributed`` client: an existing cluster (``scheduler``) or a local one."""

    name = "dask"

    def __init__(self, jobs: int, scheduler: str | None = None, timeout: str = "3s") -> None:
        try:
            import distributed
        except ImportError:
            raise UserError(
                "executor 'dask' needs Dask, an optional dependency: pip install 'samplesim[dask]'",
                "executor",
            ) from None
        self._distributed = distributed
        self._cluster = None
        if scheduler:
            try:
                self.client = distributed.Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UserError(
                    f"cannot reach the Dask scheduler {scheduler!r} within {timeout} ({exc})"
                ) from None
            self.jobs = max(1, sum(self.client.nthreads().values()))
        else:
            import dask

            # No dashboard, so no use for the workers' statistical profiler (it samples the
            # running task's stack every 10 ms); event-loop health checks every 20 ms cost
            # CPU in each process too.
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                self._cluster = distributed.LocalCluster(
                    n_workers=jobs,
                    processes=True,
                    threads_per_worker=1,
                    dashboard_address=None,
                )
            self.client = distributed.Client(self._cluster)
            self.jobs = jobs

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        futures = [self.client.submit(fn, it, pure=False) for it in items]
        try:
            for f in self._distributed.as_completed(futures):
                yield f.result()
        finally:
            for f in futures:
                f.cancel()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


class AutoExecutor(Executor):
    """Serial until a measured batch shows that ``jobs`` worker processes would pay.

    The first batch runs in this process; with ``size(item)`` runs per item, the projected
    serial time of the remaining runs is compared with ``startup`` plus their time on
    ``jobs`` workers, and a :class:`ProcessExecutor` takes over only when serial would take
    at least ``margin`` times longer. ``allow_parallel = False`` keeps it serial.
    """

    name = "auto"

    def __init__(
        self,
        jobs: int,
        size: Callable[[Any], int] = lambda item: 1,
        startup: float = WORKER_STARTUP_S,
        margin: float = 1.25,
    ) -> None:
        self.jobs = jobs
        self.size = size
        self.startup = startup
        self.margin = margin
        self.allow_parallel = jobs > 1
        self.per_run: float | None = None
        self._pool: ProcessExecutor | None = None

    @property
    def label(self) -> str:
        return "serial" if self._pool is None else self._pool.label

    def pays(self, remaining: int) -> bool:
        """Whether ``remaining`` runs at the measured rate are worth starting workers."""
        if self.per_run is None or not self.allow_parallel:
            return False
        serial = self.per_run * remaining
        return serial >= self.margin * (self.startup + serial / self.jobs)

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        items = list(items)
        while items and self._pool is None:
            remaining = sum(map(self.size, items))
            if self.pays(remaining):
                log.info(
                    "executor auto: %.1f ms per run measured, %d runs left: starting %d worker "
                    "processes",
                    1000 * (self.per_run or 0.0),
                    remaining,
                    self.jobs,
                )
                self._pool = ProcessExecutor(self.jobs)
                break
            item = items.pop(0)
            t0 = time.perf_counter()
            result = fn(item)
            self.per_run = (time.perf_counter() - t0) / max(1, self.size(item))
            yield result
        if items and self._pool is not None:
            yield from self._pool.map_unordered(fn, items)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _capped(jobs: int) -> int:
    """``jobs`` capped at the cores of this machine, with a :class:`LimitWarning`."""
    cores = default_jobs()
    if jobs > cores:
        import warnings

        from samplesim.errors import LimitWarning

        warnings.warn(
            LimitWarning(f"jobs {jobs} capped at the {cores} cores of this machine"),
            stacklevel=3,
        )
        return cores
    return jobs


def make_executor(
    kind: str = "auto",
    jobs: int | None = None,
    scheduler: str | None = None,
    size: Callable[[Any], int] | None = None,
) -> Executor:
    """An executor by name: ``auto``, ``serial``, ``processes`` or ``dask``.

    Args:
        kind: the executor name (``auto`` with a ``scheduler`` means ``dask``).
        size: runs per item, for ``auto``'s measurement (default 1).
        jobs: worker processes (default: every core); ignored by ``serial``.
        scheduler: ``tcp://host:port`` of a running Dask scheduler (``dask`` only); without
            it a :class:`distributed.LocalCluster` with ``jobs`` single-threaded workers.

    Raises:
        UserError: unknown executor, bad ``jobs``, unreachable scheduler.
    """
    if kind not in EXECUTORS:
        raise UserError(
            f"unknown executor {kind!r} (choose from {', '.join(EXECUTORS)})", param="executor"
        )
    if jobs is None:
        jobs = default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 1:
        raise UserError(f"jobs must be a positive integer, got {jobs!r}", param="jobs")
    if scheduler and kind == "auto":
        kind = "dask"
    if scheduler and kind != "dask":
        raise UserError("scheduler needs executor='dask'", param="scheduler")
    if kind in ("auto", "processes") or (kind == "dask" and not scheduler):
        jobs = _capped(int(jobs))
    log.debug("executor %s, jobs %s%s", kind, jobs, f", scheduler {scheduler}" if scheduler else "")
    if kind == "auto":
        return AutoExecutor(int(jobs), size or (lambda item: 1))
    if kind == "serial":
        return Executor()
    jobs = int(jobs)
    if kind == "processes":
        return ProcessExecutor(jobs)
    return DaskExecutor(jobs, scheduler)
