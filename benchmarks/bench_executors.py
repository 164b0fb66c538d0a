"""Runs per second of replications of the flagship scenario on each executor.

    /work/venv/bin/python benchmarks/bench_executors.py [--replications 1000] [--jobs 2]

Measures the whole experiment (scenario build, simulation, per-run summary, collecting the
long table) from the API call to the sorted table, including starting the worker pool or the
local Dask cluster (reported separately as startup, then excluded from the steady-state rate
by a warm-up call on the same executor).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from samplesim.executors import make_executor
from samplesim.experiment.driver import execute as _execute
from samplesim.experiment.plan import make_plan as _plan
from samplesim.progress import RunProgress
from samplesim.store import MemoryStore

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "change5-2023.toml"


def bench(kind: str, reps: int, jobs: int, batch: int | None) -> tuple[float, float]:
    plan = _plan("replications", FLAGSHIP, 1, None)
    t0 = time.perf_counter()
    with make_executor(kind, jobs) as ex:
        # warm-up: start workers, import the package, build the scenario in each worker
        _execute(plan, plan.runs(range(reps, reps + 4 * jobs)), MemoryStore(), ex,
                 RunProgress(quiet=True), 1)  # fmt: skip
        startup = time.perf_counter() - t0
        store = MemoryStore()
        t1 = time.perf_counter()
        _execute(plan, plan.runs(range(reps)), store, ex, RunProgress(quiet=True), batch)
        runs = store.runs()
        wall = time.perf_counter() - t1
    assert runs["replication"].nunique() == reps
    return reps / wall, startup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--replications", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=None)
    a = ap.parse_args()
    rates = {}
    for kind in ("serial", "processes", "dask"):
        rate, startup = bench(kind, a.replications, a.jobs, a.batch_size)
        rates[kind] = rate
        print(f"{kind:10s} {rate:8.0f} runs/s  (startup {startup:.2f} s)")
    print(f"speed-up processes/serial: {rates['processes'] / rates['serial']:.2f}x "
          f"on {a.jobs} workers (target >= 1.8x on an idle machine)")  # fmt: skip
    print(f"speed-up dask/serial:      {rates['dask'] / rates['serial']:.2f}x")
    overhead = rates["processes"] / rates["dask"] - 1
    print(f"Dask overhead vs processes: {100 * overhead:+.1f} % (target <= 10 %)")


if __name__ == "__main__":
    main()
