"""Strict cattrs structuring of raw TOML data into scenario classes, with key-path errors."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from samplesim.distributions import Distribution, DistributionError, parse_distribution
from samplesim.scenario.errors import Problem

__all__ = ["CONVERTER", "structure"]


def _number(value: Any, _t: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"must be a number (got {value!r})")
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number (got {value!r})")
    return float(value)


def _integer(value: Any, _t: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be a whole number (got {value!r})")
    return value


def _string(value: Any, _t: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"must be a string (got {value!r})")
    return value


def _boolean(value: Any, _t: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"must be true or false (got {value!r})")
    return value


def _date(value: Any, _t: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise TypeError(f"must be a date like 2023-11-01 (got {value!r})")


def _distribution(value: Any, _t: Any) -> Distribution:
    return parse_distribution(value)


def _any(value: Any, _t: Any) -> Any:
    return value


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(float, _number)
    conv.register_structure_hook(int, _integer)
    conv.register_structure_hook(str, _string)
    conv.register_structure_hook(bool, _boolean)
    conv.register_structure_hook(dt.date, _date)
    conv.register_structure_hook(Distribution, _distribution)
    conv.register_structure_hook(Any, _any)
    conv.register_unstructure_hook(Distribution, lambda d: d.to_dict())
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    return conv


CONVERTER = _make_converter()


def _note_path(exc: BaseException) -> str:
    for note in getattr(exc, "__notes__", []):
        name = getattr(note, "name", None)
        if isinstance(name, str):
            return f".{name}"
        index = getattr(note, "index", None)
        if isinstance(index, int):
            return f"[{index}]"
        if index is not None:
            return f".{index}"
    return ""


def _message(exc: BaseException) -> tuple[str, str]:
    """(extra path suffix, message) for a leaf exception."""
    if isinstance(exc, ForbiddenExtraKeysError):
        keys = ", ".join(sorted(exc.extra_fields))
        return "", f"unknown key{'s' if len(exc.extra_fields) > 1 else ''}: {keys}"
    if isinstance(exc, KeyError):
        return "", "required key is missing"
    if isinstance(exc, DistributionError):
        return (f".{exc.path}" if exc.path else ""), str(exc)
    if isinstance(exc, TypeError | ValueError):
        msg = str(exc)
        if "Literal" in msg or "not in" in msg or msg.startswith("'") or not msg:
            return "", f"invalid value ({msg})"
        return "", msg
    return "", f"{type(exc).__name__}: {exc}"


def _walk(exc: BaseException, prefix: str, out: list[Problem]) -> None:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub in exc.exceptions:
            _walk(sub, prefix + _note_path(sub), out)
        return
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            out.append(Problem(_clean(f"{prefix}.{key}"), "unknown key"))
        return
    suffix, message = _message(exc)
    out.append(Problem(_clean(prefix + suffix), message))


def _clean(path: str) -> str:
    return path.lstrip(".")


def structure(raw: dict[str, Any], cls: type, prefix: str = "") -> tuple[Any, list[Problem]]:
    """Structure ``raw`` into ``cls``; returns ``(object or None, problems)``."""
    try:
        return CONVERTER.structure(raw, cls), []
    except (ClassValidationError, IterableValidationError) as exc:
        problems: list[Problem] = []
        _walk(exc, prefix, problems)
        return None, problems
    except (TypeError, ValueError, KeyError) as exc:
        suffix, message = _message(exc)
        return None, [Problem(_clean(prefix + suffix), message)]
