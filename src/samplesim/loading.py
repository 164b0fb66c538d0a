"""Loading scenarios with every check, the names of policies and rule effects included.

The scenario layer (:mod:`samplesim.scenario`) does not import the plugin registries of
:mod:`samplesim.policies` and :mod:`samplesim.rules`; the functions here hand it the live
registries (plugins loaded so far included) on every call. Library code and users call these
(``samplesim.load_scenario`` is :func:`load_scenario`); tests/test_architecture.py checks that
no other samplesim module builds scenarios through the scenario layer directly (except
:mod:`samplesim.worker`, which rebuilds data its parent has checked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from samplesim.policies import POLICIES
from samplesim.rules import EFFECTS
from samplesim.scenario import Problem, Registries, Scenario
from samplesim.scenario import loader as _loader

__all__ = ["build_scenario", "load_scenario", "registries", "validate_file"]


def registries() -> Registries:
    """The policy and effect names registered in this process now."""
    return Registries(policies=tuple(POLICIES), effects=tuple(EFFECTS))


def build_scenario(
    raw: dict[str, Any],
    source: str = "<scenario>",
    variant: str | None = None,
    overrides: list[dict[str, Any]] | None = None,
    check_variants: bool = True,
) -> Scenario:
    """:func:`samplesim.scenario.build_scenario` with policy and effect names checked.

    Raises:
        ScenarioError: listing every problem, each with its key path.
    """
    return _loader.build_scenario(raw, source, variant, overrides, check_variants, registries())


def load_scenario(
    path: str | Path, variant: str | None = None, overrides: list[dict[str, Any]] | None = None
) -> Scenario:
    """Load, check and return the scenario in ``path`` (optionally one of its variants).

    Emits a :class:`~samplesim.scenario.ScenarioWarning` for each
    :func:`~samplesim.scenario.check_warnings` finding.

    Raises:
        ScenarioError: naming the file and the key path of every problem.
    """
    return _loader.load_scenario(path, variant, overrides, registries(), _stacklevel=3)


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem in the scenario file ``path`` (an empty list when it is valid)."""
    return _loader.validate_file(path, registries())
