"""Paths of deploy/ and the external tools its tests need, with a clear failure when one is missing."""

from __future__ import annotations

import dataclasses
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from workers.settings import Settings, env_name

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yaml"
RULES_TEST = DEPLOY / "prometheus" / "rules.test.yaml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "claim-edit.json"
INSTALL_SCRIPT = DEPLOY / "ci" / "install-system-deps.sh"

# Every env var the worker reads: CLAIMEDIT_<setting> for each setting, plus plain REDIS_URL.
WORKER_ENV = frozenset({env_name(field.name) for field in dataclasses.fields(Settings)} | {"REDIS_URL"})


def require_tool(name: str) -> str:
    """Path of `name`, or fail (never skip) saying how to get it."""
    found = shutil.which(name)
    if found is None:
        hint = {
            "promtool": "install Debian's `prometheus` package: `sudo bash deploy/ci/install-system-deps.sh`",
            "prometheus": "install Debian's `prometheus` package: `sudo bash deploy/ci/install-system-deps.sh`",
            "kubectl": "install kubectl (its built-in `kubectl kustomize` renders the manifests)",
        }.get(name, "install it")
        pytest.fail(f"{name} is not on PATH; {hint}", pytrace=False)
    return found


def run(args: list[str], *, cwd: Path = REPO, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_METRIC = re.compile(r"\b(claimedit_[a-z0-9_]+)\b")
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def metric_names_in(expr: str) -> set[str]:
    """The claimedit_* series names a PromQL expression reads (Grafana variables left as they are)."""
    return set(_METRIC.findall(expr))


def base_metric(series: str) -> str:
    """`x_bucket` / `x_count` / `x_sum` -> `x` (the histogram's family name)."""
    for suffix in _HISTOGRAM_SUFFIXES:
        if series.endswith(suffix):
            return series[: -len(suffix)]
    return series
