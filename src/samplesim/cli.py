"""The ``samplesim`` command: a thin shell over the public API.

Each sub-command lives in :mod:`samplesim.commands` as a module with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Bad input (a :class:`UserError` or a
:class:`~samplesim.scenario.ScenarioError`) prints a clear message and exits with status 2,
without a traceback; library messages name API parameters, mapped here to their flags. An
experiment whose every run raised (:class:`ExperimentError`) exits with status 1 and shows
the first run's traceback. ``--plugin`` modules and installed plugins load before a command.

Messages go through :mod:`logging` (logger ``samplesim``, on stderr): warnings by default,
more with ``-v``/``-vv``, errors only with ``-q``. Each command's ``--help`` ends with example
invocations (its module's ``EXAMPLES``); ``--print-completion SHELL`` prints the shell
completion script (argcomplete).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from samplesim.errors import ExperimentError, Notice, UserError
from samplesim.limits import forced
from samplesim.scenario import ScenarioError, ScenarioWarning
from samplesim.terminal import setup_logging, teardown_logging

__all__ = ["COMMANDS", "main"]

log = logging.getLogger("samplesim.cli")

#: Sub-command name -> its one-line help, in the order ``--help`` lists them. A static table so
#: that ``samplesim --help`` imports no command: a command's module is imported only when it
#: is chosen (:class:`_LazyCommands`). tests/test_cli.py checks it against the modules.
COMMAND_HELP: dict[str, str] = {
    "validate": "check a scenario file (and its variants) and report every problem found",
    "run": "simulate a scenario and write summary.csv, proposals.parquet, events.parquet, plots",
    "compare": "run variants and the baseline on the same replications; paired confidence "
    "intervals",
    "sweep": "sweep parameters (grid, LHS, Sobol', Morris) with replications; Sobol' or Morris",
    "panels": "run each replication before two independent panels (one stage redrawn); agreement",
    "check": "run a scenario and place its [observed] facts among the runs (percentile, p-value)",
    "calibrate": "fit scenario parameters to observed facts by ABC-SMC (pyabc); posterior, "
    "checks, plots",
    "discover": "after a sweep, find the parameter box where an outcome is below/above X (PRIM)",
    "results": "load a run or experiment directory (even an interrupted one) and describe its "
    "results",
    "plot": "re-draw the figures of a run or experiment output directory into DIR/plots/",
    "report": "write a self-contained HTML report (figures embedded) of a run or experiment "
    "directory",
}

#: Sub-command modules (``samplesim.commands.NAME``), in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = tuple(COMMAND_HELP)

_VERBOSE_HELP = "say more on stderr (-v: what happens, -vv: debugging detail)"


def _parser() -> argparse.ArgumentParser:
    from samplesim import __version__

    parser = argparse.ArgumentParser(
        prog="samplesim",
        description="Simulate scientific sample-request workflows from TOML scenario files.",
        epilog="examples:\n  samplesim run scenarios/change5-2023.toml --out results/ce5\n"
        "  samplesim -v compare scenarios/change5-2023.toml --replications 50\n"
        "  samplesim COMMAND --help      (each command's options and examples)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"samplesim {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=_VERBOSE_HELP)
    parser.add_argument(
        "-q",
        "--quiet",
        dest="log_quiet",
        action="store_true",
        help="errors only: no warnings, progress bars or tables (a command's last line stays)",
    )
    parser.add_argument(
        "--print-completion",
        choices=("bash", "zsh", "fish", "tcsh"),
        action=_PrintCompletion,
        help='print the shell completion script and exit (e.g. eval "$(samplesim '
        '--print-completion bash)" in ~/.bashrc)',
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", action=_LazyCommands
    )
    for name, text in COMMAND_HELP.items():
        sub.add_parser(
            name,
            help=text,
            description=text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    return parser


def _fill(p: argparse.ArgumentParser, name: str) -> None:
    """Give sub-parser ``p`` the options of command ``name`` (imports its module, once)."""
    if getattr(p, "_samplesim_filled", False):
        return
    mod = importlib.import_module(f"samplesim.commands.{name}")
    examples = getattr(mod, "EXAMPLES", "")
    p.epilog = f"examples:\n{examples.rstrip()}" if examples else None
    mod.add_arguments(p)
    p.add_argument(  # also after the command: `samplesim run x.toml -v`
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help=_VERBOSE_HELP
    )
    p.set_defaults(_run=mod.run)
    p._samplesim_filled = True  # type: ignore[attr-defined]


class _LazyCommands(argparse._SubParsersAction):
    """Sub-commands whose options are added when the command is chosen on the command line."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        name = values[0] if values else None
        if name in self._name_parser_map:
            _fill(self._name_parser_map[name], name)
        super().__call__(parser, namespace, values, option_string)


class _PrintCompletion(argparse.Action):
    """``--print-completion SHELL``: the argcomplete script for ``samplesim``, then exit."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        try:
            import argcomplete
        except ImportError:
            parser.exit(2, "error: shell completion needs argcomplete: pip install argcomplete\n")
        sys.stdout.write(argcomplete.shellcode(["samplesim"], shell=str(values)))
        parser.exit(0)


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request from the shell (exits); a no-op otherwise."""
    import os

    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:  # pragma: no cover - a dependency; completion is a convenience
        return
    argcomplete.autocomplete(parser)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit raises nothing."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (captured)
        pass


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
    parser = _parser()
    _autocomplete(parser)
    args = parser.parse_args(argv)
    show = warnings.showwarning

    def show_plainly(message: Warning | str, category: type[Warning], *rest: Any) -> None:
        """Scenario warnings as ``warning: file: path: message`` (logged); others as usual."""
        if issubclass(category, ScenarioWarning | Notice):
            log.warning("%s", message)
        else:
            show(message, category, *rest)

    setup_logging(args.verbose, args.log_quiet)
    if args.log_quiet and hasattr(args, "quiet"):
        args.quiet = True
    log.info("samplesim %s: %s", args.command, " ".join(map(str, argv or sys.argv[1:])))
    try:
        if hasattr(args, "plugin"):
            from samplesim.plugins import discover, load_plugins

            load_plugins(args.plugin)
            discover()
            log.debug("plugins loaded: %s", ", ".join(args.plugin) or "installed ones only")
        with warnings.catch_warnings(), forced(getattr(args, "force", False)):
            warnings.showwarning = show_plainly
            status = int(args._run(args) or 0)
            sys.stdout.flush()  # a closed pipe fails here, not at exit
            return status
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
    except BrokenPipeError:  # ``samplesim results DIR | head``: the reader has gone
        _silence_stdout()
        return 0
    except OSError as exc:  # a write failing at run time: disk full, file too large...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc} (input/output failure)", file=sys.stderr)
        return 1
    finally:
        teardown_logging()


if __name__ == "__main__":
    sys.exit(main())
