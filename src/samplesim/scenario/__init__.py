"""Scenario layer: attrs classes, TOML loading, variants and precise error reporting.

This layer knows nothing of simpy, files other than the scenario, plots or executors.
"""

from samplesim.scenario.errors import Problem, ScenarioError
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
    "Scenario",
    "ScenarioError",
    "apply_override",
    "build_scenario",
    "load_raw",
    "load_scenario",
    "raw_digest",
    "scenario_variants",
    "set_path",
    "validate_file",
]
