"""Scenario layer: attrs classes, TOML loading, variants and precise error reporting.

This layer knows nothing of simpy, files other than the scenario, plots, executors or the
policy and effect registries: names of policies and effects are checked against
:class:`Registries` handed in by the caller. Outside this package, load and build scenarios
with :mod:`samplesim.loading`, which hands in the live registries.
"""

from samplesim.scenario.checks import Registries, check_warnings
from samplesim.scenario.errors import Problem, ScenarioError, ScenarioWarning
from samplesim.scenario.loader import (
    build_scenario,
    load_raw,
    load_scenario,
    raw_digest,
    scenario_variants,
    validate_file,
)
from samplesim.scenario.overrides import apply_override, set_path
from samplesim.scenario.schema import Scenario

__all__ = [
    "Problem",
    "Registries",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "apply_override",
    "build_scenario",
    "check_warnings",
    "load_raw",
    "load_scenario",
    "raw_digest",
    "scenario_variants",
    "set_path",
    "validate_file",
]
