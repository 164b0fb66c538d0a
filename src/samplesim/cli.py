"""The ``samplesim`` command: a thin shell over the public API.

Each sub-command lives in :mod:`samplesim.commands` as a module with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Bad input (a :class:`UserError` or a
:class:`~samplesim.scenario.ScenarioError`) prints a clear message and exits with status 2,
without a traceback; library messages name API parameters, mapped here to their flags. An
experiment whose every run raised (:class:`ExperimentError`) exits with status 1 and shows
the first run's traceback. ``--plugin`` modules and installed plugins load before a command.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from samplesim.errors import ExperimentError, UserError
from samplesim.scenario import ScenarioError, ScenarioWarning

__all__ = ["COMMANDS", "main"]

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "validate",
    "run",
    "compare",
    "sweep",
    "panels",
    "check",
    "calibrate",
    "discover",
    "results",
    "plot",
    "report",
)


def _parser() -> argparse.ArgumentParser:
    from samplesim import __version__

    parser = argparse.ArgumentParser(
        prog="samplesim",
        description="Simulate scientific sample-request workflows from TOML scenario files.",
    )
    parser.add_argument("--version", action="version", version=f"samplesim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"samplesim.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"samplesim.commands.{name}":
                continue  # not built yet
            raise
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


#: API parameter -> command-line flag, where the flag is not ``--`` + the dashed name.
FLAGS = {"params": "--param", "plugins": "--plugin", "max_replications": "--replications"}


def _flag(param: str) -> str:
    return FLAGS.get(param, "--" + param.replace("_", "-"))


def user_message(exc: UserError) -> str:
    """The message of ``exc`` with its API parameter names replaced by the CLI flags: the
    first mention of ``param`` (``resume=True`` becomes ``--resume``) and the last mention,
    as a word after a space, of each of ``also``."""
    msg = str(exc)
    if exc.param:
        pat = rf"(?<![\w.-]){re.escape(exc.param)}(?:=True\b)?\b"
        msg = re.sub(pat, _flag(exc.param), msg, count=1)
    for name in getattr(exc, "also", ()):
        hits = list(re.finditer(rf"(?<=\s){re.escape(name)}\b(?=[\s).,;]|$)", msg))
        if hits:
            m = hits[-1]
            msg = msg[: m.start()] + _flag(name) + msg[m.end() :]
    return msg


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``samplesim`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    show = warnings.showwarning

    def show_plainly(message: Warning | str, category: type[Warning], *rest: Any) -> None:
        """Scenario warnings as ``warning: file: path: message``; others as usual."""
        if issubclass(category, ScenarioWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            show(message, category, *rest)

    try:
        if hasattr(args, "plugin"):
            from samplesim.plugins import discover, load_plugins

            load_plugins(args.plugin)
            discover()
        with warnings.catch_warnings():
            warnings.showwarning = show_plainly
            return int(args._run(args) or 0)
    except ScenarioError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"error: {user_message(exc)}", file=sys.stderr)
        return 2
    except ExperimentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.traceback:
            print(exc.traceback.rstrip(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
