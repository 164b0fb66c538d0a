"""``samplesim validate SCENARIO``: check a scenario file and report every problem."""

from __future__ import annotations

import argparse
import logging

from samplesim.commands._bounds import add_force_argument
from samplesim.commands._execution import add_plugin_argument
from samplesim.loading import build_scenario
from samplesim.scenario import check_warnings, load_raw, scenario_variants

NAME = "validate"
HELP = "check a scenario file (and its variants) and report every problem found"
log = logging.getLogger(__name__)
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim validate scenarios/change5-2023.toml
  samplesim validate scenarios/small-known.toml
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("scenario", help="path of the scenario TOML file")
    add_force_argument(p)
    add_plugin_argument(p)


def run(args: argparse.Namespace) -> int:
    """Validate; a ScenarioError propagates to the CLI (exit 2); warnings do not fail."""
    raw = load_raw(args.scenario)
    sc = build_scenario(raw, source=str(args.scenario))
    variants = scenario_variants(raw)
    found = [str(w) for w in check_warnings(sc)]
    for name in variants:
        v = build_scenario(raw, source=str(args.scenario), variant=name, check_variants=False)
        found += [f"variants.{name}.{w}" for w in check_warnings(v) if str(w) not in found]
    for w in found:
        log.warning("%s: %s", args.scenario, w)
    n_inst = sum(i.count for i in sc.institutions)
    print(
        f"{args.scenario}: ok - scenario {sc.name!r}: {len(sc.calls)} call(s), "
        f"{n_inst} institution(s) in {len({i.country for i in sc.institutions})} countries, "
        f"{len(sc.inventory)} sample type(s), {len(sc.rules)} rule(s), "
        f"policy {sc.allocation.policy}"
        + (f", variants: {', '.join(variants)}" if variants else "")
    )
    return 0
