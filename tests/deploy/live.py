"""Real processes for the deploy tests: a `claim-edit worker` and a Prometheus server, both on loopback."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import Claim, ClaimSubmitted, ServiceLine, encode
from tests.deploy.tools import REPO, free_port, require_tool

STARTUP_DEADLINE_S = 60.0


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_until_ok(url: str, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before {url} answered:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if http_get(url, timeout=1.0)[0] == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    pytest.fail(f"{what}: {url} did not answer 200 within {STARTUP_DEADLINE_S:.0f} s:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Worker:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def metrics_text(self) -> str:
        status, body = http_get(f"http://{self.address}/metrics")
        assert status == 200
        return body.decode()


@contextmanager
def running_worker(redis_url: str, tmp_path: Path, **env: str) -> Iterator[Worker]:
    """`claim-edit worker` as a subprocess, ready (its /readyz answered 200)."""
    port = free_port()
    log = tmp_path / f"worker-{port}.log"
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CLAIMEDIT_HTTP_HOST": "127.0.0.1",
        "CLAIMEDIT_HTTP_PORT": str(port),
        "CLAIMEDIT_CONSUMER": f"deploy-test-{port}",
        "CLAIMEDIT_STATS_INTERVAL_S": "0.5",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker"], cwd=REPO, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_ok(f"http://127.0.0.1:{port}/readyz", process, log, "claim-edit worker")
        yield Worker(port=port, process=process)
    finally:
        _stop(process)


@dataclass(frozen=True)
class Prometheus:
    url: str

    def query(self, promql: str) -> dict[str, Any]:
        status, body = http_get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        answer: dict[str, Any] = json.loads(body)
        assert status in (200, 400, 422), f"query {promql!r}: HTTP {status}"
        return answer

    def scalar(self, promql: str) -> float | None:
        """The single value of an instant query, or None when it returned no series."""
        answer = self.query(promql)
        assert answer["status"] == "success", answer
        result = answer["data"]["result"]
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def get(self, path: str) -> dict[str, Any]:
        status, body = http_get(f"{self.url}{path}")
        assert status == 200, f"{path}: HTTP {status}"
        answer: dict[str, Any] = json.loads(body)
        return answer


@contextmanager
def running_prometheus(tmp_path: Path, targets: list[str], rule_files: list[Path], scrape_interval: str = "1s") -> Iterator[Prometheus]:
    """Debian's `prometheus` on a free loopback port, scraping `targets` as job claim-edit."""
    binary = require_tool("prometheus")
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [{"job_name": "claim-edit", "static_configs": [{"targets": targets}]}],
    }
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    log = tmp_path / "prometheus.log"
    args = [
        binary,
        f"--config.file={config_path}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        # Debian's build serves its console templates from /etc/prometheus; none are needed here.
        f"--web.console.templates={tmp_path}",
        f"--web.console.libraries={tmp_path}",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_ok(f"{url}/-/ready", process, log, "prometheus")
        yield Prometheus(url=url)
    finally:
        _stop(process)


def submitted_claims(count: int) -> list[bytes]:
    """`count` valid claim.submitted events, a mix that passes and that an edit denies."""
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    events = []
    for index in range(count):
        lines = [ServiceLine(line_number=1, code="64628", units=1, date_of_service=today)]
        if index % 3 == 0:  # the add-on alone: no primary on the claim
            lines = [ServiceLine(line_number=1, code="64629", units=1, date_of_service=today)]
        claim = Claim(claim_id=f"deploy-{index}", patient_id=f"p-{index}", billing_provider_npi="1234567893", lines=tuple(lines))
        events.append(encode(ClaimSubmitted(event_id=f"deploy-e2e-{index}", occurred_at=now, claim=claim)))
    return events
