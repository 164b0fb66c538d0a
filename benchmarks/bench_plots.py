"""Wall time to draw and save every many-run figure of a large synthetic experiment.

    python benchmarks/bench_plots.py [--replications 200] [--reps 3]

The test suite only checks that these figures draw (tests/test_plots.py); how long they take
depends on the machine and its load, so it is measured here and never asserted in a test.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from samplesim import plots
from samplesim.plots._synthetic import synthetic_experiment


def draw_all(t: dict, out: Path) -> float:
    """Seconds to draw and save the four many-run figures of ``t`` into ``out``."""
    t0 = time.perf_counter()
    figs = [
        plots.replication_metrics(t["replications"]),
        plots.comparison_forest(t["comparison"]),
        plots.comparison_forest(t["comparison"], countries=["ALL", "US", "FR", "PK", "GB"]),
        plots.replication_trace(t["runs"], "approval_rate"),
    ]
    for i, f in enumerate(figs):
        plots.save_figure(f, out / f"f{i}.png")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    t = synthetic_experiment(replications=args.replications, points=1)
    with tempfile.TemporaryDirectory() as tmp:
        times = [draw_all(t, Path(tmp)) for _ in range(args.reps)]
    print(
        f"many-run figures ({args.replications} reps x 5 variants): "
        f"median {statistics.median(times):.2f} s, min {min(times):.2f} s over {args.reps}"
    )


if __name__ == "__main__":
    main()
