"""`claim-edit check` carries history across the claims of its input, in order; --no-history edits each alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_check import run, write

DAY = "2025-03-04"


def claim(claim_id: str, *lines: tuple[str, int], patient: str = "P-1", **extra: Any) -> dict[str, Any]:
    body = [{"line_number": n, "code": code, "units": units, "date_of_service": DAY} for n, (code, units) in enumerate(lines, 1)]
    return {"claim_id": claim_id, "patient_id": patient, "billing_provider_npi": "1234567893", "lines": body, **extra}


# A split-units pair (64629 x1 then x2 the same day: MUE 2, MAI 2), and an identical claim sent twice.
SPLIT_FIRST = claim("S-1", ("64628", 1), ("64629", 1))
SPLIT_SECOND = claim("S-2", ("64629", 2))
TWICE = claim("D-1", ("20610", 1), patient="P-2")
INPUT = (SPLIT_FIRST, SPLIT_SECOND, TWICE, TWICE)


def findings(out: str) -> list[tuple[str, list[tuple[str, Any]]]]:
    rows = [json.loads(line) for line in out.splitlines()]
    return [(row["claim_id"], [(f["edit"], f.get("history")) for f in row["findings"]]) for row in rows]


def test_history_on_by_default_catches_split_units_and_a_claim_sent_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--format", "json", str(write(tmp_path, *INPUT)))
    assert status == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["outcome"] for row in rows] == ["pass", "deny", "pass", "deny"]
    (mue,) = rows[1]["findings"]
    facts = mue["facts"]
    assert (mue["edit"], mue["lines"], facts["units_counted"], facts["units_from_history"]) == ("mue-units-exceeded", [1], 3, 1)
    assert mue["history"] == [{"claim_id": "S-1", "line_number": 2, "code": "64629", "date_of_service": DAY}]
    assert "1 on claim S-1 (line 2)" in mue["message"]
    (duplicate,) = rows[3]["findings"]
    assert (duplicate["edit"], duplicate["lines"], duplicate["history"]) == (
        "duplicate-service", [1], [{"claim_id": "D-1", "line_number": 1, "code": "20610", "date_of_service": DAY}]
    )


def test_no_history_edits_each_claim_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--format", "json", "--no-history", str(write(tmp_path, *INPUT)))
    assert status == 0
    assert findings(out) == [("S-1", []), ("S-2", [("addon-without-primary", None)]), ("D-1", []), ("D-1", [])]


def test_history_is_per_patient(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = {**TWICE, "patient_id": "P-3"}
    _, out, _ = run(capsys, "check", "--format", "json", str(write(tmp_path, TWICE, other)))
    assert findings(out) == [("D-1", []), ("D-1", [])]


def test_a_replacement_takes_the_place_of_its_original(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # S-1 replaced by S-1R: the split pair's second claim is summed with S-1R only (had S-1 stayed, S-1R would be a duplicate).
    replacement = claim("S-1R", ("64628", 1), ("64629", 1), claim_frequency_code="7", original_claim_id="S-1")
    void = claim("S-1R", ("64628", 1), claim_frequency_code="8")
    _, out, _ = run(capsys, "check", "--format", "json", str(write(tmp_path, SPLIT_FIRST, replacement, SPLIT_SECOND, void, SPLIT_SECOND)))
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["outcome"] for row in rows] == ["pass", "pass", "deny", "pass", "deny"]
    assert [(f["claim_id"], f["line_number"]) for f in rows[2]["findings"][0]["history"]] == [("S-1R", 2)]
    assert rows[3]["findings"] == []  # a void of a claim in history: no findings at all
    # With S-1R voided, nothing of that day is left: S-2 alone lacks its primary and is within its MUE.
    assert [f["edit"] for f in rows[4]["findings"]] == ["addon-without-primary"]


def test_table_says_whether_history_was_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, on, _ = run(capsys, "check", "--history-days", "30", str(write(tmp_path, *INPUT)))
    _, off, _ = run(capsys, "check", "--no-history", str(write(tmp_path, *INPUT)))
    assert "history in memory (30 days)" in on
    assert "duplicate-service" in on
    assert "no history" in off
    assert "duplicate-service" not in off


def test_negative_history_days_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "check", "--history-days", "-1", str(write(tmp_path, SPLIT_FIRST)))
    assert status == 2
    assert "--history-days must not be negative" in err
