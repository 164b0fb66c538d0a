"""The schema of ``manifest.json``: the type of every key samplesim reads from it.

A manifest is untrusted input (a directory may be damaged or edited by hand):
:func:`manifest_errors` lists what does not match, so that readers refuse it with a message
naming the file and the key instead of failing deep inside.
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["SCHEMA", "manifest_errors"]


def _int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _strs(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _dict(v: Any) -> bool:
    return isinstance(v, dict)


def _opt(check: Any) -> Any:
    return lambda v: v is None or check(v)


def _list(v: Any) -> bool:
    return isinstance(v, list)


#: key -> (check, what the key must hold); keys not listed are not read, hence not checked.
SCHEMA: dict[str, tuple[Any, str]] = {
    "samplesim_manifest": (_int, "an integer"),
    "kind": (_str, "a string"),
    "status": (_str, "a string"),
    "scenario": (_str, "a string"),
    "scenario_digest": (_str, "a string"),
    "scenario_file": (_opt(_str), "a string"),
    "seed": (_int, "a non-negative integer"),
    "replication": (_int, "a non-negative integer"),
    "replications": (_int, "a non-negative integer"),
    "runs": (_int, "a non-negative integer"),
    "errors": (_int, "a non-negative integer"),
    "variant": (_str, "a string"),
    "variants": (_strs, "a list of strings"),
    "finished_keys": (_strs, "a list of strings"),
    "outcomes": (_strs, "a list of strings"),
    "spec": (_dict, "a table (JSON object)"),
    "params": (_dict, "a table (JSON object)"),
    "versions": (_dict, "a table (JSON object)"),
    "precision": (_opt(_list), "a list or null"),
    "precision_result": (_opt(_dict), "a table or null"),
    "set_aside": (_strs, "a list of strings"),
    "command": (_strs, "a list of strings"),
}


def manifest_errors(data: Any) -> list[str]:
    """What in ``data`` (a parsed manifest) does not match :data:`SCHEMA` (``key: must be
    ...``); an empty list when it matches."""
    if not isinstance(data, dict):
        return [f"expected a JSON object, got {type(data).__name__}"]
    out = []
    for key, (check, what) in SCHEMA.items():
        if key in data and not check(data[key]):
            out.append(f"{key}: must be {what}, got {data[key]!r:.40}")
    return out
