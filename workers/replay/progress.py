"""A progress bar on stderr, shown only when stderr is a terminal (never in CI logs or pipes)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class ProgressBar:
    """`update(count)` after every few thousand entries; `measure()` says how far along the source is.

    `measure` returns (done, total): bytes for a file, entries for a stream (total None when unknown).
    """

    def __init__(self, what: str, measure: Callable[[int], tuple[int, int | None]], stream: TextIO | None = None) -> None:
        stream = stream if stream is not None else sys.stderr
        self.enabled = stream.isatty()
        self._measure = measure
        self._progress: Progress | None = None
        self._task = None
        if self.enabled:
            done, total = measure(0)
            columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn() if total is None else TextColumn(
                "{task.percentage:>3.0f}%"), TimeElapsedColumn(), TimeRemainingColumn()]
            self._progress = Progress(*columns, console=Console(file=stream), transient=True)
            self._task = self._progress.add_task(what, total=total, completed=done)

    def update(self, count: int) -> None:
        if self._progress is not None and self._task is not None:
            done, _ = self._measure(count)
            self._progress.update(self._task, completed=done)

    def __enter__(self) -> ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
