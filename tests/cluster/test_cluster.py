"""Partitioned mode on a real three-master Redis Cluster: placement, the producer, and two worker processes with one killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest
import redis

from contracts import encode
from contracts.codec import decode_dead_letter, decode_result
from tests.cluster.local_cluster import LocalCluster
from tests.processes import ROOT, WorkerProcess
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, event, wait_for
from workers.partitions import PartitionStreams, all_partitions, partition_of
from workers.producer import send_partitioned
from workers.streams import entries

pytestmark = pytest.mark.redis

P = 6
GROUP = "claim-edit"


def slot_owner(client: redis.RedisCluster, key: str) -> str:
    node = client.nodes_manager.get_node_from_slot(client.keyslot(key))
    assert node is not None
    return f"{node.host}:{node.port}"


def pending(client: redis.RedisCluster, stream: str) -> dict[str, Any]:
    return cast("dict[str, Any]", client.xpending(stream, GROUP))


def test_partitions_spread_over_the_masters_and_each_commits_in_one_slot(cluster: LocalCluster) -> None:
    client = cluster.client()
    try:
        partitions = all_partitions(P)
        owners = {p.label: slot_owner(client, p.submitted) for p in partitions}
        # Balanced: each of the three masters holds P / 3 partitions (the tags pick one slot per P-th of the slot space).
        assert Counter(owners.values()) == {f"127.0.0.1:{port}": P // 3 for port in cluster.ports}, owners
        for p in partitions:
            # One script over a partition's keys must run (a cross-slot script would fail with CROSSSLOT).
            script = "redis.call('XADD', KEYS[1], '*', 'a', '1'); redis.call('XADD', KEYS[2], '*', 'a', '1');" \
                     "redis.call('XADD', KEYS[3], '*', 'a', '1'); redis.call('ZADD', KEYS[4], 1, 'x'); return 1"
            assert client.eval(script, 4, p.submitted, p.edited, p.deadletter, p.submitted + ":seen") == 1
            assert {slot_owner(client, key) for key in (p.edited, p.deadletter)} == {owners[p.label]}
        with pytest.raises(redis.RedisClusterException, match="same key slot"):
            client.eval("return 1", 2, partitions[0].submitted, partitions[1].submitted)  # the commit could not span partitions
    finally:
        client.close()


def test_the_producer_writes_each_claim_to_its_partition(cluster: LocalCluster) -> None:
    client = cluster.client()
    try:
        sent = [event(CLEAN) for _ in range(600)]
        placed = send_partitioned(client, sent, P)
        assert len(placed) == len(sent)
        seen = 0
        for p in all_partitions(P):
            for _, fields in entries(cast("redis.Redis", client), p.submitted):
                patient_id = msgspec.json.decode(fields[b"event"])["claim"]["patient_id"]
                assert partition_of(patient_id, P) == p.index
                seen += 1
        assert seen == len(sent)
    finally:
        client.close()


def test_results_reads_every_partition(cluster: LocalCluster) -> None:
    client = cluster.client()
    try:
        partitions = all_partitions(P)
        for p in partitions:
            client.xadd(p.edited, {"result": f'{{"partition": {p.index}}}'.encode()})
        client.xadd(partitions[4].deadletter, {"dead_letter": b'{"partition": "dead-4"}'})
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        shown = subprocess.run([sys.executable, "-m", "workers.cli", "results", "--redis-url", cluster.url, "--redis-cluster",
                                "--partitions", str(P), "--from-start", "--json", "--count", str(P + 1)], cwd=ROOT, env=env,
                               capture_output=True, timeout=60, check=True).stdout.decode()
        lines = sorted(shown.splitlines())
        assert lines == sorted([f'{{"partition": {i}}}' for i in range(P)] + ['{"partition": "dead-4"}'])
    finally:
        client.close()


def _results_by_partition(client: redis.RedisCluster, partitions: list[PartitionStreams]) -> dict[int, list[Any]]:
    return {cast("int", p.index): [decode_result(f[b"result"]) for _, f in entries(cast("redis.Redis", client), p.edited)]
            for p in partitions}


@pytest.mark.fault
def test_two_workers_on_a_cluster_one_killed_every_event_answered_once_in_its_partition(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    client = cluster.client()
    partitions = all_partitions(P)
    flags = ("--redis-cluster", "--partitions", str(P), "--batch-size", "50", "--claim-idle-ms", "500")
    workers: list[WorkerProcess] = []
    try:
        doomed = WorkerProcess(tmp_path, "doomed", *flags, redis_url=cluster.url, log_level="WARNING")
        survivor = WorkerProcess(tmp_path, "survivor", *flags, redis_url=cluster.url, log_level="WARNING")
        workers += [doomed, survivor]
        doomed.wait_ready()
        survivor.wait_ready()

        sent = [event(CLEAN if i % 2 else MUE_EXCEEDED) for i in range(10_000)]
        claims_file = tmp_path / "events.jsonl"
        claims_file.write_bytes(b"\n".join(encode(e) for e in sent) + b"\n")
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        submitter = subprocess.Popen([sys.executable, "-m", "workers.cli", "submit", str(claims_file), "--redis-url", cluster.url,
                                      "--redis-cluster", "--partitions", str(P)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        # Bad entries a careless producer might write straight into partitions: each must become one dead letter there.
        bad = {p.index: cast("bytes", client.xadd(p.submitted, {"event": b"{not json"})) for p in partitions}

        def doomed_holds() -> int:
            return sum(int(c["pending"]) for p in partitions for c in pending(client, p.submitted)["consumers"]
                       if c["name"] in ("doomed", b"doomed"))

        # Kill it while it holds read-but-uncommitted entries: freeze it first (SIGSTOP) so the check cannot race
        # its next commit; if it had just committed everything, let it run on and try again.
        held = 0
        while not held:
            wait_for(lambda: doomed_holds() > 0, what="the doomed worker to hold entries")
            os.kill(doomed.process.pid, signal.SIGSTOP)
            held = doomed_holds()
            if not held:
                os.kill(doomed.process.pid, signal.SIGCONT)
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.wait_exit()
        _, stderr = submitter.communicate(timeout=60)
        assert submitter.returncode == 0, stderr.decode()
        assert f"submitted {len(sent)} events to {P} partitions" in stderr.decode()

        def finished() -> bool:
            answered = sum(client.xlen(p.edited) + client.xlen(p.deadletter) for p in partitions)
            return answered >= len(sent) + len(bad) and all(pending(client, p.submitted)["pending"] == 0 for p in partitions)

        wait_for(finished, timeout_s=60, what="every event answered after the takeover")

        by_partition = _results_by_partition(client, partitions)
        counts = Counter(r.event_id for rs in by_partition.values() for r in rs)
        assert set(counts) == {e.event_id for e in sent}
        assert max(counts.values()) == 1, [e for e, n in counts.items() if n > 1][:5]
        patient_of = {e.event_id: e.claim.patient_id for e in sent}
        for index, found in by_partition.items():
            assert all(partition_of(patient_of[r.event_id], P) == index for r in found)  # each result in its event's partition
        for p in partitions:
            letters = [decode_dead_letter(f[b"dead_letter"]) for _, f in entries(cast("redis.Redis", client), p.deadletter)]
            assert [(d.stream, d.stream_id, d.reason) for d in letters] == [(p.submitted, bad[p.index].decode(), "not-json")]
            group = next(g for g in client.xinfo_groups(p.submitted) if g["name"] in (GROUP, GROUP.encode()))
            assert int(group["pending"]) == 0
            assert int(group["lag"]) == 0

        assert survivor.process.poll() is None
        wait_for(lambda: sum(survivor.series("claimedit_redeliveries_total").values()) >= 1, what="the takeover in the metrics")
        lag_series = survivor.series("claimedit_partition_consumer_lag")
        assert set(lag_series) == {f'{{partition="{i}"}}' for i in range(P)}
        wait_for(lambda: survivor.series("claimedit_consumer_lag") == {"": 0.0}
                 and set(survivor.series("claimedit_partition_pending_entries").values()) == {0.0}, what="zero lag and pending")
        survivor.process.send_signal(signal.SIGTERM)
        assert survivor.wait_exit() == 0
        log = survivor.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
    finally:
        for worker in workers:
            worker.kill()
        client.close()
