"""Secrets: a Redis password, given in the URL, the environment or a file, never shows in logs, /metrics or
command output, even at DEBUG and even when the connection fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from contracts import encode
from tests.processes import RedisServerProcess, WorkerProcess
from tests.security.servers import cli
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, event, submit, wait_for
from workers.embedded_redis import free_port

pytestmark = pytest.mark.redis

SECRET = "s3cret-Zq7-never-logged"
WRONG = "wr0ng-Kx9-never-logged"


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServerProcess]:
    with RedisServerProcess(tmp_path_factory.mktemp("redis-pass"), "--requirepass", SECRET) as server:
        yield server


@pytest.fixture
def admin(protected: RedisServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=protected.port, password=SECRET)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


def _assert_secret_free(*texts: str | bytes) -> None:
    for text in texts:
        data = text.decode(errors="replace") if isinstance(text, bytes) else text
        assert SECRET not in data
        assert WRONG not in data


@pytest.mark.parametrize("how", ["url", "env", "file"])
def test_worker_never_logs_or_exports_the_password(how: str, protected: RedisServerProcess, admin: redis.Redis, tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{protected.port}/0"
    flags: list[str] = []
    env: dict[str, str] = {}
    if how == "url":
        flags = ["--redis-url", f"redis://:{SECRET}@127.0.0.1:{protected.port}/0"]
    elif how == "env":
        flags, env = ["--redis-url", url], {"CLAIMEDIT_REDIS_PASSWORD": SECRET}
    else:
        secret_file = tmp_path / "password"
        secret_file.write_text(SECRET + "\n", encoding="utf-8")
        flags, env = ["--redis-url", url], {"CLAIMEDIT_REDIS_PASSWORD_FILE": str(secret_file)}
    worker = WorkerProcess(tmp_path, f"secret-{how}", *flags, env=env, log_level="DEBUG")
    try:
        worker.wait_ready()
        events = [event(CLEAN), event(MUE_EXCEEDED)]
        submit(admin, "claims.submitted", events)
        admin.xadd("claims.submitted", {"event": b"not json"})
        wait_for(lambda: admin.xlen("claims.edited") == 2 and admin.xlen("claims.deadletter") == 1, what="results")
        _, metrics = worker.get("/metrics")
        _, ready = worker.get("/readyz")
        assert b"claimedit_" in metrics
        assert worker.stop() == 0
        log = worker.log()
        assert "worker stopped" in log  # the whole life was logged, at DEBUG
        _assert_secret_free(log, metrics, ready)
    finally:
        worker.kill()


def test_a_rejected_password_is_not_logged_either(protected: RedisServerProcess, tmp_path: Path) -> None:
    worker = WorkerProcess(tmp_path, "wrong-password", "--redis-url", f"redis://:{WRONG}@127.0.0.1:{protected.port}/0", log_level="DEBUG")
    try:
        worker.wait_http()
        wait_for(lambda: "invalid" in worker.log().lower() or worker.process.poll() is not None, what="the authentication failure")
        status, body = worker.get("/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["redis"] is False
        worker.stop()
        _assert_secret_free(worker.log(), body)
    finally:
        worker.kill()


def test_commands_never_print_the_password(tmp_path: Path, protected: RedisServerProcess) -> None:
    closed = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"  # nothing listens there: every command fails and says why
    claims = tmp_path / "claims.jsonl"
    claims.write_bytes(encode(event(CLEAN)) + b"\n")
    submitted = cli("submit", str(claims), "--redis-url", closed)
    assert submitted.returncode == 1
    followed = cli("results", "--redis-url", closed, "--count", "1")
    assert followed.returncode == 1
    replayed = cli("replay", "--stream", "no.such.stream", "--against", "--redis-url", f"redis://:{SECRET}@127.0.0.1:{protected.port}/0")
    assert replayed.returncode == 2
    assert "redis://:***@127.0.0.1" in replayed.stderr  # it names the server, with the password masked
    for done in (submitted, followed, replayed):
        assert done.stderr.strip()
        _assert_secret_free(done.stdout, done.stderr)


def test_demo_on_a_password_protected_server_masks_it(protected: RedisServerProcess) -> None:
    shown = cli("demo", env={"CLAIMEDIT_REDIS_URL": f"redis://:{SECRET}@127.0.0.1:{protected.port}/0"}, timeout_s=120)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "using the Redis at redis://:***@127.0.0.1" in shown.stdout
    _assert_secret_free(shown.stdout, shown.stderr)
