"""What an experiment runs: the raw data behind a scenario path, raw dict or Scenario object,
and the plugins its worker processes must load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from samplesim.errors import UserError
from samplesim.loading import build_scenario
from samplesim.scenario import Scenario, load_raw
from samplesim.scenario.convert import CONVERTER
from samplesim.scenario.per_call import call_raw

__all__ = ["Resolved", "load_plugins_for_workers", "resolve"]


@attrs.frozen
class Resolved:
    raw: dict[str, Any]
    source: str
    label: str  # the variant ``raw`` is (``baseline`` unless a Scenario object says otherwise)
    scenario: Scenario | None = None  # an edited Scenario object, run exactly as given
    exact: bool = True  # whether ``raw`` rebuilds ``scenario`` exactly
    #: The variant to run when none is named: a Scenario object loaded as a variant of its
    #: file (``raw`` is then the file, and that variant is applied to it like any other).
    default_variant: str | None = None


def _object_raw(sc: Scenario) -> dict[str, Any]:
    raw = CONVERTER.unstructure(sc)
    for k in ("source", "variant", "digest"):
        raw.pop(k, None)
    top = raw.get("review") or {}
    raw["calls"] = [call_raw(c, top) for c in raw.get("calls", [])]
    return raw


def resolve(scenario: Any) -> Resolved:
    """The raw data behind a path, raw dict or Scenario object.

    A Scenario object equal to what its ``.source`` file gives is run from the file (same
    digest as the path). Any other object (e.g. ``attrs.evolve(sc, inventory=...)``) is run
    exactly as given: its data is the experiment's ``sc.variant`` (usually ``baseline``), a
    named variant applies that variant's overrides to the object, and the recorded digest is
    that of the object's data, so stores and ``resume`` never mix it with the file.
    """
    if isinstance(scenario, Scenario):
        sc = scenario
        if sc.source and Path(sc.source).is_file():
            try:
                raw = load_raw(sc.source)
                label = sc.variant
                from_file = build_scenario(raw, sc.source, variant=label, check_variants=False)
            except Exception:
                from_file = None
            if from_file == sc:
                return Resolved(raw, sc.source, "baseline", default_variant=label)
        raw = _object_raw(sc)
        source = sc.source or "<scenario>"
        try:
            rebuilt = build_scenario(raw, source, check_variants=False)
            exact = attrs.evolve(rebuilt, variant=sc.variant) == sc
        except Exception:
            exact = False
        return Resolved(raw, source, sc.variant, sc, exact)
    if isinstance(scenario, dict):
        return Resolved(scenario, "<scenario>", "baseline")
    if not isinstance(scenario, str | Path):
        raise UserError(
            f"scenario must be a file path, a Scenario or raw data, got {type(scenario).__name__}",
            param="scenario",
        )
    return Resolved(load_raw(scenario), str(scenario), "baseline")


def load_plugins_for_workers(
    plugins: Any,
) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, dict[str, Any]]]:
    """Load ``plugins`` and installed ones: (plugins, other modules that registered
    policies/effects, entries defined in ``__main__``) for the workers."""
    from samplesim.plugins import discover, load_plugins, registered_elsewhere

    names = load_plugins(plugins)
    discover()
    modules, by_value = registered_elsewhere()
    return names, tuple(m for m in modules if m not in names), by_value
