"""CPU per flagship replication (``run_world`` + the per-run metrics) and worker start-up.

What an experiment's worker does per run: :func:`samplesim.model.run_world` and
:func:`samplesim.metrics.summarize`, timed in CPU seconds (``time.process_time``) over
``--runs`` replications after a warm-up, in ``--rounds`` fresh processes. Worker start-up is
the wall and CPU time of a fresh interpreter importing :mod:`samplesim.worker` (what a spawned
worker pays before its first run), as this environment runs it and with a primed bytecode
cache (``PYTHONDONTWRITEBYTECODE``, set in some environments, makes every worker compile
samplesim's modules again). ``--against DIR`` also times another checkout's ``src`` (e.g.
main), interleaved round by round, and prints the ratio. The machine is shared and noisy:
read the CPU figures and the ratios.

    python benchmarks/bench_replication.py --rounds 5
    python benchmarks/bench_replication.py --against ../main/src
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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


def worker_start(src: Path | None, cache: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh interpreter importing :mod:`samplesim.worker` (what a
    spawned worker imports before its first run). With ``cache``, Python's bytecode cache is
    kept there (``-X pycache_prefix``), primed first: an installed package's case."""
    cmd = [sys.executable, "-c", "import samplesim.worker"]
    env = _env(src)
    if cache is not None:
        cmd[1:1] = ["-X", f"pycache_prefix={cache}"]
        prime = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run(cmd, check=True, env=prime)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


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
    start: dict[str, list[tuple[float, float]]] = {k: [] for k in srcs}
    cached: dict[str, list[tuple[float, float]]] = {k: [] for k in srcs}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for k, src in srcs.items():
                ms[k].append(run_child(args.runs, src))
                start[k].append(worker_start(src))
                cached[k].append(worker_start(src, Path(tmp) / k))
    print("Flagship replication, run_world + summarize, CPU ms per run; worker start-up (import")
    print("samplesim.worker in a fresh interpreter), wall and CPU s, as this environment runs it")
    print("and with a bytecode cache (an installed package); target <= 0.4 s on an idle machine")
    print(f"({args.rounds} rounds of {args.runs} runs, interleaved; on a shared machine read the")
    print("CPU figures and the ratios)\n")
    med = statistics.median
    for k in srcs:
        print(
            f"{k:<8} {med(ms[k]):6.2f} ms/run (range {min(ms[k]):.2f}-{max(ms[k]):.2f})   "
            f"worker start-up {med(w for w, _ in start[k]):.2f} s wall, "
            f"{med(c for _, c in start[k]):.2f} s CPU; with a bytecode cache "
            f"{med(w for w, _ in cached[k]):.2f} s wall, {med(c for _, c in cached[k]):.2f} s CPU"
        )
    if "against" in srcs:
        r = [a / b for a, b in zip(ms["this"], ms["against"], strict=True)]
        s = [a[1] / b[1] for a, b in zip(start["this"], start["against"], strict=True)]
        print(
            f"ratio this/against: replication {med(r):.2f} "
            f"({min(r):.2f}-{max(r):.2f}), worker start-up CPU {med(s):.2f}"
        )


if __name__ == "__main__":
    main()
