"""Benchmark one replication: the flagship scenario and scaled versions of it.

Reports wall time per replication (simulation alone, and with the outcome tables), simpy
events per second, cost per proposal and memory: peak RSS of a fresh process per size, and
"run MiB", that peak minus the RSS after imports and scenario loading (what the run adds).

    python benchmarks/bench_simulate.py                 # flagship + 1k, 10k, 100k proposals
    python benchmarks/bench_simulate.py --sizes 1000 10000 --reps 3

The scaled scenarios multiply every institution's propensity so that the expected number of
proposals is N, and scale the inventory, reviewer pool and shortlist with it so the system
stays in the same regime (same utilisation of reviewers, same share shortlisted).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "change5-2023.toml"


def scaled_raw(n: int) -> dict:
    """The flagship's raw data scaled to ``n`` expected proposals."""
    from samplesim.scenario import load_raw

    raw = load_raw(FLAGSHIP)
    base = sum(i.get("propensity", 1.0) * i.get("count", 1) for i in raw["institutions"])
    f = n / base
    for inst in raw["institutions"]:
        inst["propensity"] = inst.get("propensity", 1.0) * f
    for s in raw["inventory"]:
        s["grams"] *= f
    rv = raw["review"]
    rv["reviewers"] = max(1, round(rv["reviewers"] * f))
    rv["reviewer_countries"] = {"CN": rv["reviewers"]}
    rv["shortlist"]["top_k"] = max(1, round(rv["shortlist"]["top_k"] * f))
    raw.pop("variants", None)
    return raw


def measure(n: int | None, reps: int) -> dict:
    """Time ``reps`` replications in this process (n=None: the flagship as is)."""
    import gc

    from samplesim.model import run_world
    from samplesim.outcomes import build_result
    from samplesim.scenario import build_scenario, load_scenario

    sc = load_scenario(FLAGSHIP) if n is None else build_scenario(scaled_raw(n), f"scaled-{n}")
    base_rss = _rss_mib()  # interpreter + numpy/pandas/simpy imports + the scenario
    sim, full, events, props = [], [], [], []
    for r in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        w = run_world(sc, seed=1, replication=r)
        t1 = time.perf_counter()
        build_result(w)
        t2 = time.perf_counter()
        sim.append(t1 - t0)
        full.append(t2 - t0)
        events.append(w.n_events)
        props.append(w.n)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    s = statistics.median(sim)
    return {
        "scenario": "flagship" if n is None else f"scaled-{n}",
        "proposals": statistics.median(props),
        "reps": reps,
        "sim_ms": 1000 * s,
        "with_tables_ms": 1000 * statistics.median(full),
        "events": statistics.median(events),
        "events_per_s": statistics.median(events) / s,
        "us_per_proposal": 1e6 * s / max(1, statistics.median(props)),
        "peak_rss_mib": rss_kib / 1024,
        "run_mib": rss_kib / 1024 - base_rss,
    }


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    """Run every size in its own process and print a table (and JSON with --json)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    ap.add_argument("--reps", type=int, default=5, help="replications per scaled size")
    ap.add_argument("--flagship-reps", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        n, reps = json.loads(args.child)
        print(json.dumps(measure(n, reps)))
        return
    jobs = [(None, args.flagship_reps)] + [(n, args.reps if n < 100000 else 2) for n in args.sizes]
    rows = []
    for n, reps in jobs:
        out = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps([n, reps])],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    head = (
        f"{'scenario':<14}{'proposals':>10}{'sim ms':>10}{'+tables ms':>12}{'events':>10}"
        f"{'events/s':>12}{'us/proposal':>13}{'peak RSS MiB':>14}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['scenario']:<14}{r['proposals']:>10.0f}{r['sim_ms']:>10.2f}"
            f"{r['with_tables_ms']:>12.2f}{r['events']:>10.0f}{r['events_per_s']:>12,.0f}"
            f"{r['us_per_proposal']:>13.1f}{r['peak_rss_mib']:>14.1f}{r['run_mib']:>9.1f}"
        )


if __name__ == "__main__":
    main()
