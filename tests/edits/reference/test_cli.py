"""`claim-edit reference build` and `info`, end to end through the CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from edits.reference.snapshot import DEFAULT_SNAPSHOT, load_snapshot, save_snapshot
from tests.edits.reference.cms_files import (
    AOC_ROWS,
    MUE_EXCERPT,
    PPRRVU,
    PTP_EXCERPT,
    PTP_ROWS,
    write_aoc_xlsx,
    write_ptp_txt,
    write_ptp_xlsx,
)
from workers.cli import main


def test_build_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    aoc = write_aoc_xlsx(tmp_path / "AOC_V2026Q3.xlsx")
    out = tmp_path / "2026Q3.snapshot"
    argv = ["reference", "build", "--pfs", str(PPRRVU), "--mue", str(MUE_EXCERPT), "--aoc", str(aoc)]
    status = main([*argv, "--effective", "2026-07-01:2026-09-30", "--version", "ncci2026Q3", "-o", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed
    refset = load_snapshot(out)
    assert refset.version == "ncci2026Q3"
    (ref,) = refset.references
    assert (str(ref.effective_from), str(ref.effective_to)) == ("2026-07-01", "2026-09-30")
    assert refset.built_at is not None
    assert len(ref.fee_schedule) == 16_852
    assert len(ref.mue) == 5
    assert ref.addons["64629"][0].primary == "64628"

    assert main(["reference", "info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "version   ncci2026Q3" in info
    assert "ncci2026Q3: 2026-07-01 to 2026-09-30" in info
    assert "fee schedule  16852 codes" in info
    assert "MUE           5 codes" in info
    assert f"add-on codes  7 codes, {len(AOC_ROWS)} pairings" in info


def test_open_ended_period_and_default_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mue.snapshot"
    assert main(["reference", "build", "--mue", str(MUE_EXCERPT), "--effective", "2026-07-01:", "-o", str(out)]) == 0
    refset = load_snapshot(out)
    assert refset.references[0].effective_from is not None
    assert refset.references[0].effective_to is None
    assert refset.version.startswith("MUE_practitioner_2026Q3_layout_excerpt-")
    assert "2026-07-01 to open" in capsys.readouterr().out


def test_info_on_the_bundled_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", "info", str(DEFAULT_SNAPSHOT)]) == 0
    out = capsys.readouterr().out
    assert "version   bundled-pfs2025D-ncci2026Q3.2" in out
    assert "open to open" in out


def test_bad_file_exits_2_naming_file_and_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [list(AOC_ROWS[0]), list(AOC_ROWS[1])]
    rows[1][5] = 2025400
    aoc = write_aoc_xlsx(tmp_path / "aoc.xlsx", rows)
    out = tmp_path / "never.snapshot"
    assert main(["reference", "build", "--aoc", str(aoc), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("claim-edit reference build: ")
    assert f"{aoc}: row 4: AOC_Edit_EffDT '2025400' is not a Julian date" in err
    assert not out.exists()


def test_wrong_file_for_the_flag_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", "build", "--mue", str(PPRRVU), "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert f"{PPRRVU}: row 10: header has no column 'Practitioner Services MUE Values'" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give at least one of --pfs, --mue, --aoc, --ptp"),
        (["--mue", "MUE", "--effective", "2026-07-01"], "expected FROM:TO"),
        (["--mue", "MUE", "--effective", "2026-09-30:2026-07-01"], "ends before it starts"),
        (["--mue", "MUE", "--effective", "July:"], "--effective 'July:'"),
        (["--mue", "missing.csv"], "missing.csv: cannot read"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str) -> None:
    argv = [str(MUE_EXCERPT) if arg == "MUE" else arg for arg in extra]
    assert main(["reference", "build", *argv, "-o", str(tmp_path / "x.snapshot")]) == 2
    assert message in capsys.readouterr().err


def test_info_on_a_bad_snapshot_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.snapshot"
    bad.write_text("not msgpack at all")
    assert main(["reference", "info", str(bad)]) == 2
    assert "bad.snapshot: not a claim-edit reference snapshot" in capsys.readouterr().err


def test_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", "build", "--mue", str(MUE_EXCERPT), "-o", str(tmp_path / "no" / "dir" / "x.snapshot")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_snapshot_written_by_build_is_what_load_reads(tmp_path: Path) -> None:
    # save_snapshot is the only writer: a snapshot from the CLI and one from the API are the same format.
    out = tmp_path / "a.snapshot"
    main(["reference", "build", "--mue", str(MUE_EXCERPT), "--version", "v", "-o", str(out)])
    refset = load_snapshot(out)
    save_snapshot(refset, tmp_path / "b.snapshot")
    assert (tmp_path / "b.snapshot").read_bytes() == out.read_bytes()


def test_build_with_four_ptp_parts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = [
        PTP_EXCERPT,
        write_ptp_txt(tmp_path / "f2.txt", PTP_ROWS[:2]),
        write_ptp_txt(tmp_path / "f3.txt", PTP_ROWS[2:4], newline="\n"),
        write_ptp_xlsx(tmp_path / "f4.xlsx", PTP_ROWS[4:]),
    ]
    out = tmp_path / "ptp.snapshot"
    argv = ["reference", "build", *(arg for part in parts for arg in ("--ptp", str(part))), "--effective", "2026-07-01:", "-o", str(out)]
    assert main(argv) == 0
    assert "PTP           11 rows, 7 column-one codes" in capsys.readouterr().out
    (ref,) = load_snapshot(out).references
    assert len(ref.ptp) == 11
    assert ref.sources[-1] == "f4.xlsx"


def test_build_refuses_a_bad_ptp_row_naming_file_and_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [list(row) for row in PTP_ROWS]
    rows[1][4] = "2004-13-01"
    bad = write_ptp_txt(tmp_path / "bad.txt", rows)
    assert main(["reference", "build", "--ptp", str(PTP_EXCERPT), "--ptp", str(bad), "-o", str(tmp_path / "x.snapshot")]) == 2
    err = capsys.readouterr().err
    assert f"claim-edit reference build: {bad}: row 8: deletion date of 11000/11720 '2004-13-01' is not a date YYYYMMDD" in err
    assert not (tmp_path / "x.snapshot").exists()
