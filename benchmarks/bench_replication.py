"""CPU per flagship replication (``run_world`` + the per-run metrics) and worker start-up.

What an experiment's worker does per run: :func:`samplesim.model.run_world` and
:func:`samplesim.metrics.summarize`, timed in CPU seconds (``time.process_time``) over
``--runs`` replications after a warm-up, in ``--rounds`` fresh processes. Worker start-up is
the wall time of a fresh interpreter importing :mod:`samplesim.worker` (what a spawned
worker pays before its first run). ``--against DIR`` also times another checkout's ``src``
(e.g. main), interleaved round by round, and prints the ratio. The machine is shared and
noisy: read the ratios.

    python benchmarks/bench_replication.py --rounds 5
    python benchmarks/bench_replication.py --against ../main/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "change5-2023.toml"


def child(runs: int) -> dict:
    """Time ``runs`` flagship replications in this process."""
    from samplesim.loading import load_scenario
    from samplesim.metrics import summarize
    from samplesim.model import run_world

    sc = load_scenario(FLAGSHIP)
    for r in range(10):  # warm-up: first-call costs, caches
        summarize(run_world(sc, 1, r))
    t0 = time.process_time()
    for r in range(runs):
        summarize(run_world(sc, 1, r))
    return {"ms": 1000 * (time.process_time() - t0) / runs}


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def run_child(runs: int, src: Path | None) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(runs)],
        check=True,
        capture_output=True,
        text=True,
        env=_env(src),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["ms"]


def worker_start(src: Path | None) -> float:
    """Wall seconds of a fresh interpreter importing the worker module."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import samplesim.worker"], check=True, env=_env(src))
    return time.perf_counter() - t0


def main() -> None:
    """Print CPU per replication and worker start-up (and ratios with ``--against``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--against", type=Path, help="another checkout's src directory")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return
    srcs: dict[str, Path | None] = {"this": None}
    if args.against is not None:
        srcs["against"] = args.against.resolve()
    ms: dict[str, list[float]] = {k: [] for k in srcs}
    start: dict[str, list[float]] = {k: [] for k in srcs}
    for _ in range(args.rounds):
        for k, src in srcs.items():
            ms[k].append(run_child(args.runs, src))
            start[k].append(worker_start(src))
    print("Flagship replication, run_world + summarize, CPU ms per run; worker start-up, wall s")
    print(f"({args.rounds} rounds of {args.runs} runs, interleaved; the machine is shared and")
    print("noisy: read the ratios)\n")
    for k in srcs:
        print(
            f"{k:<8} {statistics.median(ms[k]):6.2f} ms/run (range {min(ms[k]):.2f}-"
            f"{max(ms[k]):.2f})   worker start-up {statistics.median(start[k]):.2f} s"
        )
    if "against" in srcs:
        r = [a / b for a, b in zip(ms["this"], ms["against"], strict=True)]
        s = [a / b for a, b in zip(start["this"], start["against"], strict=True)]
        print(
            f"ratio this/against: replication {statistics.median(r):.2f} "
            f"({min(r):.2f}-{max(r):.2f}), worker start-up {statistics.median(s):.2f}"
        )


if __name__ == "__main__":
    main()
