"""Real processes a test owns: a `claim-edit worker` subprocess (`WorkerProcess`) and a `redis-server` on a free loopback
port with the test's own options (`RedisServerProcess`). Both log to files in the test's directory, so a failure shows
what the process said, and a test can search a worker's whole output for what must never be logged."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.workers.helpers import save_tiny_reference, wait_for
from workers.embedded_redis import find_server_binary, free_port

ROOT = Path(__file__).resolve().parents[1]
REDIS_START_TIMEOUT_S = 15.0


def clean_environment(**env: str) -> dict[str, str]:
    """This process' environment without CLAIMEDIT_* and REDIS_URL (so only a command's flags configure it), plus `env`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CLAIMEDIT_") and k != "REDIS_URL"}, **env}


class WorkerProcess:
    """`python -m workers.cli worker` with the tiny reference snapshot, HTTP on a free loopback port, and `flags`;
    stdout and stderr both go to `log_path`. The environment's CLAIMEDIT_* and REDIS_URL are cleared (only the flags
    configure it); `env` is set on top."""

    def __init__(self, tmp_path: Path, consumer: str, *flags: str, redis_url: str | None = None, env: Mapping[str, str] | None = None,
                 log_level: str = "INFO") -> None:
        self.consumer = consumer
        self.port = free_port()
        self.log_path = tmp_path / f"{consumer}.log"
        reference = tmp_path / "tiny.snapshot"
        if not reference.exists():
            save_tiny_reference(tmp_path)
        url = ["--redis-url", redis_url] if redis_url is not None else []
        args = [sys.executable, "-m", "workers.cli", "worker", *url, "--reference", str(reference), "--consumer", consumer,
                "--http-port", str(self.port), "--http-host", "127.0.0.1", "--block-ms", "50", "--stats-interval-s", "0.2", *flags]
        environment = clean_environment(CLAIMEDIT_LOG_LEVEL=log_level, **(env or {}))
        with self.log_path.open("wb") as log:  # the child has its own copy of the descriptor
            self.process = subprocess.Popen(args, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> tuple[int, bytes]:
        """Status and body of GET `path` on the worker's HTTP port; (0, b"") while nothing listens."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            return 0, b""

    def _wait_answer(self, path: str, timeout_s: float, what: str) -> WorkerProcess:
        wait_for(lambda: self.get(path)[0] == 200 or self.process.poll() is not None, timeout_s=timeout_s, what=f"{self.consumer} {what}")
        assert self.process.poll() is None, self.log()
        return self

    def wait_ready(self, timeout_s: float = 30) -> WorkerProcess:
        return self._wait_answer("/readyz", timeout_s, "to be ready")

    def wait_http(self, timeout_s: float = 30) -> WorkerProcess:
        """Until /healthz answers: the worker is up, whether or not Redis is reachable."""
        return self._wait_answer("/healthz", timeout_s, "to serve HTTP")

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

    def series(self, name: str) -> dict[str, float]:
        """Samples of one series from /metrics: label text (or "") -> value; empty while /metrics does not answer."""
        _, body = self.get("/metrics")
        found = {}
        for line in body.decode().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                series, value = line.rsplit(" ", 1)
                found[series[len(name):]] = float(value)
        return found

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def pause(self) -> None:
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def sigkill(self) -> None:
        """SIGKILL now, as a crash would: nothing in hand is committed."""
        self.signal(signal.SIGKILL)
        assert self.process.wait(10) == -signal.SIGKILL

    def wait_exit(self, timeout_s: float = 30) -> int:
        return self.process.wait(timeout_s)

    def stop(self, timeout_s: float = 30) -> int:
        """SIGTERM and the exit status: 0 is a clean shutdown (batch in hand committed, consumer left the group)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout_s)

    def kill(self) -> None:
        """Reap it whatever its state: the cleanup every test does at the end."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.signal(signal.SIGCONT)  # a stopped process cannot die of SIGKILL until continued
            self.process.kill()
            self.process.wait(10)


@contextlib.contextmanager
def reaped() -> Iterator[list[WorkerProcess]]:
    """A list to append every WorkerProcess started to; whatever is still running at the end is killed."""
    started: list[WorkerProcess] = []
    try:
        yield started
    finally:
        for worker in started:
            worker.kill()


class RedisServerProcess:
    """`redis-server` on a free loopback port (or `port`) with its own data directory, no RDB snapshots and no AOF unless
    `args` say otherwise (they come last, so they win; `config_file`, if given, comes first). With `tls`, the port takes
    TLS only. `start()` returns once the port accepts connections (with `ping`, once PING answers: after a restart with an
    AOF that is when the replay is done); `kill()` and `start()` again keep the port and the directory."""

    def __init__(self, directory: Path, *args: str, tls: bool = False, config_file: Path | None = None, ping: bool = False,
                 port: int | None = None, binary: str | None = None) -> None:
        self.binary = binary or find_server_binary()
        self.port = port or free_port()
        self.url = f"{'rediss' if tls else 'redis'}://127.0.0.1:{self.port}/0"
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        port_args = ["--port", "0", "--tls-port", str(self.port)] if tls else ["--port", str(self.port)]
        self.args = [self.binary, *([str(config_file)] if config_file else []), *port_args, "--bind", "127.0.0.1", "--dir", str(directory),
                     "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning", *args]
        self.ping = ping
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        """The current (or last) run's log; each start writes a new one."""
        return self.directory / f"redis-{self.starts}.log"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **options: float) -> redis.Redis:
        return redis.Redis.from_url(self.url, **options)

    def start(self, timeout_s: float = REDIS_START_TIMEOUT_S) -> RedisServerProcess:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(self._ready, timeout_s=timeout_s, what=f"redis-server on port {self.port}")
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, f"redis-server exited with {self.process.returncode}: {self.log()}"
        if self.ping:
            with self.client(socket_connect_timeout=0.2) as client:
                try:
                    return bool(client.ping())
                except redis.ConnectionError:  # LOADING (replaying the AOF) is a BusyLoadingError, a ConnectionError
                    return False
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to clients; what survives is what the AOF already holds."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def terminate(self) -> None:
        """SIGTERM without waiting: stopping several servers at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self, timeout_s: float = 10) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout_s`."""
        self.terminate()
        if self.process is not None:
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> RedisServerProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
