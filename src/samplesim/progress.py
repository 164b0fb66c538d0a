"""A progress bar for long experiments (rich, on stderr) that ``quiet`` turns off."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["RunProgress", "rate_line"]


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- runs/s" if speed is None else f"{speed:,.0f} runs/s")


class RunProgress:
    """Counts finished runs; shows a bar with rate and ETA unless ``quiet``."""

    def __init__(self, description: str = "runs", quiet: bool = False) -> None:
        self.quiet = quiet
        self.description = description
        self.done = 0
        self.t0 = time.perf_counter()
        self._progress: Progress | None = None
        self._task = None
        self.executor = ""

    def __enter__(self) -> RunProgress:
        self.t0 = time.perf_counter()
        if not self.quiet:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=0)
        return self

    def add_total(self, n: int) -> None:
        """More runs to do (sequential stopping adds batches as it goes)."""
        if self._progress is not None:
            t = self._progress.tasks[0]
            self._progress.update(self._task, total=(t.total or 0) + n)

    def set_executor(self, label: str) -> None:
        """Show where the runs execute (``serial``, ``processes ×2``) after the description."""
        self.executor = label
        if self._progress is not None:
            self._progress.update(self._task, description=f"{self.description} [{label}]")

    def advance(self, n: int) -> None:
        self.done += n
        if self._progress is not None:
            self._progress.advance(self._task, n)

    @property
    def wall(self) -> float:
        return time.perf_counter() - self.t0

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def rate_line(runs: int, wall: float, executor: str = "") -> str:
    """``"1,000 runs in 2.3 s (435 runs/s, processes ×2)"``."""
    rate = runs / wall if wall > 0 else float("inf")
    where = f", {executor}" if executor else ""
    return f"{runs:,} runs in {wall:.1f} s ({rate:,.0f} runs/s{where})"
