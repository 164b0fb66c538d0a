"""Errors the command line reports: bad input (exit 2, no traceback), failed experiments (1)."""

from __future__ import annotations

from typing import Any

__all__ = ["ExperimentError", "UserError", "check_seed"]


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


def check_seed(value: Any, name: str = "seed") -> int:
    """``value`` as an ``int`` if it is a non-negative integer (numpy integers accepted,
    bools, floats and strings refused), else a :class:`UserError` naming ``name``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise UserError(f"{name} must be a non-negative integer, got {value!r}", param=name)
    return int(value)
