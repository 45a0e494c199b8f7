"""Redis itself fails under a busy worker: killed and restarted (AOF on), connections cut, the server paused."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.helpers import RedisServer, WorkerProcess, answered, audit, wait_all_answered
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, event, submit, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.redis]

STREAM = "claims.submitted"


def test_redis_killed_and_restarted_with_aof_the_worker_resumes(
    own_redis: Callable[..., RedisServer], tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    # appendfsync always: a write is on disk before its reply, so whatever the worker saw committed survives the kill.
    server = own_redis("--appendonly", "yes", "--appendfsync", "always")
    client = server.client()
    worker = WorkerProcess(server.url, tmp_path, "survivor", "--batch-size", "50", "--claim-idle-ms", "500")
    workers.append(worker)
    worker.wait_ready()
    sent = submit(client, STREAM, [event(CLEAN if i % 2 else MUE_EXCEEDED) for i in range(2500)])
    wait_for(lambda: answered(client) >= 400, what="the worker to be busy")
    answered_before = answered(client)
    server.kill()
    assert answered_before < len(sent), "the worker finished before Redis was killed"
    client.close()
    wait_for(lambda: worker.get("/readyz")[0] == 503, what="the worker to notice Redis is gone")

    server.start()  # same port, same directory: the AOF is replayed
    client = server.client()
    assert answered(client) >= answered_before  # every answer the worker had committed was persisted
    wait_all_answered(client, len(sent))
    wait_for(lambda: worker.get("/readyz")[0] == 200, what="the worker to be ready again")
    assert worker.metric("claimedit_redis_errors_total") >= 1
    assert worker.stop() == 0, worker.log()
    found = audit(client, sent)
    assert len(found.results) == len(sent)
    client.close()


def test_connections_cut_and_server_paused_while_the_worker_runs(
    own_redis: Callable[..., RedisServer], tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    server = own_redis()
    client = server.client()
    worker = WorkerProcess(server.url, tmp_path, "cut-off", "--batch-size", "50", "--claim-idle-ms", "1000")
    workers.append(worker)
    worker.wait_ready()
    sent: list[bytes] = []
    kills: list[int] = []
    for chunk in range(30):  # arriving over time, so every fault lands while the worker is busy
        sent += submit(client, STREAM, [event(CLEAN) for _ in range(100)])
        if chunk in (5, 25):
            kills.append(client.client_kill_filter(_type="normal", skipme=True))
        if chunk == 15:
            client.client_pause(2000, all=True)  # CLIENT PAUSE 2000 ALL: our next XADD waits for the pause too
        time.sleep(0.01)
    assert all(killed >= 2 for killed in kills), kills  # at least the worker's read and commit connections each time
    wait_all_answered(client, len(sent))
    assert worker.metric("claimedit_redis_errors_total", operation="read") >= 1  # the cut reads were seen and retried
    assert worker.stop() == 0, worker.log()
    found = audit(client, sent)
    assert len(found.results) == len(sent)
    client.close()
