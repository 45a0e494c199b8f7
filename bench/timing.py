"""Timing helpers: CPU time of this process, best of a few rounds, so a busy neighbour on the machine counts less."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def cpu_seconds(work: Callable[[], object], rounds: int = 3) -> float:
    """The least CPU time (user + system, this process) of `rounds` runs of `work`.

    CPU time rather than wall time: on a shared 2-core machine another process
    preempting us inflates wall time but not our CPU time. Best of several: the
    noise only ever adds.
    """
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (exact: every sample kept, no histogram buckets)."""
    if not ordered:
        raise ValueError("percentile of no samples")
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
