"""The NCCI add-on code table loader on files built in the published layout (XLSX and CSV)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from edits.reference.aoc import load_addons
from edits.reference.files import ReferenceFileError
from edits.reference.model import AddOnPairing
from tests.edits.reference.cms_files import AOC_HEADER, AOC_HEADER_JULIAN, AOC_ROWS, write_aoc_csv, write_aoc_xlsx

D = dt.date

EXPECTED = {
    "64629": (AddOnPairing("64628", 1, D(2022, 1, 1), None),),
    "64636": (AddOnPairing("64635", 1, D(2012, 1, 1), None),),
    "64492": (AddOnPairing("64490", 1, D(2010, 1, 1), None), AddOnPairing("64491", 1, D(2010, 1, 1), None)),
    "99292": (AddOnPairing("CCCCC", 2, D(2013, 4, 1), None),),
    "22552": (AddOnPairing("22551", 3, D(2017, 1, 1), None), AddOnPairing("CCCCC", 3, D(2017, 1, 1), None)),
    "11001": (AddOnPairing("11000", 1, D(2013, 1, 1), D(2015, 12, 31)),),
    "11046": (AddOnPairing("11045", 1, D(2013, 1, 1), D(2019, 2, 28)),),
}


@pytest.fixture(params=["xlsx", "csv"])
def writer(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return write_aoc_xlsx if request.param == "xlsx" else write_aoc_csv


@pytest.mark.parametrize("header", [AOC_HEADER, AOC_HEADER_JULIAN], ids=["plain", "julian-suffix"])
def test_published_layout_loads(tmp_path: Path, writer, header: list[str]) -> None:  # type: ignore[no-untyped-def]
    suffix = "xlsx" if writer is write_aoc_xlsx else "csv"
    addons = load_addons(writer(tmp_path / f"AOC_V2026Q3.{suffix}", AOC_ROWS, header))
    assert addons == EXPECTED


def test_deletion_is_the_earliest_date_set_and_inclusive(tmp_path: Path) -> None:
    addons = load_addons(write_aoc_csv(tmp_path / "aoc.csv"))
    (pairing,) = addons["11046"]  # primary deleted 2019-02-28 before the edit's own 2020-12-31
    assert pairing.in_force(D(2019, 2, 28))
    assert not pairing.in_force(D(2019, 3, 1))
    (first,) = addons["64629"]
    assert not first.in_force(D(2021, 12, 31))
    assert first.in_force(D(2022, 1, 1))


def test_duplicate_rows_are_dropped(tmp_path: Path) -> None:
    rows = [AOC_ROWS[0], AOC_ROWS[0]]
    assert load_addons(write_aoc_csv(tmp_path / "aoc.csv", rows)) == {"64629": EXPECTED["64629"]}


def test_leap_day_and_blank_effective(tmp_path: Path) -> None:
    rows = [[1, "64629", None, "64628", None, None, 2024366, None]]
    (pairing,) = load_addons(write_aoc_xlsx(tmp_path / "aoc.xlsx", rows))["64629"]
    assert pairing == AddOnPairing("64628", 1, None, D(2024, 12, 31))


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (0, 4, "AOC_Edit_Type '4' is not 1, 2 or 3"),
        (0, "I", "AOC_Edit_Type 'I' is not 1, 2 or 3"),
        (5, 2025366, "AOC_Edit_EffDT '2025366' is not a Julian date YYYYDDD"),
        (5, 2025000, "AOC_Edit_EffDT '2025000' is not a Julian date"),
        (6, "someday", "AOC_Edit_DelDT 'someday' is not a Julian date"),
        (2, "20251", "AOC_DelDT '20251' is not a Julian date"),
        (3, "6462", "Primary_Code '6462' is not a 5-character CPT/HCPCS code"),
        (1, "", "Add-On_Code '' is not a 5-character"),
    ],
)
@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_bad_row_names_file_and_row(tmp_path: Path, column: int, value: object, reason: str, suffix: str) -> None:
    bad: list[object] = list(AOC_ROWS[1])
    bad[column] = value
    rows: list[Sequence[object]] = [AOC_ROWS[0], bad]
    path = tmp_path / f"aoc.{suffix}"
    (write_aoc_xlsx if suffix == "xlsx" else write_aoc_csv)(path, rows)
    with pytest.raises(ReferenceFileError) as caught:
        load_addons(path)
    assert str(caught.value).startswith(f"{path}: row 4: ")  # notice row 1, header row 2, data rows 3 and 4
    assert reason in str(caught.value)


def test_missing_column_is_named(tmp_path: Path) -> None:
    header = [name for name in AOC_HEADER if name != "Primary_Code"]
    rows = [[cell for i, cell in enumerate(row) if i != 3] for row in AOC_ROWS]
    with pytest.raises(ReferenceFileError, match=r"row 2: header has no column 'Primary_Code'"):
        load_addons(write_aoc_csv(tmp_path / "aoc.csv", rows, header))


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "aoc.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ReferenceFileError, match=r"aoc.xlsx: not a readable XLSX workbook"):
        load_addons(path)
