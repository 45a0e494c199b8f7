"""Worker processes: killed mid-batch, sharing a group, stopped by SIGTERM. Each event ends with exactly one result."""

from __future__ import annotations

import json
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.processes import WorkerProcess, reaped
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, event, pending_count, results, submit, wait_for

STREAM, GROUP = "claims.submitted", "claim-edit"
PROCESSED = "claimedit_claims_processed_total"


@pytest.fixture
def processes() -> Iterator[list[WorkerProcess]]:
    with reaped() as started:
        yield started


def _assert_exactly_one_result_each(client: redis.Redis, sent_ids: list[str]) -> None:
    counts = Counter(r.event_id for r in results(client))
    assert set(counts) == set(sent_ids)
    assert max(counts.values()) == 1, [e for e, n in counts.items() if n > 1][:5]


def test_sigkill_mid_batch_then_a_new_worker_finishes_everything(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, processes: list[WorkerProcess]
) -> None:
    sent = [event(CLEAN if i % 2 else MUE_EXCEEDED) for i in range(4000)]
    first = WorkerProcess(tmp_path, "doomed", "--batch-size", "100", redis_url=redis_url, log_level="WARNING")
    processes.append(first)
    first.wait_ready()
    submit(redis_client, STREAM, sent)
    wait_for(lambda: redis_client.xlen("claims.edited") > 0 and pending_count(redis_client) > 0, what="the worker to be mid-batch")
    first.signal(signal.SIGKILL)
    first.wait_exit()
    left_pending = pending_count(redis_client)
    done_before = redis_client.xlen("claims.edited")
    assert left_pending > 0  # it really died holding entries
    assert done_before < len(sent)

    second = WorkerProcess(tmp_path, "rescuer", "--batch-size", "100", "--claim-idle-ms", "300", redis_url=redis_url, log_level="WARNING")
    processes.append(second)
    second.wait_ready()
    wait_for(lambda: redis_client.xlen("claims.edited") >= len(sent) and pending_count(redis_client) == 0, timeout_s=60,
             what="every result after the rescue")
    _assert_exactly_one_result_each(redis_client, [e.event_id for e in sent])
    assert pending_count(redis_client) == 0


def test_two_workers_in_one_group_share_the_work(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, processes: list[WorkerProcess]
) -> None:
    workers = [WorkerProcess(tmp_path, name, "--batch-size", "20", redis_url=redis_url, log_level="WARNING") for name in ("one", "two")]
    processes.extend(workers)
    for worker in workers:
        worker.wait_ready()
    sent = [event(CLEAN) for _ in range(2000)]
    for start in range(0, len(sent), 100):  # arrives over time, as from a platform
        submit(redis_client, STREAM, sent[start : start + 100])
    wait_for(lambda: redis_client.xlen("claims.edited") >= len(sent), timeout_s=60, what="every result")
    _assert_exactly_one_result_each(redis_client, [e.event_id for e in sent])
    wait_for(lambda: sum(sum(w.series(PROCESSED).values()) for w in workers) == len(sent), what="both workers' counters")
    shares = [sum(w.series(PROCESSED).values()) for w in workers]
    assert all(share > 0 for share in shares), shares


def test_sigterm_finishes_the_batch_in_hand_and_exits_0(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, processes: list[WorkerProcess]
) -> None:
    worker = WorkerProcess(tmp_path, "graceful", "--batch-size", "100", redis_url=redis_url)
    processes.append(worker)
    worker.wait_ready()
    sent = [event(MUE_EXCEEDED) for _ in range(4000)]
    submit(redis_client, STREAM, sent)
    redis_client.xadd(STREAM, {"event": b'{"claim": {"patient_id": "P-test", "billing_provider_npi": "1234567893"}'})
    wait_for(lambda: redis_client.xlen("claims.edited") > 0, what="the first results")
    worker.process.send_signal(signal.SIGTERM)
    assert worker.wait_exit() == 0, worker.log_path.read_text()

    assert pending_count(redis_client) == 0  # everything it had read was committed
    assert redis_client.xinfo_consumers(STREAM, GROUP) == []  # and it left the group: restarts do not pile up names
    (group,) = redis_client.xinfo_groups(STREAM)
    done = redis_client.xlen("claims.edited")
    dead = redis_client.xlen("claims.deadletter")
    assert done + dead + int(group["lag"]) == len(sent) + 1  # the rest was never read, so is still there for the next worker
    counts = Counter(r.event_id for r in results(redis_client))
    assert max(counts.values()) == 1
    log = worker.log_path.read_text()
    assert "Traceback" not in log, log
    lines = [json.loads(line) for line in log.splitlines()]  # JSON lines when not on a terminal
    assert any(line["event"] == "batch" for line in lines)
    assert any(line["event"] == "worker stopped" for line in lines)
    for patient_data in ("P-test", "1234567893", "M5450"):  # patient id, NPI, diagnosis: never in the logs
        assert patient_data not in log
    assert 0 < done < len(sent)  # it was stopped mid-stream


def test_stop_while_redis_is_down_exits_0() -> None:
    from edits import Engine
    from tests.workers.helpers import WorkerThread, tiny_reference
    from tests.workers.test_happy_path import settings
    from workers.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis().start()
    try:
        worker = WorkerThread(settings(server.url, shutdown_grace_s=1.0), Engine(tiny_reference())).start()
        client = redis.Redis.from_url(server.url)
        submit(client, STREAM, [event(CLEAN) for _ in range(50)])
        wait_for(lambda: client.xlen("claims.edited") == 50, what="the results")
        client.close()
    finally:
        server.stop()
    assert worker.stop() == 0  # stop() fails the test if the worker is still running after 30 s
