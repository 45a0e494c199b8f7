"""`claim-edit replay --ptp`: what a new quarter of the NCCI PTP table changes, as for MUE."""

from __future__ import annotations

from pathlib import Path

import pytest

from edits import Engine, load_default_reference
from edits.reference.bundled import PTP_CURATED
from tests.replay.helpers import changed_claims, events, keys, replay, write_jsonl

# A made-up row for the test: C-office bills 99213 and 36415 on 2025-11-03 (tests/replay/helpers.py).
NEW_ROW = "99213\t36415\t\t{effective}\t{deleted}\t{indicator}\tMisuse of Column Two code with Column One code"


def next_quarter(path: Path, effective: str = "20251001", deleted: str = "*", indicator: str = "0") -> Path:
    """The bundled PTP rows (real CMS layout) plus one new pair, as a new quarter's file would add it."""
    text = PTP_CURATED.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    row = NEW_ROW.format(effective=effective, deleted=deleted, indicator=indicator)
    path.write_bytes((text.rstrip("\r\n") + newline + row + newline).encode("utf-8"))
    return path


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, Path]:
    engine = Engine(load_default_reference())
    events_path = write_jsonl(tmp_path / "events.jsonl", events())
    baseline = write_jsonl(tmp_path / "results.jsonl", [engine.edit(one, source_stream_id="1-0") for one in events()])
    return events_path, baseline


def test_new_pair_adds_a_finding_on_the_column_two_line(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, baseline = recorded
    ptp = next_quarter(tmp_path / "ccipra-v323r0-f1.txt")
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--ptp", ptp, "--format", "json")
    assert run.status == 1
    report = run.json()
    changed = changed_claims(report)
    assert set(changed) == {"C-office"}
    assert keys(changed["C-office"]["added"]) == [("ptp-bundled-code", (2,), "36415", "deny")]
    assert changed["C-office"]["removed"] == []
    assert (changed["C-office"]["before_outcome"], changed["C-office"]["after_outcome"]) == ("pass", "deny")
    assert report["summary"]["edits"] == [{"edit": "ptp-bundled-code", "added": 1, "removed": 0}]


def test_pair_not_yet_in_force_or_modifier_indicator_9_changes_nothing(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    events_path, baseline = recorded
    later = next_quarter(tmp_path / "later.txt", effective="20260101")
    assert replay(capsys, "--events", events_path, "--baseline", baseline, "--ptp", later, "--format", "json").status == 0
    nine = next_quarter(tmp_path / "nine.txt", effective="20251001", deleted="20251001", indicator="9")
    assert replay(capsys, "--events", events_path, "--baseline", baseline, "--ptp", nine, "--format", "json").status == 0


def test_against_ptp_compares_two_quarters(capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path) -> None:
    events_path, _ = recorded
    new = next_quarter(tmp_path / "new.txt")
    run = replay(capsys, "--events", events_path, "--against-ptp", PTP_CURATED, "--ptp", new, "--format", "json")
    assert run.status == 1
    assert set(changed_claims(run.json())) == {"C-office"}


def test_bad_ptp_file_exits_2_naming_file_and_row(capsys: pytest.CaptureFixture[str], recorded: tuple[Path, Path], tmp_path: Path) -> None:
    events_path, baseline = recorded
    bad = next_quarter(tmp_path / "bad.txt", indicator="2")
    run = replay(capsys, "--events", events_path, "--baseline", baseline, "--ptp", bad)
    assert run.status == 2
    assert f"{bad}: row 13: modifier indicator '2' for 99213/36415 is not 0, 1 or 9" in run.err
