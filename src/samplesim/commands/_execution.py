"""Command-line options shared by run / compare / sweep / validate, and their mapping to the
experiment API's keyword arguments."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_execution_arguments", "add_plugin_argument", "execution_kwargs"]


def add_plugin_argument(p: argparse.ArgumentParser) -> None:
    """``--plugin MODULE`` (repeatable): import a module that registers policies/effects."""
    p.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first (it registers allocation policies or rule effects); "
        "repeatable; installed plugins (entry points 'samplesim.plugins') load by themselves",
    )


def add_execution_arguments(p: argparse.ArgumentParser, replications_default: int | None = 30):
    """``--seed --out --executor --jobs --scheduler --batch-size --resume --quiet``."""
    from samplesim.commands._bounds import add_force_argument
    from samplesim.executors import EXECUTORS

    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--out", type=Path, default=None, help="output directory")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="where runs execute (default auto: serial, switching to worker processes when "
        "the first batch shows they pay)",
    )
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="address of a running Dask scheduler (with --executor dask)",
    )
    p.add_argument(
        "--batch-size", type=int, default=None, help="runs per task (default 5-50, automatic)"
    )
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted experiment in --out"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    add_force_argument(p)
    add_plugin_argument(p)


def execution_kwargs(args: argparse.Namespace, n_runs: int) -> dict[str, Any]:
    """API keyword arguments from the parsed execution options."""
    executor = args.executor
    if executor is None:
        executor = "dask" if args.scheduler else "auto"
    return {
        "plugins": list(getattr(args, "plugin", []) or []),
        "seed": args.seed,
        "executor": executor,
        "jobs": args.jobs,
        "scheduler": args.scheduler,
        "out": args.out,
        "resume": args.resume,
        "batch_size": args.batch_size,
        "quiet": args.quiet,
    }
