"""Every series the alert rules and the dashboard read is one a live worker really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.live import running_worker
from tests.deploy.tools import DASHBOARD, RULES, load_yaml, metric_names_in


def rule_expressions() -> list[str]:
    return [rule["expr"] for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


def dashboard_targets() -> list[dict[str, Any]]:
    def walk(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = []
        for panel in panels:
            found.extend(panel.get("targets", []))
            found.extend(walk(panel.get("panels", [])))
        return found

    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    targets = walk(dashboard["panels"])
    variables = [var["query"]["query"] for var in dashboard["templating"]["list"] if var["type"] == "query"]
    return targets + [{"expr": query, "legendFormat": ""} for query in variables]


def exported(metrics_text: str) -> dict[str, set[str]]:
    """Series name -> label names, from one scrape."""
    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            series.setdefault(sample.name, set()).update(sample.labels)
    return series


def test_the_expression_parser_finds_names() -> None:
    assert metric_names_in('sum by (le) (rate(claimedit_batch_duration_seconds_bucket{job="$job"}[5m])) and up') == {
        "claimedit_batch_duration_seconds_bucket"
    }


@pytest.mark.redis
def test_rules_and_dashboard_read_only_exported_series_and_labels(redis_url: str, tmp_path: Path) -> None:
    with running_worker(redis_url, tmp_path) as worker:
        series = exported(worker.metrics_text())
    # The per-partition gauges exist in partitioned mode only: scrape such a worker too.
    with running_worker(redis_url, tmp_path, CLAIMEDIT_PARTITIONS="2") as partitioned:
        for name, labels in exported(partitioned.metrics_text()).items():
            series.setdefault(name, set()).update(labels)
    assert "claimedit_partition_consumer_lag" in series
    assert "claimedit_claims_processed_total" in series  # the scrape is the worker's, not something else

    used_by_rules = {name for expr in rule_expressions() for name in metric_names_in(expr)}
    targets = dashboard_targets()
    used_by_dashboard = {name for target in targets for name in metric_names_in(target["expr"])}
    assert used_by_rules, "found no claimedit_ series in the rules"
    assert used_by_dashboard, "found no claimedit_ series in the dashboard"
    assert not used_by_rules - set(series), f"rules read series the worker does not export: {sorted(used_by_rules - set(series))}"
    unknown = used_by_dashboard - set(series)
    assert not unknown, f"dashboard reads series the worker does not export: {sorted(unknown)}"

    # A legend `{{label}}` or `by (label)` must name a label of the series it reads (or one Prometheus adds).
    added_by_prometheus = {"job", "instance", "namespace", "le"}
    for target in targets:
        names = metric_names_in(target["expr"])
        if not names:
            continue
        available = set().union(*(series[name] for name in names)) | added_by_prometheus
        wanted = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
        for group in re.findall(r"\bby \(([^)]*)\)", target["expr"]):
            wanted |= {label.strip() for label in group.split(",") if label.strip()}
        assert wanted <= available, f"{target['expr']!r} uses labels {sorted(wanted - available)} the series do not have"


def test_the_dashboard_shows_every_family_the_contract_names() -> None:
    families = {
        "claimedit_claims_processed_total",
        "claimedit_findings_total",
        "claimedit_deadletters_total",
        "claimedit_redeliveries_total",
        "claimedit_batch_duration_seconds_bucket",
        "claimedit_end_to_end_latency_seconds_bucket",
        "claimedit_consumer_lag",
        "claimedit_pending_entries",
        "claimedit_reference_info",
        "claimedit_build_info",
    }
    used = {name for target in dashboard_targets() for name in metric_names_in(target["expr"])}
    assert not families - used, f"the dashboard has no panel for {sorted(families - used)}"
