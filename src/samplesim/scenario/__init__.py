"""Scenario layer: attrs classes, TOML loading, variants and precise error reporting.

This layer knows nothing of simpy, files other than the scenario, plots or executors.
"""

from samplesim.scenario.checks import check_warnings
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
