"""Results recorded before findings carried typed facts (schema version 1) stay readable.

tests/data/results/claim.edited.v1.jsonl was written by the version-1 code (SOURCES.txt there says how).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts import RESULT_SCHEMA_VERSION
from contracts.codec import decode_result
from tests.replay.helpers import replay
from workers.replay.baseline import decode_row

RECORDED_V1 = Path(__file__).parents[1] / "data" / "results" / "claim.edited.v1.jsonl"
SAMPLE_CLAIMS = Path(__file__).parents[2] / "workers" / "samples" / "claims.jsonl"
V1_FACT_FIELDS = {"units_counted", "mue_value", "mai", "bilateral_indicator", "primaries_sought"}


def recorded() -> list[bytes]:
    return RECORDED_V1.read_bytes().splitlines()


def test_the_recording_really_is_version_1_with_flat_facts() -> None:
    rows = [json.loads(raw) for raw in recorded()]
    assert {row["schema_version"] for row in rows} == {1}
    assert RESULT_SCHEMA_VERSION == 2
    flat = [finding for row in rows for finding in row["findings"] if V1_FACT_FIELDS & finding.keys()]
    assert {finding["edit"] for finding in flat} >= {"mue-units-exceeded", "addon-without-primary", "modifier-50-on-addon"}


def test_version_1_results_decode_with_facts_none_and_the_rest_kept() -> None:
    for raw in recorded():
        row = json.loads(raw)
        result = decode_result(raw)
        assert result.schema_version == 1
        assert result.outcome == row["outcome"]
        assert len(result.findings) == len(row["findings"])
        for finding, written in zip(result.findings, row["findings"], strict=True):
            assert finding.facts is None  # the flat `mue_value` etc. are unknown fields now, ignored
            assert finding.history == ()
            assert (finding.edit, list(finding.lines), finding.code, finding.severity) == (
                written["edit"], written["lines"], written["code"], written["severity"]
            )
            assert finding.message == written["message"]


def test_replay_baseline_rows_read_version_1() -> None:
    mue = [decode_row(raw) for raw in recorded() if b'"mue_value"' in raw]
    assert mue
    assert all(finding.facts is None for row in mue for finding in row.findings if finding.edit == "mue-units-exceeded")


def test_replay_against_a_version_1_recording_sees_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    """Today's engine on the same claims makes the same findings: the new facts are not a change to report."""
    run = replay(capsys, "--events", SAMPLE_CLAIMS, "--baseline", RECORDED_V1, "--format", "json")
    totals = run.json()["summary"]["totals"]
    assert run.status == 0, run.out
    assert totals["events"] == len(recorded())
    assert totals["unchanged"] == len(recorded())
    assert totals["changed"] == totals["without_baseline"] == totals["unreadable"] == 0
