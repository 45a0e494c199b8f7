"""An outside package adds an edit through the `claim_edit.edits` entry point, installed for real with pip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parent / "plugin_pkg"
CLAIM = {
    "claim_id": "C-P",
    "patient_id": "P",
    "billing_provider_npi": "1234567893",
    "lines": [{"line_number": 1, "code": "99213", "units": 11, "date_of_service": "2025-03-04"}],
}


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation", "--target", target, PLUGIN],
        check=True,
        cwd=build,
        capture_output=True,
    )
    assert list(target.glob("claim_edit_example_plugin-*.dist-info"))
    return target


def check(site: Path | None, claims: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "check", "--format", "json", *extra, str(claims)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_installed_plugin_edit_runs(plugin_site: Path, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps(CLAIM) + "\n")
    with_plugin = check(plugin_site, claims)
    assert with_plugin.returncode == 0, with_plugin.stderr
    findings = json.loads(with_plugin.stdout)["findings"]
    assert [(f["edit"], f["severity"], f["lines"]) for f in findings] == [("units-over-ten", "review", [1])]

    without = check(None, claims)
    assert without.returncode == 0, without.stderr
    assert json.loads(without.stdout)["findings"] == []


def test_policy_can_turn_a_plugin_edit_off(plugin_site: Path, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps(CLAIM) + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text("[edits.units-over-ten]\nenabled = false\n")
    result = check(plugin_site, claims, "--policy", str(policy))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []
