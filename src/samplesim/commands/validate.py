"""``samplesim validate SCENARIO``: check a scenario file and report every problem."""

from __future__ import annotations

import argparse

from samplesim.scenario import load_raw, load_scenario, scenario_variants

NAME = "validate"
HELP = "check a scenario file (and its variants) and report every problem found"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    from samplesim.plugins import add_plugin_argument

    p.add_argument("scenario", help="path of the scenario TOML file")
    add_plugin_argument(p)


def run(args: argparse.Namespace) -> int:
    """Validate; a ScenarioError propagates to the CLI (exit 2)."""
    sc = load_scenario(args.scenario)
    variants = scenario_variants(load_raw(args.scenario))
    n_inst = sum(i.count for i in sc.institutions)
    print(
        f"{args.scenario}: ok - scenario {sc.name!r}: {len(sc.calls)} call(s), "
        f"{n_inst} institution(s) in {len({i.country for i in sc.institutions})} countries, "
        f"{len(sc.inventory)} sample type(s), {len(sc.rules)} rule(s), "
        f"policy {sc.allocation.policy}"
        + (f", variants: {', '.join(variants)}" if variants else "")
    )
    return 0
