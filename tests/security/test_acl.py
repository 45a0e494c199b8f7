"""ACL: deploy/redis/users.acl, loaded as shipped (test passwords hashed in), on a real redis-server.

The worker user does its whole job (read, commit with dead letters, reclaim a dead consumer's entries, sample
lag, leave the group) with no ACL denial at all, and nothing else; the producer user only adds to the input
stream; the reader user only reads results and dead letters.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from contracts import encode
from edits import Engine
from tests.cluster.local_cluster import LocalCluster
from tests.history_audit import HISTORY_KEY, history_keys
from tests.processes import RedisServerProcess
from tests.security.servers import PASSWORDS, ROOT, USERS_ACL, cli, render_users_acl
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, WorkerThread, event, pending_count, results, submit, tiny_reference, wait_for
from workers import connection
from workers.partitions import all_partitions
from workers.producer import send_partitioned
from workers.settings import Settings

pytestmark = pytest.mark.redis

@pytest.fixture(scope="module")
def acl_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServerProcess]:
    directory = tmp_path_factory.mktemp("redis-acl")
    with RedisServerProcess(directory, "--aclfile", str(render_users_acl(directory))) as server:
        yield server


def _client(server: RedisServerProcess, role: str) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, username=f"claimedit-{role}", password=PASSWORDS[role])


@pytest.fixture
def admin(acl_server: RedisServerProcess) -> Iterator[redis.Redis]:
    client = _client(acl_server, "admin")
    client.flushall()
    client.acl_log_reset()
    try:
        yield client
    finally:
        client.close()


def test_the_shipped_file_refuses_to_load_with_its_placeholders(tmp_path: Path) -> None:
    server = RedisServerProcess(tmp_path, "--aclfile", str(USERS_ACL))
    done = subprocess.run(server.args, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode != 0
    assert "password hash must be exactly 64" in done.stdout + done.stderr
    server.stop()


def test_unauthenticated_clients_can_do_nothing(acl_server: RedisServerProcess, admin: redis.Redis) -> None:
    anonymous = redis.Redis(host="127.0.0.1", port=acl_server.port, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()


def test_worker_user_does_its_whole_job_without_a_single_denial(acl_server: RedisServerProcess, admin: redis.Redis, tmp_path: Path) -> None:
    # Entries a consumer read and never committed: the worker must reclaim them (XPENDING, XAUTOCLAIM).
    admin.xgroup_create("claims.submitted", "claim-edit", id="0", mkstream=True)
    orphans = [event(CLEAN) for _ in range(3)]
    submit(admin, "claims.submitted", orphans)
    admin.xreadgroup("claim-edit", "crashed-worker", {"claims.submitted": ">"}, count=10)
    password_file = tmp_path / "worker-password"
    password_file.write_text(PASSWORDS["worker"] + "\n", encoding="utf-8")  # as a mounted secret usually ends
    settings = Settings(redis_url=f"redis://127.0.0.1:{acl_server.port}/0", redis_username="claimedit-worker",
                        redis_password_file=str(password_file), http_port=0, http_host="127.0.0.1", block_ms=50, batch_size=8,
                        consumer="acl-1", stats_interval_s=0.2, claim_idle_ms=100)
    fresh = [event(lines) for _ in range(4) for lines in (CLEAN, MUE_EXCEEDED)]
    with WorkerThread(settings, Engine(tiny_reference())) as running:
        submit(admin, "claims.submitted", fresh)
        admin.xadd("claims.submitted", {"event": b'{"event_id": "E-broken", "claim": '})
        wait_for(lambda: admin.xlen("claims.edited") >= len(orphans) + len(fresh) and admin.xlen("claims.deadletter") >= 1,
                 what="every result and the dead letter under the worker ACL")
        wait_for(lambda: running.worker.health.ready, what="readiness (XINFO GROUPS) under the worker ACL")
    assert running.exit_code == 0
    assert pending_count(admin) == 0
    # acl-1 left the group; crashed-worker stays until it has been idle 10 x claim_idle_ms (1 s), then the worker removes it
    # (XGROUP DELCONSUMER, also under its ACL): which of the two a run sees depends on the machine's load.
    assert [c["name"] for c in admin.xinfo_consumers("claims.submitted", "claim-edit")] in ([b"crashed-worker"], [])
    denials = [entry for entry in admin.acl_log() if entry.get("username") == "claimedit-worker"]
    assert denials == []


def test_worker_user_keeps_history_without_a_single_denial(acl_server: RedisServerProcess, admin: redis.Redis) -> None:
    """History on: MGET for the batch's patients, and the commit script's GETRANGE/SET on their values."""
    settings = Settings(redis_url=f"redis://127.0.0.1:{acl_server.port}/0", redis_username="claimedit-worker",
                        redis_password=PASSWORDS["worker"], http_port=0, http_host="127.0.0.1", block_ms=50, batch_size=1,
                        consumer="acl-history", stats_interval_s=0.2, history=True, history_key=HISTORY_KEY)
    first = event(CLEAN)
    again = msgspec.structs.replace(first, event_id=first.event_id + "-again",
                                    claim=msgspec.structs.replace(first.claim, claim_id=first.claim.claim_id + "-again"))
    with WorkerThread(settings, Engine(tiny_reference())):
        submit(admin, "claims.submitted", [first, again])
        wait_for(lambda: admin.xlen("claims.edited") >= 2, what="both results under the worker ACL")
    found = {r.event_id: r for r in results(admin)}
    assert [f.edit for f in found[again.event_id].findings if f.edit == "duplicate-service"]
    assert history_keys(admin)
    denials = [entry for entry in admin.acl_log() if entry.get("username") == "claimedit-worker"]
    assert denials == []


def _denied(action: Callable[[], Any]) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        action()


def test_worker_user_can_do_nothing_else(acl_server: RedisServerProcess, admin: redis.Redis) -> None:
    admin.set("billing:secret", "x")
    admin.xadd("claims.submitted", {"event": b"{}"})
    worker = _client(acl_server, "worker")
    try:
        assert worker.ping()
        _denied(worker.flushall)
        _denied(lambda: worker.keys("*"))
        _denied(lambda: worker.get("billing:secret"))
        _denied(lambda: worker.mget(["billing:secret"]))  # history commands only on the claims keys
        _denied(lambda: worker.set("billing:secret", "y"))
        _denied(lambda: worker.hgetall("claims.submitted:h:x"))  # and only the ones history needs: no hash command
        _denied(lambda: worker.getdel("claims.submitted:h2:x"))
        _denied(lambda: worker.xrange("claims.submitted"))  # it reads only through its consumer group
        _denied(lambda: worker.xadd("audit.log", {"x": "1"}))
        _denied(lambda: worker.delete("claims.submitted"))
        _denied(lambda: worker.config_get("*"))
        _denied(lambda: worker.eval("return 1", 0))
        _denied(worker.script_flush)
        _denied(worker.acl_list)
    finally:
        worker.close()


def test_producer_user_submits_and_cannot_read_claims_back(acl_server: RedisServerProcess, admin: redis.Redis, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_bytes(b"".join(encode(event(CLEAN)) + b"\n" for _ in range(3)))
    env = {"CLAIMEDIT_REDIS_URL": f"redis://127.0.0.1:{acl_server.port}/0", "CLAIMEDIT_REDIS_USERNAME": "claimedit-producer",
           "CLAIMEDIT_REDIS_PASSWORD": PASSWORDS["producer"]}
    sent = cli("submit", str(claims), env=env)
    assert sent.returncode == 0, sent.stderr
    assert admin.xlen("claims.submitted") == 3
    producer = _client(acl_server, "producer")
    try:
        _denied(lambda: producer.xrange("claims.submitted"))
        _denied(lambda: producer.xreadgroup("g", "c", {"claims.submitted": ">"}))
        _denied(lambda: producer.xadd("claims.edited", {"result": "{}"}))
        _denied(lambda: producer.xadd("claims.deadletter", {"dead_letter": "{}"}))
    finally:
        producer.close()


def test_reader_user_follows_results_and_writes_nothing(acl_server: RedisServerProcess, admin: redis.Redis, tmp_path: Path) -> None:
    admin.xadd("claims.edited", {"result": b'{"marker": "reader"}'})
    password_file = tmp_path / "reader-password"
    password_file.write_text(PASSWORDS["reader"], encoding="utf-8")
    shown = cli("results", "--redis-url", f"redis://127.0.0.1:{acl_server.port}/0", "--redis-username", "claimedit-reader",
                "--redis-password-file", str(password_file), "--from-start", "--count", "1", "--json")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == '{"marker": "reader"}'
    reader = _client(acl_server, "reader")
    try:
        _denied(lambda: reader.xadd("claims.edited", {"result": "{}"}))
        _denied(lambda: reader.xrange("claims.submitted"))
        _denied(lambda: reader.xtrim("claims.deadletter", maxlen=0))
    finally:
        reader.close()


CLUSTER_ADDITIONS = ("+cluster|slots", "+command")  # docs/security.md: what cluster clients add (topology, key positions)


def _rules(role: str) -> list[str]:
    line = next(text for text in USERS_ACL.read_text(encoding="utf-8").splitlines() if text.startswith(f"user claimedit-{role} "))
    return [rule for rule in line.split()[3:] if not rule.startswith("#")]  # after "user NAME on", without the hash


def test_cluster_mode_needs_only_the_documented_additions() -> None:
    assert " ".join(CLUSTER_ADDITIONS) in (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    with LocalCluster() as cluster:
        for index in range(cluster.masters):
            node = cluster.node(index)
            for role in ("worker", "producer"):
                node.execute_command("ACL", "SETUSER", f"claimedit-{role}", "on", f">{PASSWORDS[role]}", *_rules(role), *CLUSTER_ADDITIONS)
            node.close()
        common = {"redis_url": cluster.url, "redis_cluster": True, "partitions": 3}
        settings = Settings(**common, redis_username="claimedit-worker", redis_password=PASSWORDS["worker"], http_port=0,
                            http_host="127.0.0.1", block_ms=50, consumer="acl-cluster-1", stats_interval_s=0.2)
        producer = connection.sync_client(Settings(**common, redis_username="claimedit-producer", redis_password=PASSWORDS["producer"]))
        admin = cluster.client()
        events = [event(CLEAN) for _ in range(9)]
        try:
            with WorkerThread(settings, Engine(tiny_reference())):
                send_partitioned(producer, events, 3)
                wait_for(lambda: sum(admin.xlen(p.edited) for p in all_partitions(3)) == len(events),
                         what="every partition's results under the ACL users")
        finally:
            producer.close()
            admin.close()
        denials = [entry for index in range(cluster.masters) for entry in cluster.node(index).acl_log()]
        assert denials == []
