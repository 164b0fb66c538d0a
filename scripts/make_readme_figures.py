"""Regenerate the README figures in docs/figures/.

funnel.png and timeline.png: the flagship scenario (Chang'e-5 2023), the replication nearest
the median of 20 (seed 1), chosen exactly as ``samplesim run`` chooses it (never by hand).
comparison.png: a 4-variant comparison (wolf-lifted, country-quota, lottery, more-reviewers)
with ~100 replications, when the experiments API (``samplesim.compare``) exists.

    /work/venv/bin/python scripts/make_readme_figures.py [--replications 100]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import attrs

import samplesim
from samplesim import plots
from samplesim.plots.files import run_label
from samplesim.typical import typical_replication

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "change5-2023.toml"
OUT = ROOT / "docs" / "figures"
VARIANTS = ["wolf-lifted", "country-quota", "lottery", "more-reviewers"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=None, help="worker processes for the comparison")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    typ = typical_replication(samplesim.load_scenario(FLAGSHIP), seed=1)
    print(f"run figures: {typ.describe()}")
    res = typ.result
    manifest = {
        "scenario": res.scenario,
        "variant": res.variant,
        "seed": typ.seed,
        "replication": typ.replication,
        "typical": typ.manifest(),
    }
    rt = attrs.evolve(plots.run_tables(res), label=run_label(plots.run_tables(res), manifest))
    written = [
        plots.save_figure(plots.funnel(rt), OUT / "funnel.png", dpi=110),
        plots.save_figure(plots.timeline(rt), OUT / "timeline.png", dpi=110),
    ]
    if hasattr(samplesim, "compare"):
        t0 = time.perf_counter()
        kw = {"executor": "processes", "jobs": args.jobs} if args.jobs else {}
        c = samplesim.compare(FLAGSHIP, variants=VARIANTS, replications=args.replications, **kw)
        print(
            f"comparison: {args.replications} replications x 5 in {time.perf_counter() - t0:.1f} s"
        )
        written.append(
            plots.save_figure(
                plots.comparison_forest(c.comparison), OUT / "comparison.png", dpi=110
            )
        )
    else:
        print("samplesim.compare not available: comparison.png not regenerated")
    for p in written:
        print(f"wrote {p.relative_to(ROOT)} ({p.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
