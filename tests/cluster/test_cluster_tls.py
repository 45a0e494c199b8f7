"""Partitioned mode on a TLS-only Redis Cluster: the cluster clients and FastStream's RedisClusterBroker verify the servers.

FastStream's RedisClusterBroker ignores an `ssl.SSLContext`, so `workers.connection.broker` hands it `ssl_*` options;
a worker that edits claims on a cluster that only speaks TLS proves the broker really used them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from edits import Engine
from tests.cluster.local_cluster import LocalCluster
from tests.security.pki import Pki, make_pki
from tests.workers.helpers import CLEAN, WorkerThread, event, tiny_reference, wait_for
from workers import connection
from workers.partitions import all_partitions
from workers.producer import send_partitioned
from workers.settings import Settings

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_cluster(pki: Pki) -> Iterator[LocalCluster]:
    with LocalCluster(masters=3, tls=pki) as cluster:
        yield cluster


def _settings(cluster: LocalCluster, ca: Path, **extra: object) -> Settings:
    return Settings(redis_url=cluster.url, redis_cluster=True, partitions=3, redis_ca_file=str(ca), **extra)  # type: ignore[arg-type]


def test_worker_and_producer_edit_claims_over_tls_on_a_cluster(tls_cluster: LocalCluster, pki: Pki) -> None:
    assert tls_cluster.url.startswith("rediss://")
    settings = _settings(tls_cluster, pki.ca, http_port=0, http_host="127.0.0.1", block_ms=50, consumer="tls-1", stats_interval_s=0.2)
    producer = connection.sync_client(settings)
    admin = tls_cluster.client()
    sent = [event(CLEAN) for _ in range(30)]
    try:
        with WorkerThread(settings, Engine(tiny_reference())):
            send_partitioned(producer, sent, 3)
            wait_for(lambda: sum(admin.xlen(p.edited) for p in all_partitions(3)) == len(sent), what="every result over TLS")
    finally:
        producer.close()
        admin.close()


def test_a_cluster_signed_by_another_ca_is_refused(tls_cluster: LocalCluster, pki: Pki) -> None:
    wrong = _settings(tls_cluster, pki.other_ca)
    with pytest.raises((redis.RedisError, redis.exceptions.RedisClusterException), match="CERTIFICATE_VERIFY_FAILED"):
        connection.sync_client(wrong).ping()

    async def broker_ping() -> None:
        broker = connection.broker(wrong)
        try:
            client = await broker.connect()
            await client.ping()
        finally:
            await broker.stop()

    with pytest.raises((redis.RedisError, redis.exceptions.RedisClusterException), match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(broker_ping())
