"""Fault-injection helpers: a redis-server the test owns (kill it, restart it on the same port and data directory),
worker processes (`claim-edit worker` subprocesses to SIGKILL, SIGSTOP, SIGTERM), and the closing audit every
scenario ends with: each input entry answered by exactly one result or one dead letter, no event_id with two
results, nothing pending.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis
from prometheus_client.parser import text_string_to_metric_families

from contracts import ClaimEdited, DeadLetter
from tests.workers.helpers import dead_letters, results, save_tiny_reference, wait_for
from workers.embedded_redis import find_server_binary, free_port

ROOT = Path(__file__).resolve().parents[2]
GROUP = "claim-edit"


@dataclass(frozen=True)
class Streams:
    submitted: str = "claims.submitted"
    edited: str = "claims.edited"
    deadletter: str = "claims.deadletter"

    def flags(self) -> list[str]:
        return ["--stream", self.submitted, "--result-stream", self.edited, "--deadletter-stream", self.deadletter]


DEFAULT_STREAMS = Streams()


class RedisServer:
    """A redis-server on a free loopback port with its own data directory; `kill` and `start` again keep both."""

    def __init__(self, directory: Path, *config: str) -> None:
        self.binary = find_server_binary()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> RedisServer:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        log = (self.directory / f"redis-{self.starts}.log").open("wb")
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory), "--save", "",
                "--daemonize", "no", "--loglevel", "warning", *self.config]
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        client = self.client(socket_connect_timeout=0.2)
        try:
            # LOADING (replaying the AOF) counts as not ready: redis-py raises BusyLoadingError, a ConnectionError.
            wait_for(lambda: self._answers(client), timeout_s=15, what=f"redis-server on port {self.port}")
        finally:
            client.close()
        return self

    def _answers(self, client: redis.Redis) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, (self.directory / f"redis-{self.starts}.log").read_text()
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def client(self, **options: float) -> redis.Redis:
        return redis.Redis.from_url(self.url, **options)

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to clients; what survives is what the AOF already holds."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class WorkerProcess:
    """`python -m workers.cli worker` against `redis_url`, with the tiny reference snapshot; logs to a file."""

    def __init__(self, redis_url: str, tmp_path: Path, consumer: str, *extra: str, streams: Streams = DEFAULT_STREAMS) -> None:
        self.consumer = consumer
        self.port = free_port()
        self.log_path = tmp_path / f"{consumer}.log"
        reference = tmp_path / "tiny.snapshot"
        if not reference.exists():
            save_tiny_reference(tmp_path)
        args = [sys.executable, "-m", "workers.cli", "worker", "--redis-url", redis_url, "--reference", str(reference),
                "--consumer", consumer, "--http-port", str(self.port), "--http-host", "127.0.0.1", "--block-ms", "50",
                "--stats-interval-s", "0.2", "--shutdown-grace-s", "5", *streams.flags(), *extra]
        env = {**os.environ, "CLAIMEDIT_LOG_LEVEL": "INFO"}
        for name in [name for name in env if name.startswith("CLAIMEDIT_") and name != "CLAIMEDIT_LOG_LEVEL"]:
            del env[name]  # only the flags above configure it
        env.pop("REDIS_URL", None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            return 0, b""

    def wait_ready(self, timeout_s: float = 30) -> WorkerProcess:
        wait_for(lambda: self.get("/readyz")[0] == 200 or self.process.poll() is not None, timeout_s=timeout_s,
                 what=f"{self.consumer} to be ready")
        assert self.process.poll() is None, self.log()
        return self

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of `name` whose labels include `labels`."""
        status, body = self.get("/metrics")
        assert status == 200, f"{self.consumer} /metrics answered {status}"
        return sum(
            sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def sigkill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(10) == -signal.SIGKILL

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self, timeout_s: float = 30) -> int:
        """SIGTERM and the exit status: 0 is a clean shutdown (batch in hand committed, consumer left the group)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout_s)

    def cleanup(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)  # a stopped process cannot die of SIGKILL until continued
            self.process.kill()
            self.process.wait(10)


def answered(client: redis.Redis, streams: Streams = DEFAULT_STREAMS) -> int:
    return int(client.xlen(streams.edited)) + int(client.xlen(streams.deadletter))


def pending(client: redis.Redis, streams: Streams = DEFAULT_STREAMS) -> int:
    try:
        return int(client.xpending(streams.submitted, GROUP)["pending"])
    except redis.ResponseError:  # no group yet
        return 0


def pending_for(client: redis.Redis, consumer: str, streams: Streams = DEFAULT_STREAMS) -> int:
    rows = client.xpending_range(streams.submitted, GROUP, min="-", max="+", count=100_000, consumername=consumer)
    return len(rows)


def wait_all_answered(client: redis.Redis, expected: int, streams: Streams = DEFAULT_STREAMS, timeout_s: float = 40) -> None:
    wait_for(lambda: answered(client, streams) >= expected and pending(client, streams) == 0, timeout_s=timeout_s,
             what=f"{expected} answers and nothing pending (have {answered(client, streams)}, pending {pending(client, streams)})")


@dataclass
class Audit:
    results: dict[str, ClaimEdited]  # by input entry id (source_stream_id)
    dead_letters: dict[str, DeadLetter]  # by input entry id (stream_id)

    def results_for(self, event_id: str) -> list[ClaimEdited]:
        return [r for r in self.results.values() if r.event_id == event_id]

    def dead_letters_for(self, event_id: str) -> list[DeadLetter]:
        return [d for d in self.dead_letters.values() if d.event_id == event_id]


def audit(client: redis.Redis, entry_ids: list[bytes], streams: Streams = DEFAULT_STREAMS, *, one_result_per_event: bool = True) -> Audit:
    """Assert the invariants every scenario must keep, and return the answers by input entry id.

    `one_result_per_event=False` only for a worker run with the idempotency window off (--dedup-window-s 0).
    """
    found_results = results(client, streams.edited)
    found_letters = dead_letters(client, streams.deadletter)
    per_entry = Counter([r.source_stream_id for r in found_results] + [d.stream_id for d in found_letters])
    sent = {i.decode() for i in entry_ids}
    assert len(sent) == len(entry_ids)
    missing = sent - set(per_entry)
    assert not missing, f"{len(missing)} entries have no answer, e.g. {sorted(missing)[:3]}"
    extra = set(per_entry) - sent
    assert not extra, f"answers for entries never sent: {list(extra)[:3]}"
    twice = [entry for entry, count in per_entry.items() if count > 1]
    assert not twice, f"{len(twice)} entries answered more than once, e.g. {twice[:3]}"
    if one_result_per_event:
        per_event = Counter(r.event_id for r in found_results)
        repeated = [event_id for event_id, count in per_event.items() if count > 1]
        assert not repeated, f"{len(repeated)} event_ids have two results, e.g. {repeated[:3]}"
    assert pending(client, streams) == 0
    return Audit(results={r.source_stream_id or "": r for r in found_results}, dead_letters={d.stream_id: d for d in found_letters})
