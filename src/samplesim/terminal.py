"""The terminal: consoles that fit its width and drop colour and markup when output is piped,
and the ``samplesim`` logger's handler (``-v`` / ``-q``)."""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a table is printed: `samplesim --help` needs none
    from rich.console import Console
    from rich.table import Table

__all__ = ["LOGGER", "console", "fitted_tables", "setup_logging", "terminal_width"]

#: The package logger; every module logs through ``logging.getLogger("samplesim...")``.
LOGGER = logging.getLogger("samplesim")

#: Width when the output is not a terminal (a pipe or a file) and COLUMNS is not set.
PIPE_WIDTH = 140
MIN_WIDTH = 60


def terminal_width() -> int:
    """The terminal's width (``COLUMNS`` first; :data:`PIPE_WIDTH` when not a terminal)."""
    return max(MIN_WIDTH, shutil.get_terminal_size((PIPE_WIDTH, 24)).columns)


def console(stderr: bool = False) -> Console:
    """A rich console as wide as the terminal. Not a terminal (piped, redirected): no colour,
    no bold, no markup styles, so nothing may carry meaning by style alone."""
    stream = sys.stderr if stderr else sys.stdout
    tty = bool(getattr(stream, "isatty", lambda: False)())
    from rich.console import Console

    return Console(
        file=stream,
        width=terminal_width(),
        highlight=False,
        emoji=False,
        no_color=not tty,
        force_terminal=tty,
        color_system="auto" if tty else None,
    )


def _visible(cell: str) -> str:
    """A cell's text without its rich markup (``[green]yes[/]`` -> ``yes``)."""
    from rich.text import Text

    return Text.from_markup(cell).plain


def _min_width(header: str, cells: Sequence[str], wrap: bool) -> int:
    """Narrowest a column can be without cutting a word of its header or a cell (a word of a
    cell when ``wrap``: text columns wrap, numbers never do)."""
    texts = [_visible(c) for c in cells]
    parts = [w for t in texts for w in t.split()] if wrap else texts
    return max([*(len(w) for w in header.split()), *map(len, parts), 1])


def fitted_tables(
    title: str,
    headers: Sequence[str],
    rows: Sequence[tuple[Sequence[str], str | None]],
    width: int,
    keys: int = 1,
    right: Sequence[bool] | None = None,
) -> list[Table]:
    """``rows`` ((cells, style) pairs; cells may hold rich markup) as one table, or as several
    when the columns do not fit in ``width``: each repeats the first ``keys`` columns and takes
    as many of the others as fit, so no number is ever cut. Headers and left-aligned (text)
    columns wrap at spaces; right-aligned (number) columns never wrap."""
    right = right or [i >= keys for i in range(len(headers))]
    need = [
        _min_width(h, [r[0][i] for r in rows], wrap=not right[i]) + 3 for i, h in enumerate(headers)
    ]
    natural = [
        max(len(h), *(len(_visible(r[0][i])) for r in rows)) + 3 if rows else len(h) + 3
        for i, h in enumerate(headers)
    ]
    fixed = 1 + sum(natural) > width  # too wide as it is: narrowest columns, split if need be
    chunks: list[list[int]] = []
    used = 1 + sum(need[:keys])
    for i in range(keys, len(headers)):
        if not chunks or used + need[i] > width:
            chunks.append([])
            used = 1 + sum(need[:keys])
        chunks[-1].append(i)
        used += need[i]
    from rich.table import Table

    tables = []
    for n, chunk in enumerate(chunks or [[]]):
        cols = [*range(keys), *chunk]
        part = f" ({n + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        t = Table(title=title + part)
        for i in cols:
            t.add_column(headers[i], justify="right" if right[i] else "left",
                         width=need[i] - 3 if fixed else None)  # fmt: skip
        for cells, style in rows:
            t.add_row(*(cells[i] for i in cols), style=style)
        tables.append(t)
    return tables


class _Stderr(logging.Handler):
    """Writes ``level: message`` lines to the current ``sys.stderr`` (captured streams too)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


_HANDLER = _Stderr()
_HANDLER.setFormatter(logging.Formatter("%(levelname_lower)s: %(message)s"))


class _Lower(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.levelname_lower = record.levelname.lower()
        return True


_HANDLER.addFilter(_Lower())


def setup_logging(verbose: int = 0, quiet: bool = False) -> int:
    """Send the ``samplesim`` logger to stderr: warnings by default, ``info`` with one
    ``-v``, ``debug`` with two, errors only with ``quiet``. Returns the level."""
    level = logging.ERROR if quiet else max(logging.DEBUG, logging.WARNING - 10 * verbose)
    if _HANDLER not in LOGGER.handlers:
        LOGGER.addHandler(_HANDLER)
    LOGGER.setLevel(level)
    return level


def teardown_logging() -> None:
    """Remove the handler :func:`setup_logging` added (``main`` leaves no global state)."""
    LOGGER.removeHandler(_HANDLER)
    LOGGER.setLevel(logging.NOTSET)
