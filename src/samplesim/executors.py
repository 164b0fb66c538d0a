"""Where batches of runs execute: in this process, in a process pool, or on a Dask cluster.

Every executor has the same small interface, :meth:`Executor.map_unordered`, yielding each
task's result as soon as it is done (in completion order; callers sort the final table, so
the result never depends on the executor or the number of workers).

Nothing here has global side effects at import: the process pool uses an explicit
``spawn`` context (safe from notebooks, since task functions live in the package) and never
calls :func:`multiprocessing.set_start_method`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from samplesim.errors import UserError

__all__ = ["EXECUTORS", "Executor", "default_jobs", "make_executor"]

EXECUTORS = ("serial", "processes", "dask")


def default_jobs() -> int:
    """All cores (``os.cpu_count()``)."""
    return os.cpu_count() or 1


class Executor:
    """Runs ``fn(item)`` for every item; a context manager that releases its workers."""

    name = "serial"
    jobs = 1

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
        self._pool = cf.ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn")
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
        except ImportError:  # pragma: no cover - dask is a declared dependency
            raise UserError("--executor dask needs the 'distributed' package") from None
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


def make_executor(kind: str = "serial", jobs: int | None = None, scheduler: str | None = None):
    """An executor by name: ``serial``, ``processes`` or ``dask``.

    Args:
        kind: the executor name.
        jobs: worker processes (default: every core); ignored by ``serial``.
        scheduler: ``tcp://host:port`` of a running Dask scheduler (``dask`` only); without
            it a :class:`distributed.LocalCluster` with ``jobs`` single-threaded workers.

    Raises:
        UserError: unknown executor, bad ``jobs``, unreachable scheduler.
    """
    if kind not in EXECUTORS:
        raise UserError(f"unknown executor {kind!r} (choose from {', '.join(EXECUTORS)})")
    if jobs is None:
        jobs = default_jobs()
    if jobs < 1:
        raise UserError("--jobs must be at least 1")
    if scheduler and kind != "dask":
        raise UserError("--scheduler needs --executor dask")
    if kind == "serial":
        return Executor()
    if kind == "processes":
        return ProcessExecutor(jobs)
    return DaskExecutor(jobs, scheduler)
