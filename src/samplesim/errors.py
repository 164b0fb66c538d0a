"""Errors the command line reports as bad input (exit status 2, no traceback)."""

from __future__ import annotations

__all__ = ["UserError"]


class UserError(Exception):
    """Bad input that is not a scenario-file problem (an option, an output directory...)."""
