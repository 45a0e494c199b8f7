"""TLS: a real redis-server that only speaks TLS and demands a client certificate (mutual TLS).

The worker (its redis-py client and its FastStream broker) and the submit and results commands work over
rediss:// with the CA and client certificate; without the client certificate, or trusting another CA, they are
refused, and say so: the worker stays unready and logs the TLS error, a command exits non-zero naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from contracts import encode
from edits import Engine
from tests.processes import RedisServerProcess, WorkerProcess
from tests.security.pki import Pki, make_pki
from tests.security.servers import PASSWORDS, ROOT, cli, render_users_acl
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, WorkerThread, event, results, submit, tiny_reference, wait_for
from workers import connection
from workers.settings import Settings

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServerProcess]:
    options = ("--tls-cert-file", str(pki.server_cert), "--tls-key-file", str(pki.server_key), "--tls-ca-cert-file", str(pki.ca),
               "--tls-auth-clients", "yes")
    with RedisServerProcess(tmp_path_factory.mktemp("redis-tls"), *options, tls=True) as server:
        yield server


def _url(server: RedisServerProcess) -> str:
    return f"rediss://127.0.0.1:{server.port}/0"


def _tls_flags(server: RedisServerProcess, pki: Pki, *, ca: Path | None = None, client_cert: bool = True) -> list[str]:
    flags = ["--redis-url", _url(server), "--redis-ca-file", str(ca or pki.ca)]
    if client_cert:
        flags += ["--redis-cert-file", str(pki.client_cert), "--redis-key-file", str(pki.client_key)]
    return flags


@pytest.fixture
def admin(tls_server: RedisServerProcess, pki: Pki) -> Iterator[redis.Redis]:
    """A mutual-TLS client built by workers.connection itself, on an emptied database."""
    client = connection.sync_client(Settings(redis_url=_url(tls_server), redis_ca_file=str(pki.ca), redis_cert_file=str(pki.client_cert),
                                             redis_key_file=str(pki.client_key)))
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


def test_worker_over_mutual_tls_publishes_every_result(admin: redis.Redis, tls_server: RedisServerProcess, pki: Pki) -> None:
    settings = Settings(redis_url=_url(tls_server), redis_ca_file=str(pki.ca), redis_cert_file=str(pki.client_cert),
                        redis_key_file=str(pki.client_key), http_port=0, http_host="127.0.0.1", block_ms=50, batch_size=8,
                        consumer="tls-1", stats_interval_s=0.2)
    events = [event(lines) for _ in range(6) for lines in (CLEAN, MUE_EXCEEDED)]
    with WorkerThread(settings, Engine(tiny_reference())) as running:
        submit(admin, "claims.submitted", events)
        wait_for(lambda: admin.xlen("claims.edited") >= len(events), what="results over TLS")
        assert running.worker.health.ready
    assert sorted(r.event_id for r in results(admin)) == sorted(e.event_id for e in events)


def test_submit_results_and_replay_commands_over_mutual_tls(
    admin: redis.Redis, tls_server: RedisServerProcess, pki: Pki, tmp_path: Path
) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_bytes(b"".join(encode(event(CLEAN)) + b"\n" for _ in range(3)))
    sent = cli("submit", str(claims), "--stream", "tls.submitted", *_tls_flags(tls_server, pki))
    assert sent.returncode == 0, sent.stderr
    assert admin.xlen("tls.submitted") == 3
    admin.xadd("tls.edited", {"result": b'{"marker": "over-tls"}'})
    shown = cli("results", "--result-stream", "tls.edited", "--deadletter-stream", "tls.deadletter", "--from-start", "--count", "1",
                "--json", *_tls_flags(tls_server, pki))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {"marker": "over-tls"}
    replayed = cli("replay", "--stream", "tls.submitted", "--against", "--format", "json", *_tls_flags(tls_server, pki))
    assert replayed.returncode == 0, replayed.stderr  # the same engine on both sides: nothing changed
    assert json.loads(replayed.stdout)["summary"]["totals"]["events"] == 3  # read back over TLS


def _refused_worker(tmp_path: Path, name: str, flags: list[str]) -> str:
    """Start a worker that cannot complete the TLS handshake; assert it stays unready; its log."""
    worker = WorkerProcess(tmp_path, name, *flags)
    try:
        worker.wait_http()
        wait_for(lambda: "redis unreachable" in worker.log() or worker.process.poll() is not None, what="the worker to report the failure")
        status, body = worker.get("/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["redis"] is False
        assert worker.stop() == 0  # it was waiting for Redis, not stuck
        return worker.log()
    finally:
        worker.kill()


def test_worker_without_a_client_certificate_is_refused(tls_server: RedisServerProcess, pki: Pki, tmp_path: Path) -> None:
    log = _refused_worker(tmp_path, "no-client-cert", _tls_flags(tls_server, pki, client_cert=False))
    assert "TLS handshake with Redis failed" in log, log


def test_worker_trusting_the_wrong_ca_is_refused(tls_server: RedisServerProcess, pki: Pki, tmp_path: Path) -> None:
    log = _refused_worker(tmp_path, "wrong-ca", _tls_flags(tls_server, pki, ca=pki.other_ca))
    assert "CERTIFICATE_VERIFY_FAILED" in log, log


def test_submit_trusting_the_wrong_ca_exits_1_naming_the_tls_failure(tls_server: RedisServerProcess, pki: Pki, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_bytes(encode(event(CLEAN)) + b"\n")
    sent = cli("submit", str(claims), *_tls_flags(tls_server, pki, ca=pki.other_ca))
    assert sent.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in sent.stderr, sent.stderr


def test_plain_url_with_tls_files_is_a_usage_error(pki: Pki, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_bytes(encode(event(CLEAN)) + b"\n")
    sent = cli("submit", str(claims), "--redis-url", "redis://127.0.0.1:1", "--redis-ca-file", str(pki.ca))
    assert sent.returncode == 2
    assert "rediss://" in sent.stderr


def test_shipped_redis_conf_and_users_serve_the_worker_and_producer_over_mutual_tls(pki: Pki, tmp_path: Path) -> None:
    """deploy/redis/redis-tls.conf with deploy/redis/users.acl, only the paths pointed at the test's files."""
    acl = render_users_acl(tmp_path)
    conf = (ROOT / "deploy" / "redis" / "redis-tls.conf").read_text(encoding="utf-8")
    for shipped, local in (("/etc/redis/tls/server.crt", pki.server_cert), ("/etc/redis/tls/server.key", pki.server_key),
                           ("/etc/redis/tls/ca.crt", pki.ca), ("/etc/redis/users.acl", acl)):
        assert shipped in conf
        conf = conf.replace(shipped, str(local))
    config = tmp_path / "redis-tls.conf"
    config.write_text(conf, encoding="utf-8")
    with RedisServerProcess(tmp_path / "redis", config_file=config, tls=True) as server:
        tls = {"redis_url": _url(server), "redis_ca_file": str(pki.ca), "redis_cert_file": str(pki.client_cert),
               "redis_key_file": str(pki.client_key)}
        producer = connection.sync_client(Settings(**tls, redis_username="claimedit-producer", redis_password=PASSWORDS["producer"]))
        worker = connection.sync_client(Settings(**tls, redis_username="claimedit-worker", redis_password=PASSWORDS["worker"]))
        try:
            worker.xgroup_create("claims.submitted", "claim-edit", id="0", mkstream=True)
            producer.xadd("claims.submitted", {"event": encode(event(CLEAN))})
            read = worker.xreadgroup("claim-edit", "tls-acl-1", {"claims.submitted": ">"}, count=10)
            assert len(read[0][1]) == 1
            with pytest.raises(redis.exceptions.NoPermissionError):
                producer.xrange("claims.submitted")
        finally:
            producer.close()
            worker.close()
        plain = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))  # no TLS: refused
        with pytest.raises(redis.ConnectionError):
            plain.ping()
        plain.close()
