"""`claim-edit replay --redis-cluster --partitions 3` of a run a real worker recorded on the three-master cluster."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import cast

import pytest
import redis

from tests.cluster.local_cluster import LocalCluster
from tests.replay.helpers import changed_mue, replay
from tests.replay.partitioned_run import EXTRA, P, record
from workers.partitions import all_partitions

pytestmark = pytest.mark.redis


def test_replay_reads_every_partition_on_its_master(capsys: pytest.CaptureFixture[str], cluster: LocalCluster, tmp_path: Path) -> None:
    client = cluster.client()
    try:
        recording = record(cast("redis.Redis", client), cluster.url, redis_cluster=True)
        owners = Counter(client.nodes_manager.get_node_from_slot(client.keyslot(p.submitted)).port for p in all_partitions(P))  # type: ignore[union-attr]
        assert sorted(owners.values()) == [1, 1, 1]  # one partition per master: the replay has to visit all three
    finally:
        client.close()
    common = ("--partitions", str(P), "--baseline-partitions", "--redis-cluster", "--redis-url", cluster.url, "--format", "json")
    same = replay(capsys, *common)
    assert same.status == 0, same.err
    totals = same.json()["summary"]["totals"]
    assert totals == totals | {"events": recording.events, "unchanged": recording.events, "without_baseline": 0}
    changed = replay(capsys, *common, "--mue", changed_mue(tmp_path / "mue.csv", value=3))
    assert changed.status == 1, changed.err
    assert sorted(c["event_id"] for c in changed.json()["changed"]) == sorted(["E1-C-three-units", "E2-C-three-units", f"E1-{EXTRA}"])
    without_cluster_flag = replay(capsys, *common[:3], "--redis-url", cluster.url)
    assert without_cluster_flag.status == 2  # a plain client gets MOVED for the partitions on other masters
    assert "MOVED" in without_cluster_flag.err
    assert "give --redis-cluster" in without_cluster_flag.err
