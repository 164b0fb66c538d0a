"""Strict cattrs structuring of raw TOML data into scenario classes, with key-path errors."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from samplesim.distributions import Distribution, DistributionError, parse_distribution
from samplesim.scenario.errors import Problem

__all__ = ["CONVERTER", "DAY_KEYS", "structure", "toml_keys"]

#: Keys that take a day number or a TOML date besides every ``*_day`` / ``*_days`` key.
DAY_KEYS = frozenset({"from", "until"})


class Mismatch(TypeError):
    """A value of the wrong type or outside a fixed set; rendered in plain words."""

    def __init__(self, expected: str, value: Any, message: str | None = None) -> None:
        self.expected = expected
        self.value = value
        super().__init__(message or f"expected {expected}, got {describe(value)}")


def describe(value: Any) -> str:
    """``a string ('nine')``: the TOML kind of ``value`` with a short repr."""
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, int | float):
        kind = "a number"
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, dt.datetime | dt.date):
        kind = "a date"
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, list | tuple):
        return "a list"
    else:
        kind = type(value).__name__
    text = repr(value.isoformat() if isinstance(value, dt.date) else value)
    return f"{kind} ({text if len(text) <= 40 else text[:37] + '...'})"


def _number(value: Any, _t: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Mismatch("a number", value)
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number (got {value!r})")
    return float(value)


def _integer(value: Any, _t: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Mismatch("a whole number", value)
    return value


def _string(value: Any, _t: Any) -> str:
    if not isinstance(value, str):
        raise Mismatch("a string", value)
    return value


def _boolean(value: Any, _t: Any) -> bool:
    if not isinstance(value, bool):
        raise Mismatch("true or false", value)
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
    raise Mismatch("a date like 2023-11-01", value)


def _is_literal(t: Any) -> bool:
    return get_origin(t) is Literal


def _literal(value: Any, t: Any) -> Any:
    allowed = get_args(t)
    if value in allowed and type(value) in {type(a) for a in allowed}:
        return value
    choices = ", ".join(str(a) for a in allowed)
    if isinstance(value, str):
        raise Mismatch(f"one of: {choices}", value, f"{value!r} is not one of: {choices}")
    raise Mismatch(f"one of: {choices}", value)


def _is_container(t: Any) -> bool:
    return get_origin(t) in (list, dict) or attrs.has(t)


def toml_keys(t: Any) -> dict[str, str]:
    """Field name -> TOML key of the fields of attrs class ``t`` whose key is not their name
    (a keyword such as ``from``: ``attrs.field(metadata={"key": "from"})``)."""
    return {a.name: a.metadata["key"] for a in attrs.fields(t) if "key" in a.metadata}


def _has_renames(t: Any) -> bool:
    return attrs.has(t) and bool(toml_keys(t))


def _checked_container(t: Any, conv: cattrs.Converter) -> Any:
    """cattrs' own hook for a list, table or class, with a plain type check first (a string
    where a list is expected would otherwise be split into characters)."""
    if get_origin(t) is list:
        inner, want, kinds = list_structure_factory(t, conv), "a list", (list, tuple)
    elif get_origin(t) is dict:
        # Not conv.gen_structure_mapping: it registers the bare mapping hook for ``t`` as a
        # direct hook, and a class generated later would then skip this type check.
        detailed = conv.detailed_validation
        inner = mapping_structure_factory(t, conv, dict, detailed_validation=detailed)
        want, kinds = "a table", (dict,)
    elif renames := toml_keys(t):
        inner = make_dict_structure_fn(
            t,
            conv,
            _cattrs_forbid_extra_keys=conv.forbid_extra_keys,
            _cattrs_detailed_validation=conv.detailed_validation,
            **{name: override(rename=key) for name, key in renames.items()},
        )
        want, kinds = "a table", (dict,)
    else:
        inner, want, kinds = conv.gen_structure_attrs_fromdict(t), "a table", (dict,)

    def hook(value: Any, _t: Any) -> Any:
        if not isinstance(value, kinds):
            raise Mismatch(want, value)
        return inner(value, _t)

    return hook


def _distribution(value: Any, _t: Any) -> Distribution:
    return parse_distribution(value)


def _any(value: Any, _t: Any) -> Any:
    return value


def _count(value: Any, _t: Any) -> int | list[int]:
    """A whole number, or a non-empty list of them (``calls[i].proposal_counts``)."""
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError("must be a whole number or a non-empty list of whole numbers")
        return [_integer(v, int) for v in value]
    return _integer(value, int)


def _int_or_distribution(value: Any, _t: Any) -> int | Distribution:
    """A whole number as it is; anything else a distribution (``types_per_proposal``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return parse_distribution(value)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(float, _number)
    conv.register_structure_hook(int, _integer)
    conv.register_structure_hook(str, _string)
    conv.register_structure_hook(bool, _boolean)
    conv.register_structure_hook(dt.date, _date)
    conv.register_structure_hook(Distribution, _distribution)
    conv.register_structure_hook(Any, _any)
    conv.register_structure_hook_func(lambda t: t == int | list[int], _count)
    conv.register_structure_hook_func(lambda t: t == int | Distribution, _int_or_distribution)
    conv.register_structure_hook_func(_is_literal, _literal)
    conv.register_structure_hook_factory(_is_container, _checked_container)
    conv.register_unstructure_hook(Distribution, lambda d: d.to_dict())
    conv.register_unstructure_hook_func(
        lambda t: t == int | Distribution,
        lambda v: v.to_dict() if isinstance(v, Distribution) else v,
    )
    conv.register_unstructure_hook_factory(
        _has_renames,
        lambda t: make_dict_unstructure_fn(
            t, conv, **{name: override(rename=key) for name, key in toml_keys(t).items()}
        ),
    )
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    return conv


CONVERTER = _make_converter()


def _note_path(exc: BaseException, keys: dict[str, str]) -> str:
    for note in getattr(exc, "__notes__", []):
        name = getattr(note, "name", None)
        if isinstance(name, str):
            return f".{keys.get(name, name)}"
        index = getattr(note, "index", None)
        if isinstance(index, int):
            return f"[{index}]"
        if index is not None:
            return f".{index}"
    return ""


def _date_hint(path: str, exc: BaseException) -> str:
    """For a quoted date given to a ``*_day`` / ``*_days`` key: how to write it unquoted."""
    value = getattr(exc, "value", None)
    key = path.rsplit(".", 1)[-1]
    index = key.find("[")
    key, in_list = (key[:index], True) if index >= 0 else (key, False)
    if not isinstance(value, str) or not (key.endswith(("_day", "_days")) or key in DAY_KEYS):
        return ""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        return ""
    shown = f"[{day.isoformat()}]" if in_list else day.isoformat()
    return f" (TOML dates are written unquoted: {key} = {shown})"


def _message(exc: BaseException, path: str = "") -> tuple[str, str]:
    """(extra path suffix, message) for a leaf exception at ``path``, in plain words."""
    if isinstance(exc, ForbiddenExtraKeysError):
        keys = ", ".join(sorted(exc.extra_fields))
        return "", f"unknown key{'s' if len(exc.extra_fields) > 1 else ''}: {keys}"
    if isinstance(exc, KeyError):
        return "", "required key is missing"
    if isinstance(exc, DistributionError):
        return (f".{exc.path}" if exc.path else ""), str(exc)
    if isinstance(exc, Mismatch):
        return "", str(exc) + _date_hint(path, exc)
    if isinstance(exc, TypeError | ValueError) and str(exc):
        return "", str(exc)
    # Anything else comes from inside the structuring machinery: never show its internals.
    return "", "invalid value"


def _walk(exc: BaseException, prefix: str, out: list[Problem]) -> None:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        cl = getattr(exc, "cl", None)
        keys = toml_keys(cl) if isinstance(exc, ClassValidationError) and attrs.has(cl) else {}
        for sub in exc.exceptions:
            _walk(sub, prefix + _note_path(sub, keys), out)
        return
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            out.append(Problem(_clean(f"{prefix}.{key}"), "unknown key"))
        return
    suffix, message = _message(exc, _clean(prefix))
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
        suffix, message = _message(exc, _clean(prefix))
        return None, [Problem(_clean(prefix + suffix), message)]
