"""Partitioned mode on a single Redis (the first migration step): `--partition-ids` and the per-partition gauges."""

from __future__ import annotations

import urllib.request
from collections import Counter

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from edits import Engine
from tests.workers.helpers import CLEAN, WorkerThread, event, results, tiny_reference, wait_for
from tests.workers.test_happy_path import settings
from workers.partitions import all_partitions, partition_of
from workers.producer import send_partitioned

pytestmark = pytest.mark.redis


def _samples(port: int, name: str) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {sample.labels.get("partition", ""): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples if sample.name == name}


def test_a_worker_reads_only_its_partition_ids(redis_client: redis.Redis, redis_url: str) -> None:
    sent = [event(CLEAN) for _ in range(300)]
    per_partition = Counter(partition_of(e.claim.patient_id, 3) for e in sent)
    send_partitioned(redis_client, sent, 3)
    partitions = all_partitions(3)
    with WorkerThread(settings(redis_url, partitions=3, partition_ids=(0, 2)), Engine(tiny_reference())) as worker:
        wait_for(lambda: sum(redis_client.xlen(partitions[i].edited) for i in (0, 2)) == per_partition[0] + per_partition[2],
                 what="partitions 0 and 2 answered")
        port = worker.worker.http_port
        assert port is not None
        wait_for(lambda: _samples(port, "claimedit_partition_consumer_lag") == {"0": 0.0, "2": 0.0}, what="per-partition lag")
        assert _samples(port, "claimedit_consumer_lag") == {"": 0.0}  # the sum over the partitions this worker reads
        assert set(_samples(port, "claimedit_partition_pending_entries")) == {"0", "2"}
    for i in (0, 2):
        assert {r.claim_id for r in results(redis_client, partitions[i].edited)} == \
            {e.claim.claim_id for e in sent if partition_of(e.claim.patient_id, 3) == i}
    # Partition 1 is nobody's here: untouched, no consumer group, waiting for a worker that reads it.
    assert redis_client.xlen(partitions[1].edited) == 0
    assert redis_client.xlen(partitions[1].submitted) == per_partition[1] > 0
    assert redis_client.xinfo_groups(partitions[1].submitted) == []
