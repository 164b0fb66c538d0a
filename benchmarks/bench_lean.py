"""samplesim against a lean hand-written SimPy model of the same workflow, per proposal.

Times ``simulate()`` + ``.proposals`` + ``.summary`` of ``scenarios/examples/lean-equivalent.toml``
scaled to N expected proposals against ``benchmarks/lean_simpy.py`` (its proposals table and
summary) at the same N, in CPU seconds of the process (``time.process_time``), each run in a
fresh process, the two models interleaved round by round so that load from other users of the
machine falls on both alike. Prints the ratio samplesim/lean per size (median of the rounds'
paired ratios, with their range), the cost per proposal and its growth from the smallest size,
and the peak-memory slope per proposal (peak RSS of fresh processes, between the two largest
sizes).

    python benchmarks/bench_lean.py                      # 1k and 10k proposals, 3 rounds
    python benchmarks/bench_lean.py --sizes 1000 10000 100000 --rounds 2
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "examples" / "lean-equivalent.toml"
BASE_N = 1000  # expected proposals of the scenario file and of lean_simpy at scale 1


def scaled_scenario(n: int):
    """lean-equivalent.toml scaled to ``n`` expected proposals (as lean_simpy scales)."""
    from samplesim.scenario import build_scenario, load_raw

    raw = load_raw(SCENARIO)
    f = n / BASE_N
    for inst in raw["institutions"]:
        inst["propensity"] = inst.get("propensity", 1.0) * f
    for s in raw["inventory"]:
        s["grams"] *= f
    raw["review"]["reviewers"] = max(1, round(raw["review"]["reviewers"] * f))
    return build_scenario(raw, f"lean-equivalent-{n}")


def child(model: str, n: int, seed: int) -> dict:
    """One timed run in this (fresh) process."""
    if model == "samplesim":
        from samplesim import simulate

        sc = scaled_scenario(n)

        def once():
            res = simulate(sc, seed=seed)
            return len(res.proposals), res.summary

    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from lean_simpy import simulate_lean

        def once():
            m = simulate_lean(seed, n / BASE_N)
            return len(m.proposals), m.summary

    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.process_time()
    count, _ = once()
    cpu = time.process_time() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"cpu": cpu, "proposals": count, "peak_kib": peak, "base_kib": rss0}


def run_child(model: str, n: int, seed: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps([model, n, seed])],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Interleave the two models' runs and print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(*json.loads(args.child))))
        return
    models = ("samplesim", "lean")
    res: dict[tuple[str, int], list[dict]] = {(m, n): [] for m in models for n in args.sizes}
    for r in range(args.rounds):
        for n in args.sizes:
            order = models if r % 2 == 0 else models[::-1]  # alternate who goes first
            for m in order:
                res[m, n].append(run_child(m, n, seed=r + 1))
    print(
        "samplesim vs a lean SimPy model (benchmarks/lean_simpy.py), simulate() + .proposals"
        " + .summary,\nCPU time per proposal, fresh process per run, runs interleaved."
        " The machine is shared\nand noisy: compare the ratios, not the absolute times.\n"
    )
    print(
        f"{'proposals':>10}{'samplesim us/p':>16}{'lean us/p':>11}{'ratio':>8}"
        f"{'ratio range':>15}{'peak MiB s/l':>15}"
    )
    per = {}
    for n in args.sizes:
        ratios, us = [], {}
        for m in models:
            us[m] = statistics.median(1e6 * x["cpu"] / x["proposals"] for x in res[m, n])
        for a, b in zip(res["samplesim", n], res["lean", n], strict=True):
            ratios.append((a["cpu"] / a["proposals"]) / (b["cpu"] / b["proposals"]))
        per[n] = us
        peak = [statistics.median(x["peak_kib"] for x in res[m, n]) / 1024 for m in models]
        print(
            f"{n:>10,}{us['samplesim']:>16.1f}{us['lean']:>11.1f}"
            f"{statistics.median(ratios):>8.2f}  {min(ratios):.2f}-{max(ratios):.2f}"
            f"{peak[0]:>9.0f}/{peak[1]:.0f}"
        )
    lo, hi = args.sizes[0], args.sizes[-1]
    if hi > lo:
        for m in models:
            growth = per[hi][m] / per[lo][m] - 1
            print(f"{m}: cost per proposal {growth:+.0%} from {lo:,} to {hi:,} proposals")
        a, b = (args.sizes[-2], hi) if len(args.sizes) > 2 else (lo, hi)
        for m in models:
            pa = statistics.median(x["peak_kib"] for x in res[m, a])
            pb = statistics.median(x["peak_kib"] for x in res[m, b])
            na = statistics.median(x["proposals"] for x in res[m, a])
            nb = statistics.median(x["proposals"] for x in res[m, b])
            print(
                f"{m}: peak memory slope {(pb - pa) / (nb - na):.2f} KiB per proposal "
                f"({a:,} -> {b:,})"
            )


if __name__ == "__main__":
    main()
