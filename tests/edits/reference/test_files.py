"""Shared reading helpers: header names matched loosely, encodings, Julian dates, error messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edits.reference.files import Columns, ReferenceFileError, TableRow, normalise_header, parse_julian, read_rows, read_table


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("HCPCS/\nCPT Code", "hcpcscptcode"),
        ("  HCPCS / CPT  Code ", "hcpcscptcode"),
        ("AOC_Edit_EffDT", "aocediteffdt"),
        ("AOC_Edit_EffDT_julian", "aocediteffdt"),
        ("AOC_Edit_EffDT_Julian", "aocediteffdt"),
        ("AOC Edit EffDT (Julian)", "aocediteffdt"),
        ("Add-On_Code", "addoncode"),
        ("CO-", "co"),
        ("", ""),
    ],
)
def test_normalise_header(header: str, normal: str) -> None:
    assert normalise_header(header) == normal


def test_utf8_with_bom_and_latin1_both_read(tmp_path: Path) -> None:
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes("\ufeffHCPCS,Note\n64629,caf\u00e9\n".encode())
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("HCPCS,Note\n64629,caf\u00e9\n".encode("latin-1"))
    assert list(read_rows(utf8)) == [(1, ["HCPCS", "Note"]), (2, ["64629", "caf\u00e9"])]
    assert list(read_rows(latin1)) == list(read_rows(utf8))


def test_rows_are_spreadsheet_rows_even_with_line_breaks_in_cells(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('"a notice\nover\nthree lines",x\n"HCPCS/\nCPT Code",Value\n\n64629,2\n')
    columns = Columns(anchor=("HCPCS/CPT Code",), required={"code": ("HCPCS/CPT Code",), "value": ("Value",)})
    assert list(read_table(path, columns)) == [TableRow(4, {"code": "64629", "value": "2"})]


def test_header_stacked_over_rows_is_joined(tmp_path: Path) -> None:
    path = tmp_path / "stacked.csv"
    path.write_text("Title of the file,,\n,GLOB,CO-\nHCPCS,DAYS,SURG\n64629,ZZZ,0\n")
    columns = Columns(anchor=("HCPCS",), required={"code": ("HCPCS",), "days": ("GLOB DAYS",), "co": ("CO- SURG",)})
    assert [row.values for row in read_table(path, columns)] == [{"code": "64629", "days": "ZZZ", "co": "0"}]


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("HCPCS\n64629\n")
    columns = Columns(anchor=("HCPCS",), required={"code": ("HCPCS",)}, optional={"note": ("Note",)})
    (row,) = read_table(path, columns)
    assert row["note"] == ""
    assert row.values == {"code": "64629"}


def test_error_message_names_file_row_and_reason() -> None:
    error = ReferenceFileError("/data/aoc.xlsx", 17, "AOC_Edit_Type '4' is not 1, 2 or 3")
    assert str(error) == "/data/aoc.xlsx: row 17: AOC_Edit_Type '4' is not 1, 2 or 3"
    assert (error.path, error.line) == ("/data/aoc.xlsx", 17)
    assert str(ReferenceFileError("f.csv", None, "cannot read")) == "f.csv: cannot read"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2022001", dt.date(2022, 1, 1)),
        ("2024060", dt.date(2024, 2, 29)),
        ("2024366", dt.date(2024, 12, 31)),
        ("2025365", dt.date(2025, 12, 31)),
        ("", None),
        ("*", None),
        ("2025-07-01", dt.date(2025, 7, 1)),  # a spreadsheet date cell
    ],
)
def test_julian_dates(text: str, day: dt.date | None) -> None:
    assert parse_julian("f.csv", TableRow(3, {"d": text}), "d", "AOC_Edit_EffDT") == day


@pytest.mark.parametrize("text", ["2025366", "2025000", "22001", "2025-13-01", "tomorrow"])
def test_bad_julian_dates(text: str) -> None:
    with pytest.raises(ReferenceFileError, match=rf"f.csv: row 3: AOC_Edit_EffDT '{text}' is not a Julian date YYYYDDD"):
        parse_julian("f.csv", TableRow(3, {"d": text}), "d", "AOC_Edit_EffDT")
