"""Filling the input stream and watching results arrive."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

INPUT = "claims.submitted"
GROUP = "claim-edit"
RESULTS = "claims.edited"
DEAD_LETTERS = "claims.deadletter"
FILL_CHUNK = 5_000


def fill(client: redis.Redis, payloads: list[bytes], stream: str = INPUT) -> None:
    """XADD every payload in field `event`, pipelined in chunks (the fill is not what is measured)."""
    for start in range(0, len(payloads), FILL_CHUNK):
        pipe = client.pipeline(transaction=False)
        for payload in payloads[start : start + FILL_CHUNK]:
            pipe.xadd(stream, {"event": payload})
        pipe.execute()


def create_group(client: redis.Redis, stream: str = INPUT, group: str = GROUP) -> None:
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


class Timeout(RuntimeError):
    """Results stopped arriving: the process under test is stuck or dead."""


def watch(
    count_results: Callable[[], int],
    target: int,
    *,
    alive: Callable[[], bool] = lambda: True,
    interval_s: float = 0.05,
    stall_s: float = 30.0,
) -> list[tuple[float, int]]:
    """Sample (time, results so far) until `target` results exist; raise Timeout if none arrive for `stall_s`."""
    samples: list[tuple[float, int]] = []
    last_change = time.perf_counter()
    last = -1
    while True:
        now, seen = time.perf_counter(), count_results()
        samples.append((now, seen))
        if seen >= target:
            return samples
        if seen != last:
            last, last_change = seen, now
        elif now - last_change > stall_s:
            raise Timeout(f"no new results for {stall_s:.0f} s at {seen} of {target}")
        if not alive():
            raise Timeout(f"the process under test exited at {seen} of {target} results")
        time.sleep(interval_s)


def warm_window(samples: list[tuple[float, int]], target: int, low: float = 0.1, high: float = 0.9) -> tuple[int, int]:
    """Indexes of the samples at the `low` and `high` fractions of the target: start-up and tail excluded.

    A run too short for that (a smoke run) falls back to the last sample with no results and the end.
    """
    start = next(i for i, s in enumerate(samples) if s[1] >= low * target)
    end = next(i for i, s in enumerate(samples) if s[1] >= high * target)
    if samples[end][0] > samples[start][0] and samples[end][1] > samples[start][1]:
        return start, end
    start = max((i for i, s in enumerate(samples) if s[1] == 0), default=0)
    return start, len(samples) - 1


def warm_rate(samples: list[tuple[float, int]], target: int) -> float:
    """Results per second in the warm window."""
    start, end = warm_window(samples, target)
    seconds = samples[end][0] - samples[start][0]
    if seconds <= 0:
        raise ValueError("results arrived between two samples: use more claims")
    return (samples[end][1] - samples[start][1]) / seconds
