"""`claim-edit check` end to end through the CLI entry point."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from workers.cli import main

GOOD = {
    "claim_id": "C-1",
    "patient_id": "P-1",
    "billing_provider_npi": "1234567893",
    "lines": [{"line_number": 1, "code": "64629", "units": 3, "date_of_service": "2025-03-04"}],
}
EVENT = {"event_id": "e-2", "event_type": "claim.submitted", "schema_version": 1, "occurred_at": "2025-03-05T10:00:00Z", "claim": GOOD}
MUE_SAMPLE = Path(__file__).parents[1] / "data" / "cms" / "MUE_practitioner_2026Q3_layout_excerpt.csv"
MUE_HEADER = '"CPT notice",,,\n"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n'


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write(tmp_path: Path, *lines: Any) -> Path:
    path = tmp_path / "claims.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_json_output_one_object_per_line_and_exit_1_on_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD, "", "{not json", EVENT, {"claim_id": "x"})
    status, out, _ = run(capsys, "check", "--format", "json", str(path))
    rows = [json.loads(line) for line in out.splitlines()]
    assert status == 1
    assert [row.get("line") for row in rows] == [1, 3, 4, 5]
    assert rows[0]["claim_id"] == "C-1"
    assert rows[0]["outcome"] == "deny"
    assert {f["edit"] for f in rows[0]["findings"]} == {"addon-without-primary", "mue-units-exceeded"}
    assert rows[1]["error"] == "not-json"
    assert rows[2]["event_id"] == "e-2"
    assert rows[3]["error"] == "schema"
    assert "patient_id" in rows[3]["detail"]


def test_exit_0_when_every_line_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", str(write(tmp_path, GOOD, EVENT)))
    assert status == 0
    assert "C-1  DENY" in out
    assert "64629: 3 units on 2025-03-04 exceed the MUE of 2" in out
    assert "reference bundled-" in out


def test_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((json.dumps(GOOD) + "\n").encode())))
    status, out, _ = run(capsys, "check", "--format", "json", "-")
    assert status == 0
    assert json.loads(out)["claim_id"] == "C-1"


def test_changed_mue_file_alone_keeps_the_other_bundled_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mue = tmp_path / "mue.csv"
    mue.write_text(MUE_HEADER + "64629,4,2 Date of Service Edit: Policy,Clinical\n", encoding="latin-1")
    _, out, _ = run(capsys, "check", "--format", "json", "--mue", str(mue), str(write(tmp_path, GOOD)))
    assert [f["edit"] for f in json.loads(out)["findings"]] == ["addon-without-primary"]


def test_each_line_uses_the_quarter_in_force_on_its_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quarters = {"2025Q1": ("2025-01-01:2025-03-31", 2), "2025Q2": ("2025-04-01:2025-06-30", 4)}
    snapshots = []
    for name, (period, value) in quarters.items():
        mue = tmp_path / f"mue-{name}.csv"
        mue.write_text(MUE_HEADER + f"64629,{value},2 Date of Service Edit: Policy,Clinical\n", encoding="latin-1")
        snapshot = tmp_path / f"{name}.snapshot"
        status, _, err = run(capsys, "reference", "build", "--mue", str(mue), "--effective", period, "--version", name, "-o", str(snapshot))
        assert status == 0, err
        snapshots += ["--reference", str(snapshot)]
    march = {**GOOD, "claim_id": "MAR"}
    april = {**GOOD, "claim_id": "APR", "lines": [{**GOOD["lines"][0], "date_of_service": "2025-04-02"}]}
    status, out, err = run(capsys, "check", "--format", "json", *snapshots, str(write(tmp_path, march, april)))
    assert status == 0, err
    rows = {row["claim_id"]: row["findings"] for row in map(json.loads, out.splitlines())}
    assert [(f["facts"]["mue_value"], f["reference_version"]) for f in rows["MAR"]] == [(2, "2025Q1")]
    assert rows["APR"] == []


def test_overlapping_snapshots_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mue = tmp_path / "mue.csv"
    mue.write_text(MUE_HEADER + "64629,4,2 Date of Service Edit: Policy,Clinical\n", encoding="latin-1")
    for name in ("a", "b"):
        build = ["--mue", str(mue), "--effective", "2025-01-01:2025-06-30", "--version", name, "-o", str(tmp_path / name)]
        run(capsys, "reference", "build", *build)
    both = ["--reference", str(tmp_path / "a"), "--reference", str(tmp_path / "b")]
    status, _, err = run(capsys, "check", *both, str(write(tmp_path, GOOD)))
    assert status == 2
    assert "overlap" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--policy", "missing.toml"], "cannot read policy file"),
        (["--effective", "2026-07-01:2026-09-30"], "--effective applies to --pfs/--mue/--aoc/--ptp files"),
        (["--mue", str(MUE_SAMPLE), "--effective", "2026-07-01"], "expected FROM:TO"),
        (["--mue", "nowhere.csv"], "nowhere.csv"),
    ],
)
def test_unusable_flags_exit_2_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str) -> None:
    status, _, err = run(capsys, "check", *args, str(write(tmp_path, GOOD)))
    assert status == 2
    assert words in err


def test_missing_claims_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "check", str(tmp_path / "none.jsonl"))
    assert status == 2
    assert "cannot read" in err


PTP_SAMPLE = Path(__file__).parents[1] / "data" / "cms" / "PTP_practitioner_2026Q3_layout_excerpt.txt"
PTP_PAIR = {
    "claim_id": "C-ptp",
    "patient_id": "P-1",
    "billing_provider_npi": "1234567893",
    "lines": [
        {"line_number": 1, "code": "99213", "date_of_service": "2025-03-04"},
        {"line_number": 2, "code": "36415", "date_of_service": "2025-03-04"},
    ],
}


def test_ptp_files_given_to_check_form_one_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tmp_path / "ccipra-f2.txt"
    # The excerpt's layout (notice, title, header over four lines) with a made-up row in a second part.
    head = PTP_SAMPLE.read_text().splitlines()[:6]
    row = "99213\t36415\t\t20150101\t*\t1\tMisuse of Column Two code with Column One code"
    second.write_bytes(("\r\n".join([*head, row]) + "\r\n").encode())
    claims = write(tmp_path, PTP_PAIR)
    status, out, _ = run(capsys, "check", "--format", "json", "--ptp", str(PTP_SAMPLE), "--ptp", str(second), str(claims))
    assert status == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    (finding,) = row["findings"]
    assert (finding["edit"], finding["lines"], finding["code"]) == ("ptp-bundled-code", [2], "36415")
    assert finding["facts"]["pairs"] == [
        {"column_one": "99213", "column_two": "36415", "modifier_indicator": 1, "effective": "2015-01-01",
         "rationale": "Misuse of Column Two code with Column One code", "line": 1}
    ]
    # Without the second part, the bundled table (the excerpt's rows only) has no such pair.
    _, out, _ = run(capsys, "check", "--format", "json", str(claims))
    assert json.loads(out)["findings"] == []
