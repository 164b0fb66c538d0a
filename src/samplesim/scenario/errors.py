"""Scenario errors that name the file and the key path of every problem."""

from __future__ import annotations

import attrs

__all__ = ["Problem", "ScenarioError", "ScenarioWarning"]


@attrs.frozen
class Problem:
    """One problem: the key path (``calls[0].close_day``) and what is wrong there."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(Exception):
    """A scenario file (or an override) is invalid; carries every problem found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """A human-readable report: the file, then one line per problem."""
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ScenarioWarning(UserWarning):
    """A scenario is valid but something in it probably is not meant (it never applies)."""
