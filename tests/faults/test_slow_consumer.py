"""A consumer stalls holding a batch; another worker reclaims and answers it; the stalled one wakes and commits late.

The stall is real: worker A is blocked in XREADGROUP when it is frozen with SIGSTOP, and the server still delivers
a batch to it (the read was already waiting). A holds those entries, pending, without running. Worker B reclaims them
after --claim-idle-ms and commits them. SIGCONT lets A edit the same entries and run its commit: the XACK guard
(and, with the window on, the event_id check before it) must make that commit publish nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
import redis

from contracts import encode
from tests.faults.helpers import GROUP, WorkerProcess, audit, pending_for, wait_all_answered
from tests.workers.helpers import CLEAN, event, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.redis]

STREAM = "claims.submitted"
BATCH = 40


@pytest.mark.parametrize("dedup_window_s", ["0", "600"], ids=["xack-guard-only", "with-dedup-window"])
def test_a_stalled_consumer_commits_late_and_publishes_nothing(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, workers: list[WorkerProcess], dedup_window_s: str
) -> None:
    window = ("--dedup-window-s", dedup_window_s)
    # A never reclaims (long idle time) and its read waits a minute, so it is parked in XREADGROUP when frozen.
    slow = WorkerProcess(redis_url, tmp_path, "slow", "--batch-size", str(BATCH), "--block-ms", "60000", "--claim-idle-ms", "600000",
                         *window)
    workers.append(slow)
    slow.wait_ready()
    wait_for(lambda: _blocked_readers(redis_client) >= 1, what="the slow worker to wait in XREADGROUP")
    slow.pause()

    # One transaction: the server serves the blocked read after EXEC, so A is handed a full batch while frozen.
    pipe = redis_client.pipeline(transaction=True)
    for one in [event(CLEAN) for _ in range(3 * BATCH)]:
        pipe.xadd(STREAM, {"event": encode(one)})
    sent = [bytes(i) for i in pipe.execute()]
    wait_for(lambda: pending_for(redis_client, "slow") == BATCH, what="the frozen worker to hold a batch")
    rows = redis_client.xpending_range(STREAM, GROUP, min="-", max="+", count=1000, consumername="slow")
    held = {cast(bytes, row["message_id"]) for row in rows}

    rescuer = WorkerProcess(redis_url, tmp_path, "rescuer", "--batch-size", str(BATCH), "--claim-idle-ms", "200", *window)
    workers.append(rescuer)
    rescuer.wait_ready()
    wait_all_answered(redis_client, len(sent))
    assert rescuer.metric("claimedit_redeliveries_total") == BATCH  # it took over exactly what A held

    slow.resume()  # A edits the stale batch and commits it, long after B did
    wait_for(lambda: slow.metric("claimedit_duplicate_deliveries_total") == BATCH, what="the slow worker's late commit")
    assert slow.metric("claimedit_claims_processed_total") == 0  # its late commit published nothing
    assert slow.metric("claimedit_deadletters_total") == 0

    assert slow.stop() == 0, slow.log()
    assert rescuer.stop() == 0, rescuer.log()
    found = audit(redis_client, sent)
    assert len(found.results) == len(sent)
    assert all(i.decode() in found.results for i in held)  # the held entries were answered by the rescuer, once


def _blocked_readers(client: redis.Redis) -> int:
    return sum(1 for c in client.client_list() if c.get("cmd") == "xreadgroup" and "b" in c.get("flags", ""))
