"""``samplesim discover DIR --outcome METRIC[@COUNTRY] --below X | --above X``: PRIM."""

from __future__ import annotations

import argparse
from pathlib import Path

from samplesim.errors import UserError
from samplesim.paths import atomic_dir, atomic_write, default_out, write_json

NAME = "discover"
HELP = "after a sweep, find the parameter box where an outcome is below/above X (PRIM)"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim discover results/quota-sweep --outcome approved@US --below 0.5
  samplesim discover results/sweep --outcome median_days_to_samples --above 600 --min-density 0.9
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("path", metavar="DIR", help="a sweep's output directory")
    p.add_argument(
        "--outcome",
        required=True,
        metavar="METRIC[@COUNTRY]",
        help="the outcome, e.g. approved@US (default country ALL)",
    )
    side = p.add_mutually_exclusive_group(required=True)
    side.add_argument("--below", type=float, default=None, help="of interest: outcome < X")
    side.add_argument("--above", type=float, default=None, help="of interest: outcome > X")
    p.add_argument("--min-density", type=float, default=0.8,
                   help="choose the box of highest coverage with at least this density "
                   "(default 0.8; else the densest box)")  # fmt: skip
    p.add_argument(
        "--peel-alpha",
        type=float,
        default=0.05,
        help="share of cases peeled per step (default 0.05)",
    )
    p.add_argument(
        "--mass-min",
        type=float,
        default=0.05,
        help="smallest share of cases a box may hold (default 0.05)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default results/<scenario>-discover)",
    )
    p.add_argument("--no-plots", action="store_true", help="skip discovery.png")
    p.add_argument("--quiet", action="store_true", help="no table")


def run(args: argparse.Namespace) -> int:
    """Discover the box and write box.csv, trajectory.csv, cases.csv and discovery.png."""
    from samplesim.discovery import discover
    from samplesim.results_dir import MANIFEST_MARKER, MANIFEST_VERSION, read_manifest
    from samplesim.run_output import package_versions

    d = discover(args.path, args.outcome, below=args.below, above=args.above,
                 min_density=args.min_density, peel_alpha=args.peel_alpha,
                 mass_min=args.mass_min)  # fmt: skip
    source = read_manifest(Path(args.path))
    name = str(source.get("scenario", Path(args.path).name))
    out = args.out or default_out(name, "discover")
    if out.resolve() == Path(args.path).resolve():
        raise UserError("--out must not be the sweep directory itself")
    manifest = {MANIFEST_MARKER: MANIFEST_VERSION, "kind": "discovery", "scenario": name,
                "sweep": str(args.path), "outcome": d.outcome, "condition": d.condition,
                "min_density": args.min_density, "peel_alpha": args.peel_alpha,
                "mass_min": args.mass_min, "coverage": d.coverage, "density": d.density,
                "dropped_undefined": d.dropped, "versions": package_versions()}  # fmt: skip
    with atomic_dir(out, kind="discovery") as tmp:
        for table, df in (("box", d.box), ("trajectory", d.trajectory), ("cases", d.cases)):
            atomic_write(
                tmp / f"{table}.csv",
                lambda f, df=df: df.to_csv(f, index=False, float_format="%.6g"),
            )
        if not args.no_plots:
            from samplesim.plots import save_figure
            from samplesim.plots.discovery import discovery_box

            title = f"{name}: {d.outcome} {d.condition}"
            save_figure(discovery_box(d.box, d.trajectory, d.cases, title=title),
                        tmp / "discovery.png")  # fmt: skip
        write_json(tmp / "manifest.json", manifest)
    if not args.quiet:
        print(d.box[["parameter", "low", "high", "restricted"]].to_string(index=False))
    print(
        f"{d.outcome} {d.condition}: box of coverage {d.coverage:.0%} and density "
        f"{d.density:.0%} ({int(d.cases['interest'].sum())} of {len(d.cases)} runs of "
        f"interest{f'; {d.dropped} undefined runs dropped' if d.dropped else ''})"
    )
    print(
        f"wrote {out}/ (box.csv, trajectory.csv, cases.csv"
        f"{'' if args.no_plots else ', discovery.png'})"
    )
    return 0
