"""A redis-server with the test's own options (TLS, ACL, a password), and a `claim-edit worker` subprocess whose
whole output is kept, so a test can search it for what must never be logged."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.workers.helpers import save_tiny_reference, wait_for
from workers.embedded_redis import free_port

ROOT = Path(__file__).resolve().parents[2]
USERS_ACL = ROOT / "deploy" / "redis" / "users.acl"
PASSWORDS = {role: f"test-{role}-pw-{i}" for i, role in enumerate(("admin", "worker", "producer", "reader"))}


def render_users_acl(directory: Path) -> Path:
    """The shipped ACL file with each REPLACE_WITH_SHA256_OF_<ROLE>_PASSWORD placeholder filled in from PASSWORDS."""
    def fill(match: re.Match[str]) -> str:
        return "#" + hashlib.sha256(PASSWORDS[match.group(1).lower()].encode()).hexdigest()

    text = re.sub(r"#REPLACE_WITH_SHA256_OF_([A-Z]+)_PASSWORD", fill, USERS_ACL.read_text(encoding="utf-8"))
    path = directory / "users.acl"
    path.write_text(text, encoding="utf-8")
    return path


class RedisProcess:
    """`redis-server` on a free loopback port with `extra` options (after `config`, a config file, if given);
    `port` is where clients connect (TLS or not)."""

    def __init__(self, directory: Path, *extra: str, tls: bool = False, config: Path | None = None) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not on PATH (deploy/ci/install-system-deps.sh installs it)"
        self.port = free_port()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        port_options = ["--port", "0", "--tls-port", str(self.port)] if tls else ["--port", str(self.port)]
        self.args = [binary, *([str(config)] if config else []), *port_options, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", str(directory), "--daemonize", "no", "--loglevel", "warning", *extra]
        self.log_path = directory / "redis-server.log"
        self._log = self.log_path.open("wb")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisProcess:
        self.process = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"redis-server exited: {self.log_path.read_text(errors='replace')}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"redis-server did not listen on {self.port}: {self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> RedisProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class WorkerProcess:
    """`claim-edit worker` with the given flags and env; stdout and stderr both go to `log_path`."""

    def __init__(self, tmp_path: Path, name: str, *flags: str, env: dict[str, str] | None = None, log_level: str = "INFO") -> None:
        self.http_port = free_port()
        reference = tmp_path / "tiny.snapshot"
        if not reference.exists():
            save_tiny_reference(tmp_path)
        self.log_path = tmp_path / f"{name}.log"
        args = [sys.executable, "-m", "workers.cli", "worker", "--reference", str(reference), "--consumer", name,
                "--http-port", str(self.http_port), "--http-host", "127.0.0.1", "--block-ms", "50", "--stats-interval-s", "0.2", *flags]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMEDIT_") and k != "REDIS_URL"}
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(args, cwd=ROOT, env={**clean, "CLAIMEDIT_LOG_LEVEL": log_level, **(env or {})},
                                        stdout=self._log, stderr=subprocess.STDOUT)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=2) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            return 0, b""

    def wait_ready(self) -> WorkerProcess:
        wait_for(lambda: self.get("/readyz")[0] == 200 or self.process.poll() is not None, what="the worker to be ready")
        assert self.process.poll() is None, self.log()
        return self

    def wait_http(self) -> WorkerProcess:
        wait_for(lambda: self.get("/healthz")[0] == 200 or self.process.poll() is not None, what="the worker's HTTP port")
        assert self.process.poll() is None, self.log()
        return self

    def stop(self) -> int:
        """SIGTERM and wait; the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(30)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout_s: float = 60,
        ) -> subprocess.CompletedProcess[str]:
    """Run `claim-edit ARGS` with a clean CLAIMEDIT_* environment plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMEDIT_") and k != "REDIS_URL"}
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=ROOT, env={**clean, **(env or {})},
                          input=stdin.decode() if stdin is not None else None, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
