"""deploy/compose.yaml, checked without a Docker engine: it parses, and its parts point at each other correctly."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import pytest

from tests.deploy.tools import DEPLOY, REPO, WORKER_ENV, load_yaml

COMPOSE = load_yaml(DEPLOY / "compose.yaml")
SERVICES: dict[str, Any] = COMPOSE["services"]
PROMETHEUS_CONFIG = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")


def bind_mounts(service: str) -> dict[str, str]:
    """container path -> host path (relative to deploy/) for the service's bind mounts."""
    mounts = {}
    for volume in SERVICES[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = source
    return mounts


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"expected a duration like '30s', got {duration!r}"
    return float(match.group(1))


def test_the_four_services_are_there() -> None:
    assert set(SERVICES) == {"redis", "worker", "prometheus", "grafana"}
    assert set(COMPOSE["volumes"]) >= {"redis-data"}


def test_redis_keeps_an_append_only_file_on_a_volume() -> None:
    redis = SERVICES["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    assert redis["healthcheck"]["test"][-1] == "ping"


def test_two_workers_built_from_the_dockerfile_after_redis_is_healthy() -> None:
    worker = SERVICES["worker"]
    assert worker["deploy"]["replicas"] == 2
    context = (DEPLOY / worker["build"]["context"]).resolve()
    assert context == REPO
    assert (context / worker["build"]["dockerfile"]).is_file()
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    env = worker["environment"]
    assert set(env) <= WORKER_ENV, f"settings the worker does not read: {sorted(set(env) - WORKER_ENV)}"
    assert env["REDIS_URL"].startswith("redis://redis:")
    # A stop must outlast the worker's drain, or Docker kills it mid-commit.
    assert seconds(worker["stop_grace_period"]) > float(env["CLAIMEDIT_SHUTDOWN_GRACE_S"])


@pytest.mark.parametrize("service", ["prometheus", "grafana"])
def test_every_bind_mount_exists_in_the_repository(service: str) -> None:
    mounts = bind_mounts(service)
    assert mounts
    for source in mounts.values():
        assert (DEPLOY / source).exists(), f"{service} mounts {source}, which is not in deploy/"


def test_prometheus_scrapes_every_worker_replica_on_the_metrics_port() -> None:
    jobs = {job["job_name"]: job for job in PROMETHEUS_CONFIG["scrape_configs"]}
    job = jobs["claim-edit"]  # the job name the alert rules select on
    (dns,) = job["dns_sd_configs"]
    assert dns["names"] == ["worker"]
    assert dns["port"] == int(SERVICES["worker"]["environment"]["CLAIMEDIT_HTTP_PORT"])


def test_prometheus_loads_the_mounted_rules() -> None:
    mounts = bind_mounts("prometheus")
    config_target = next(target for target, source in mounts.items() if source.endswith("prometheus.yml"))
    assert f"--config.file={config_target}" in SERVICES["prometheus"]["command"]
    rules_target = next(target for target, source in mounts.items() if source.endswith("rules.yaml"))
    assert any(PurePosixPath(rules_target).match(pattern) for pattern in PROMETHEUS_CONFIG["rule_files"]), (
        f"{rules_target} is matched by no rule_files pattern {PROMETHEUS_CONFIG['rule_files']}"
    )


def test_grafana_provisions_the_datasource_and_the_dashboard() -> None:
    mounts = bind_mounts("grafana")
    provisioning = DEPLOY / mounts["/etc/grafana/provisioning"]
    datasources = load_yaml(provisioning / "datasources" / "prometheus.yaml")["datasources"]
    assert datasources[0]["type"] == "prometheus"
    assert datasources[0]["url"] == "http://prometheus:9090"
    providers = load_yaml(provisioning / "dashboards" / "claim-edit.yaml")["providers"]
    dashboards_path = providers[0]["options"]["path"]
    assert dashboards_path in mounts, f"the dashboard provider reads {dashboards_path}, which compose does not mount"
    assert (DEPLOY / mounts[dashboards_path] / "claim-edit.json").is_file()


def test_published_ports_stay_on_loopback() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
