"""Start-up of the command line as ratios to a bare ``import samplesim``, wall time.

Runs, interleaved round by round in fresh processes: ``python -c "import samplesim"`` (the
reference), ``samplesim --help``, the imports that a run writing figures cannot avoid (samplesim,
pandas and matplotlib: the floor of the main job), ``samplesim run
scenarios/change5-2023.toml`` (the main job: 20 quick replications to pick the typical one, the
tables and six figures, into a scratch directory), the same run until its summary is on the
screen (it is printed before the tables and figures are written) and the same run with
``--no-plots``. Prints each one's median wall time and its ratio to the reference (median of the
rounds' ratios). The machine is shared and noisy: read the ratios, not the absolute times.

    python benchmarks/bench_startup.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "change5-2023.toml"


def commands(scratch: Path) -> dict[str, list[str]]:
    """What is timed, by label (the first is the reference)."""
    py = sys.executable
    run = [py, "-m", "samplesim", "-q", "run", str(FLAGSHIP), "--out"]
    return {
        "import samplesim": [py, "-c", "import samplesim"],
        "samplesim --help": [py, "-m", "samplesim", "--help"],
        FLOOR: [py, "-c", "import samplesim, samplesim.outcomes, " + FIGURE_IMPORTS],
        "samplesim run (main job)": [*run, str(scratch / "run")],
        SUMMARY: [py, "-m", "samplesim", "run", str(FLAGSHIP), "--out", str(scratch / "run-s")],
        "samplesim run --no-plots": [*run, str(scratch / "run-np"), "--no-plots"],
    }


#: The imports any run that writes tables and figures needs: samplesim, pandas (through
#: ``samplesim.outcomes``) and matplotlib's figure and Agg canvas; the main job cannot start
#: faster than this.
FLOOR = "floor: + pandas, matplotlib"
FIGURE_IMPORTS = "matplotlib.figure, matplotlib.backends.backend_agg"
#: The label timed until the run's summary is printed, not until the process ends.
SUMMARY = "samplesim run: summary shown"
#: The last line of the run's summary (then come the tables and figures).
SUMMARY_END = "use --replications N for intervals"


def until_summary(cmd: list[str], cwd: Path) -> float:
    """Seconds from the start of ``cmd`` until its summary's last line is on stdout (the
    process then runs to its end, untimed; a failure stops the benchmark)."""
    t0 = time.perf_counter()
    seen = None
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, env={**os.environ, "COLUMNS": "120"}) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            if seen is None and SUMMARY_END in line:
                seen = time.perf_counter() - t0
    if proc.returncode or seen is None:
        raise SystemExit(f"{' '.join(cmd)} failed or printed no summary")
    return seen


def wall(cmd: list[str], cwd: Path) -> float:
    """Seconds of one run of ``cmd`` (output discarded; a failure stops the benchmark)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def main() -> None:
    """Time every command ``--rounds`` times, interleaved, and print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        cmds = commands(scratch)
        timer = {k: until_summary if k == SUMMARY else wall for k in cmds}
        for label, cmd in cmds.items():  # warm the file cache and the byte-code once
            timer[label](cmd, scratch)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.rounds):
            for label, cmd in cmds.items():
                times[label].append(timer[label](cmd, scratch))
    ref = "import samplesim"
    print("Wall time of fresh processes, interleaved; the machine is shared and noisy, so read")
    print(f"the ratios to a bare `import samplesim` ({args.rounds} rounds).\n")
    print(f"{'':<28}{'median s':>10}{'ratio':>8}{'ratio range':>15}")
    for label, ts in times.items():
        ratios = [t / r for t, r in zip(ts, times[ref], strict=True)]
        print(f"{label:<28}{statistics.median(ts):>10.2f}{statistics.median(ratios):>8.2f}"
              f"   {min(ratios):.2f}-{max(ratios):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
