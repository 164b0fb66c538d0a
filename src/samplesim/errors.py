"""Errors the command line reports: bad input (exit 2, no traceback), failed experiments (1)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "DamagedFile",
    "ExperimentError",
    "LimitWarning",
    "Notice",
    "UserError",
    "check_count",
    "check_seed",
]


class UserError(Exception):
    """Bad input that is not a scenario-file problem (an option, an output directory...).

    ``param`` names the API parameter at fault (the command line maps it to its flag);
    ``also`` names other API parameters the message suggests (``choose another out``).
    """

    def __init__(self, message: str, param: str | None = None, *, also: tuple[str, ...] = ()):
        super().__init__(message)
        self.param = param
        self.also = tuple(also)


class ExperimentError(RuntimeError):
    """Every run of an experiment (or of one of its variants) raised; ``traceback`` is the
    first run's traceback."""

    def __init__(self, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback


class DamagedFile(UserError):
    """A file of an output directory cannot be read (truncated, empty, garbage); ``path``."""

    def __init__(self, path: Any, why: str) -> None:
        super().__init__(f"{path}: damaged ({why})")
        self.path = path


class Notice(UserWarning):
    """Something the user should know, printed as ``warning: message`` by the command line."""


class LimitWarning(Notice):
    """A request was reduced to a limit (e.g. ``jobs`` capped at the cores)."""


def check_seed(value: Any, name: str = "seed") -> int:
    """``value`` as an ``int`` if it is an integer with 0 <= value < 2**63 (numpy integers
    accepted, bools, floats and strings refused), else a :class:`UserError` naming ``name``."""
    import numbers

    from samplesim.limits import MAX_SEED

    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not 0 <= value < MAX_SEED
    ):
        raise UserError(
            f"{name} must be a non-negative integer below 2**63, got {value!r}", param=name
        )
    return int(value)


def check_count(
    value: Any, name: str, low: int = 1, high: int | None = None, high_text: str = ""
) -> int:
    """``value`` as an ``int`` if it is an integer in [low, high], else a
    :class:`UserError` naming ``name`` (and the limit)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UserError(f"{name} must be an integer, got {value!r}", param=name)
    if value < low:
        raise UserError(f"{name} must be at least {low}, got {value!r}", param=name)
    if high is not None and value > high:
        limit = high_text or str(high)
        raise UserError(f"{name} must be at most {limit} (the limit), got {value!r}", param=name)
    return int(value)
