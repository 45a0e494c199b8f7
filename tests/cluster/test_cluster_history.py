"""History on the three-master Redis Cluster, partitioned by patient: each patient's history is a hash in its
partition's slot, two workers edit the partitions, identical pairs get exactly one duplicate, history is exact."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from pathlib import Path
from typing import cast

import msgspec
import pytest
import redis
from redis.crc import key_slot

from contracts import ClaimSubmitted
from contracts.codec import decode_result
from tests.cluster.local_cluster import LocalCluster
from tests.history_audit import HISTORY_KEY, audit_history, stored_claims
from tests.processes import WorkerProcess
from tests.workers.helpers import claim, wait_for
from workers.history.patient_keys import PatientKeys
from workers.partitions import all_partitions, partition_of
from workers.producer import send_partitioned

pytestmark = [pytest.mark.redis, pytest.mark.slow]

P = 6


def _entries(client: redis.RedisCluster, stream: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
    return cast("list[tuple[bytes, dict[bytes, bytes]]]", client.xrange(stream))


def test_history_on_a_cluster_lives_in_the_patients_partition_slot_and_stays_exact(cluster: LocalCluster, tmp_path: Path) -> None:
    client = cluster.client()
    key_file = tmp_path / "history.key"
    key_file.write_text(HISTORY_KEY)
    flags = ("--redis-cluster", "--partitions", str(P), "--batch-size", "9", "--history", "--history-key-file", str(key_file))
    workers = [WorkerProcess(tmp_path, name, *flags, redis_url=cluster.url, log_level="WARNING") for name in ("w1", "w2")]
    try:
        for worker in workers:
            worker.wait_ready()
        rng = random.Random(3)
        patients = [f"P-{i}" for i in range(24)]
        events: list[ClaimSubmitted] = []
        pairs = []
        for i in range(300):
            base = msgspec.structs.replace(claim(("64628", (), 1), ("64629", (), 1)), patient_id=rng.choice(patients),
                                           billing_provider_npi=f"{1_000_000_000 + i}")
            pair = [ClaimSubmitted(event_id=f"E-{uuid.uuid4().hex}", occurred_at=dt.datetime.now(dt.UTC),
                                   claim=msgspec.structs.replace(base, claim_id=f"C-{uuid.uuid4().hex[:12]}")) for _ in range(2)]
            pairs.append(pair)
            events += pair
        placed = send_partitioned(client, events, P)
        partitions = all_partitions(P)
        wait_for(lambda: sum(int(client.xlen(p.edited)) for p in partitions) >= len(events), timeout_s=60, what="every result")

        results = [decode_result(f[b"result"]) for p in partitions for _, f in _entries(client, p.edited)]
        assert len(results) == len(events)
        by_event = {r.event_id: r for r in results}
        for a, b in pairs:
            flagged = sorted(any(f.edit == "duplicate-service" for f in by_event[e.event_id].findings) for e in (a, b))
            assert flagged == [False, True]
        stream_of = {e.event_id: stream for e, (stream, _) in zip(events, placed, strict=True)}
        assert audit_history(client, events, results, stream_of) == 2 * len(pairs)
        for patient in patients:  # each patient's hash: in its partition's slot, the one its commit script runs in
            partition = partitions[partition_of(patient, P)]
            key = PatientKeys(HISTORY_KEY.encode(), partition.submitted).key(patient)
            assert key_slot(key.encode()) == key_slot(partition.submitted.encode())
            assert stored_claims(client, key), f"{patient}: no history in {partition.submitted}'s slot"
    finally:
        for worker in workers:
            worker.kill()
        client.close()
