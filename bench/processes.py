"""The processes under test: `claim-edit worker` and the naive FastStream baseline, each its own OS process.

Their memory and CPU come from /proc (Linux), read while they run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

STOP_TIMEOUT_S = 20.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def worker_command(redis_url: str, consumer: str, reference: Path, batch_size: int = 500, extra: tuple[str, ...] = ()) -> list[str]:
    return [
        sys.executable, "-m", "workers.cli", "worker",
        "--redis-url", redis_url,
        "--consumer", consumer,
        "--reference", str(reference),
        "--batch-size", str(batch_size),
        "--http-port", "0",
        "--http-host", "127.0.0.1",
        "--log-level", "WARNING",
        *extra,
    ]  # fmt: skip


def naive_command(redis_url: str, consumer: str, reference: Path, *, no_edit: bool = False) -> list[str]:
    command = [sys.executable, "-m", "bench.naive_faststream", "--redis-url", redis_url, "--consumer", consumer,
               "--reference", str(reference)]
    return [*command, "--no-edit"] if no_edit else command


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


class Process:
    """A started process with its output kept in a file (so a full pipe never blocks it)."""

    def __init__(self, name: str, command: list[str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        self.popen = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU seconds so far (utime and stime of /proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory_mb(self) -> dict[str, float]:
        """Resident set now (VmRSS) and at its peak (VmHWM), in MiB."""
        values: dict[str, float] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(rest.split()[0]) / 1024
        return values

    def listening_ports(self) -> list[int]:
        """TCP ports this process listens on (its sockets in /proc/net/tcp in state LISTEN): the worker's --http-port 0."""
        inodes = _socket_inodes(self.pid)
        ports = []
        for line in Path(f"/proc/{self.pid}/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
        return sorted(ports)

    def tail(self, lines: int = 20) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> int:
        """SIGTERM, wait; SIGKILL if it does not stop in time. The exit status."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()
        return self.popen.returncode
