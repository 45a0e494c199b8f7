"""The alert rules: promtool accepts them, every alert is unit-tested both ways, and each carries its text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.tools import DEPLOY, REPO, RULES, RULES_TEST, load_yaml, require_tool, run


def _alerts() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


ALERTS = _alerts()
ALERT_NAMES = [rule["alert"] for rule in ALERTS]

# The alerts issue 6 asks for, by meaning; each must exist.
REQUIRED = {
    "ClaimEditWorkerDown",
    "ClaimEditLagHigh",
    "ClaimEditLagGrowing",
    "ClaimEditDeadLettersRising",
    "ClaimEditStuck",
    "ClaimEditLatencyHigh",
    "ClaimEditRedeliveriesRising",
}


def test_promtool_check_rules_accepts_the_rules() -> None:
    promtool = require_tool("promtool")
    result = run([promtool, "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    promtool = require_tool("promtool")
    result = run([promtool, "test", "rules", str(RULES_TEST)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_check_config_accepts_the_compose_prometheus_config() -> None:
    promtool = require_tool("promtool")
    result = run([promtool, "check", "config", "--syntax-only", str(DEPLOY / "prometheus" / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_required_alert_exists_once() -> None:
    assert set(ALERT_NAMES) >= REQUIRED
    assert len(ALERT_NAMES) == len(set(ALERT_NAMES)), "alert names must be unique"


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_NAMES)
def test_alert_has_severity_summary_description_and_runbook(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"warning", "critical"}
    annotations = rule["annotations"]
    for key in ("summary", "description", "runbook"):
        assert isinstance(annotations.get(key), str), f"{rule['alert']} lacks annotation {key}"
        assert len(annotations[key].strip()) > 15, f"{rule['alert']}: annotation {key} is too short to help anyone"
    assert rule.get("for"), f"{rule['alert']} must hold for a while before firing (no `for:`)"


@pytest.mark.parametrize("name", ALERT_NAMES)
def test_alert_is_unit_tested_firing_and_not_firing(name: str) -> None:
    cases = [case for test in load_yaml(RULES_TEST)["tests"] for case in test.get("alert_rule_test", []) if case["alertname"] == name]
    assert any(case.get("exp_alerts") for case in cases), f"no promtool case where {name} fires"
    assert any(not case.get("exp_alerts") for case in cases), f"no promtool case where {name} stays quiet"


@pytest.mark.parametrize("name", ALERT_NAMES)
def test_alert_is_explained_in_the_readme(name: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Running in production" in readme
    section = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    assert name in section, f"README's 'Running in production' does not say what {name} means and what to do"
