"""The progress bar: drawn on a terminal, absent otherwise (CI logs, pipes, files)."""

from __future__ import annotations

import io

from workers.replay.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    pipe = io.StringIO()
    with ProgressBar("replaying", lambda count: (count, 10), stream=pipe) as bar:
        bar.update(5)
    assert not bar.enabled
    assert pipe.getvalue() == ""


def test_bar_on_a_terminal_shows_how_far_along() -> None:
    terminal = Terminal()
    with ProgressBar("replaying events.jsonl", lambda count: (count * 10, 100), stream=terminal) as bar:
        bar.update(5)
    assert bar.enabled
    assert "replaying events.jsonl" in terminal.getvalue()
