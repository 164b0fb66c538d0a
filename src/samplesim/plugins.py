"""User plugins: modules whose import registers allocation policies or rule effects.

A plugin is an importable module that calls :func:`samplesim.policies.register_policy` or
:func:`samplesim.rules.register_effect` at import. Plugins are named explicitly
(``plugins=[...]`` in the API, a repeatable option on the command line) or installed with an
entry point in the group ``samplesim.plugins`` (``discover``). Scenario files never name
plugins: nothing in a scenario file is executed.

Experiments send the plugin module names with every task, so worker processes import them
before building a scenario. Policies and effects defined in ``__main__`` (a notebook or a
script) cannot be imported by name; they travel with the task by value (cloudpickle).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import Any

from samplesim.errors import UserError

__all__ = [
    "ENTRY_POINT_GROUP",
    "discover",
    "load_plugins",
    "registered_elsewhere",
]

ENTRY_POINT_GROUP = "samplesim.plugins"
_DISCOVERED = False


def load_plugins(names: Iterable[str] | str | None, param: str = "plugins") -> tuple[str, ...]:
    """Import the plugin modules ``names`` (a name or a list); returns them as a tuple.

    Raises:
        UserError: naming ``param`` when a module cannot be imported.
    """
    if names is None:
        return ()
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"{param}: expected module names, got {name!r}", param=param)
        name = name.strip()
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise UserError(
                f"{param}: cannot import plugin module {name!r} ({exc})", param=param
            ) from None
        out.append(name)
    return tuple(dict.fromkeys(out))


def discover(force: bool = False) -> list[str]:
    """Load every installed plugin (entry points of the group ``samplesim.plugins``), once
    per process; returns the names of the entry points loaded by this call."""
    global _DISCOVERED
    if _DISCOVERED and not force:
        return []
    _DISCOVERED = True
    from importlib.metadata import entry_points

    loaded = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        ep.load()
        loaded.append(ep.name)
    return loaded


def _module_of(obj: Any) -> str:
    return getattr(obj, "__module__", None) or type(obj).__module__


def _importable(module: str) -> bool:
    mod = sys.modules.get(module)
    return (
        module not in ("__main__", "__mp_main__")
        and mod is not None
        and getattr(mod, "__spec__", None) is not None
    )


def registered_elsewhere() -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """What worker processes need beyond samplesim to see this process's registries.

    Returns the names of importable modules that registered policies or effects, and the
    entries (``{"policies": {...}, "effects": {...}}``) that no module name can import
    (defined in ``__main__``: a notebook or a script), to be sent by value.
    """
    from samplesim.policies import POLICIES
    from samplesim.rules import EFFECTS

    modules: list[str] = []
    by_value: dict[str, dict[str, Any]] = {"policies": {}, "effects": {}}
    for kind, registry in (("policies", POLICIES), ("effects", EFFECTS)):
        for name, obj in registry.items():
            module = _module_of(obj)
            if module == "samplesim" or module.startswith("samplesim."):
                continue
            if _importable(module):
                modules.append(module)
            else:
                by_value[kind][name] = obj
    return tuple(dict.fromkeys(modules)), by_value


def install(by_value: dict[str, dict[str, Any]]) -> None:
    """Register entries sent by value (see :func:`registered_elsewhere`); names this process
    already knows keep their entry (the caller's own process runs batches too)."""
    from samplesim.policies import POLICIES
    from samplesim.rules import EFFECTS

    for name, fn in by_value.get("policies", {}).items():
        POLICIES.setdefault(name, fn)
    for name, effect in by_value.get("effects", {}).items():
        EFFECTS.setdefault(name, effect)
