"""Runs per second of replications of the flagship scenario on each executor, and where the
CPU goes (the driver process vs. the workers).

    python benchmarks/bench_executors.py [--replications 1000] [--jobs 2] [--rounds 5]

With ``--rounds N`` the executors run interleaved round after round (the order rotates), and
the speed-ups are the medians of each round's ratios, with their range: on a shared machine a
single round's ratio swings widely.

Measures the whole experiment (scenario build, simulation, per-run summary, collecting the
long table) from the API call to the sorted table, including starting the worker pool or the
local Dask cluster (reported separately as startup, then excluded from the steady-state rate
by a warm-up call on the same executor).

Wall-clock rates depend on what else runs on the machine. The CPU figures do not: ``driver``
is the CPU time of this process (every thread: result collection, unpickling, building the
tables, Dask's client and, for a local cluster, its scheduler) per run, ``workers`` the CPU
time of its worker processes per run (psutil). With ``cores`` cores shared by the driver and
``jobs`` workers, the runs per second cannot exceed ``cores / (driver + workers)``,
``jobs / workers`` nor ``1 / driver``; :func:`bound` is that limit as a speed-up over one
process doing a worker's work (Amdahl: the driver's share is what caps it). It uses one
executor's figures only, measured together: serial's CPU per run, measured at another moment,
moves with the machine's load. Dask's processes also spend CPU while idle (event-loop ticks,
heartbeats), so its per-run figures grow with the wall time on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from samplesim.executors import make_executor
from samplesim.experiment.driver import execute as _execute
from samplesim.experiment.plan import make_plan as _plan
from samplesim.progress import RunProgress
from samplesim.store import MemoryStore

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "change5-2023.toml"


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's live descendants (0 without psutil)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def bench(kind: str, reps: int, jobs: int, batch: int | None) -> dict[str, float]:
    """Runs per second, startup seconds and CPU ms per run (driver, workers) of ``kind``."""
    plan = _plan("replications", FLAGSHIP, 1, None)
    t0 = time.perf_counter()
    with make_executor(kind, jobs) as ex:
        # warm-up: start workers, import the package, build the scenario in each worker
        _execute(plan, plan.runs(range(reps, reps + 4 * jobs)), MemoryStore(), ex,
                 RunProgress(quiet=True), 1)  # fmt: skip
        startup = time.perf_counter() - t0
        store = MemoryStore()
        kids, cpu, t1 = _children_cpu(), time.process_time(), time.perf_counter()
        _execute(plan, plan.runs(range(reps)), store, ex, RunProgress(quiet=True), batch)
        runs = store.runs()
        wall = time.perf_counter() - t1
        driver, workers = time.process_time() - cpu, _children_cpu() - kids
    assert runs["replication"].nunique() == reps
    return {
        "rate": reps / wall,
        "startup": startup,
        "driver_ms": 1000 * driver / reps,
        "workers_ms": 1000 * workers / reps,
    }


def bound(r: dict[str, float], jobs: int, cores: int) -> float:
    """The CPU-bound speed-up of an executor with these CPU figures over one process that
    does a worker's work per run (serial, when the workers add no work of their own)."""
    d, w = r["driver_ms"], r["workers_ms"]
    if w == 0:
        return 1.0
    return w * min(cores / (d + w), jobs / w, 1 / d if d else float("inf"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--executors", default="serial,processes,dask")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    kinds = a.executors.split(",")
    rounds: list[dict[str, dict[str, float]]] = []
    for i in range(a.rounds):
        res: dict[str, dict[str, float]] = {}
        for kind in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:  # rotate the order
            res[kind] = r = bench(kind, a.replications, a.jobs, a.batch_size)
            share = r["driver_ms"] / (r["driver_ms"] + r["workers_ms"])
            print(f"round {i + 1} {kind:10s} {r['rate']:6.0f} runs/s  (startup "
                  f"{r['startup']:.2f} s)  CPU ms/run: driver {r['driver_ms']:.3f}, workers "
                  f"{r['workers_ms']:.3f} (driver share {100 * share:.1f} %)")  # fmt: skip
        rounds.append(res)
    for kind in kinds:
        if kind != "serial":
            limits = [bound(r[kind], a.jobs, cores) for r in rounds]
            print(f"{kind:10s} CPU-bound speed-up limit on {cores} cores: "
                  f"{statistics.median(limits):.2f}x")  # fmt: skip

    def ratio(num: str, den: str) -> str:
        rs = [r[num]["rate"] / r[den]["rate"] for r in rounds]
        return f"{statistics.median(rs):.2f}x (rounds {min(rs):.2f}-{max(rs):.2f})"

    if "serial" in kinds and "processes" in kinds:
        print(f"speed-up processes/serial: {ratio('processes', 'serial')} on {a.jobs} workers, "
              f"{a.rounds} round(s) (target >= 1.8x on an idle machine)")  # fmt: skip
    if "serial" in kinds and "dask" in kinds:
        print(f"speed-up dask/serial:      {ratio('dask', 'serial')}")
    if "dask" in kinds and "processes" in kinds:
        over = [r["processes"]["rate"] / r["dask"]["rate"] - 1 for r in rounds]
        print(f"Dask overhead vs processes: {100 * statistics.median(over):+.1f} % (rounds "
              f"{100 * min(over):+.1f} to {100 * max(over):+.1f} %; target <= 10 %)")  # fmt: skip
    print("Wall-clock rates: the machine may be shared and noisy; read the medians.")


if __name__ == "__main__":
    main()
