"""The machine a run measured: CPU model, cores, Python, Redis, library versions."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import redis

LIBRARIES = ("msgspec", "faststream", "redis", "claim-edit")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def describe(redis_url: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "libraries": {name: _version(name) for name in LIBRARIES},
    }
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        try:
            server = client.info("server")
        finally:
            client.close()
        name = "valkey" if "valkey_version" in server else "redis"
        info["redis"] = f"{name} {server.get('valkey_version') or server.get('redis_version')}"
    return info


def busy_cpu_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (user, nice, system, irq, softirq, steal of /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process (the benchmark driver: producer, poller)."""
    times = os.times()
    return times.user + times.system
