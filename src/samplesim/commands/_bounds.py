"""Bounds on numeric command-line options, checked before anything is created (the limits
live in :mod:`samplesim.limits`)."""

from __future__ import annotations

import argparse

from samplesim import limits as L
from samplesim.errors import UserError, check_count, check_seed

__all__ = ["add_force_argument", "check_common"]


def add_force_argument(p: argparse.ArgumentParser) -> None:
    """``--force``: lift the soft size limits of a scenario."""
    p.add_argument(
        "--force",
        action="store_true",
        help="run a scenario over the soft size limits (expected proposals, institutions, "
        "co-investigators, review slots, meetings); see README 'Limits and guarantees'",
    )


def _flagged(exc: UserError, flag: str) -> UserError:
    return UserError(str(exc).replace(exc.param or "", flag, 1))


def check_common(args: argparse.Namespace, min_replications: int = 1) -> None:
    """UserError for an out-of-range ``--seed``, ``--replications``, ``--batch-size``,
    ``--jobs``, ``--samples`` or ``--levels N`` (whichever the command has)."""
    checks = [
        ("seed", "--seed", lambda v: check_seed(v, "seed")),
        ("replications", "--replications",
         lambda v: check_count(v, "replications", min_replications, L.MAX_REPLICATIONS)),
        ("batch_size", "--batch-size",
         lambda v: check_count(v, "batch_size", 1, L.MAX_BATCH_SIZE)),
        ("jobs", "--jobs", lambda v: check_count(v, "jobs", 1, 4096)),
        ("samples", "--samples", lambda v: check_count(v, "samples", 1, L.MAX_SAMPLES)),
    ]  # fmt: skip
    for attr, flag, check in checks:
        value = getattr(args, attr, None)
        if value is None:
            continue
        try:
            check(value)
        except UserError as exc:
            raise _flagged(exc, flag) from None
