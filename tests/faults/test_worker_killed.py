"""SIGKILL a worker at random points, over several runs; a replacement reclaims its orphans and nothing is lost or doubled."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import cast

import pytest
import redis

from tests.faults.helpers import WorkerProcess, answered, audit, pending, wait_all_answered
from tests.workers.helpers import ADDON_ALONE, CLEAN, MUE_EXCEEDED, event, submit

pytestmark = [pytest.mark.fault, pytest.mark.redis]

SEEDS = (11, 23, 37)
EVENTS_PER_RUN = 1500
WORKER_FLAGS = ("--batch-size", "50", "--claim-idle-ms", "300")


def _wait_answered(client: redis.Redis, at_least: int, timeout_s: float = 30) -> None:
    """A tight poll, so the kill lands close to the chosen point (wait_for's 20 ms would overshoot by a few batches)."""
    deadline = time.monotonic() + timeout_s
    while answered(client) < at_least:
        assert time.monotonic() < deadline, f"timed out waiting for {at_least} answers"
        time.sleep(0.002)


def test_sigkill_at_random_points_then_a_replacement_finishes_everything(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    sent: list[bytes] = []
    left_pending: list[int] = []
    current = WorkerProcess(redis_url, tmp_path, "worker-0", *WORKER_FLAGS)
    workers.append(current)
    current.wait_ready()
    for run, seed in enumerate(SEEDS, start=1):
        rng = random.Random(seed)
        before = answered(redis_client)
        events = [event(rng.choice((CLEAN, ADDON_ALONE, MUE_EXCEEDED))) for _ in range(EVENTS_PER_RUN)]
        sent += submit(redis_client, "claims.submitted", events)
        sent.append(cast(bytes, redis_client.xadd("claims.submitted", {"event": b"{not json"})))  # a dead letter among them
        kill_at = before + rng.randint(EVENTS_PER_RUN // 10, EVENTS_PER_RUN * 7 // 10)
        _wait_answered(redis_client, kill_at)
        time.sleep(rng.uniform(0, 0.01))  # anywhere in the read / edit / commit cycle
        current.sigkill()
        assert answered(redis_client) < len(sent), f"run {run}: the worker finished before it was killed"
        time.sleep(0.05)  # a commit the dead worker had already sent may still run on the server
        left_pending.append(pending(redis_client))
        # The replacement takes over the dead consumer's pending entries once they are idle for --claim-idle-ms.
        current = WorkerProcess(redis_url, tmp_path, f"worker-{run}", *WORKER_FLAGS)
        workers.append(current)
        current.wait_ready()
        if run < len(SEEDS):
            continue
        wait_all_answered(redis_client, len(sent))

    assert any(left_pending), f"no kill left entries pending ({left_pending}): the reclaim path was not exercised"
    reclaimed = current.metric("claimedit_redeliveries_total")
    assert current.stop() == 0, current.log()
    found = audit(redis_client, sent)
    assert len(found.dead_letters) == len(SEEDS)
    assert {d.reason for d in found.dead_letters.values()} == {"not-json"}
    assert len(found.results) == len(SEEDS) * EVENTS_PER_RUN
    assert reclaimed >= left_pending[-1]  # the last worker took over everything the last kill left
