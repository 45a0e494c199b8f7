"""The NCCI PTP loader on the real CMS excerpt and on generated files with every quirk of the published layout; the packed table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edits.reference.files import ReferenceFileError
from edits.reference.ptp import load_ptp
from edits.reference.ptp_table import PtpRow, PtpTable
from tests.edits.reference.cms_files import PTP_EXCERPT, PTP_ROWS, write_ptp_txt, write_ptp_xlsx

D = dt.date


def test_real_excerpt_rows() -> None:
    table = load_ptp(PTP_EXCERPT)
    assert list(table.all_rows()) == [
        PtpRow("0001A", "0591T", D(2022, 1, 1), D(2023, 12, 31), 1, "CPT Manual or CMS manual coding instruction"),
        PtpRow("0001A", "36591", D(2022, 1, 1), D(2023, 12, 31), 0, "CPT Manual or CMS manual coding instruction"),
        PtpRow("0001A", "90473", D(2022, 1, 1), D(2022, 1, 1), 9, "CPT Manual or CMS manual coding instruction"),
        PtpRow("0001M", "80050", D(2017, 4, 1), D(2018, 12, 31), 0, "Misuse of Column Two code with Column One code"),
        PtpRow("0001T", "36000", D(2002, 10, 1), D(2004, 12, 31), 1, "Standards of medical/surgical practice"),
        PtpRow("0001U", "0030U", D(2018, 7, 1), None, 1, "Misuse of Column Two code with Column One code"),
    ]
    assert sorted(table.groups) == ["0001A", "0001M", "0001T", "0001U"]


def _expected_generated() -> list[PtpRow]:
    def day(text: str) -> dt.date:
        return D(int(text[:4]), int(text[4:6]), int(text[6:]))

    return [PtpRow(r[0], r[1], day(r[3]), None if r[4] == "*" else day(r[4]), int(r[5]), r[6]) for r in PTP_ROWS]


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_generated_txt_with_wrapped_header_and_star_columns(tmp_path: Path, newline: str) -> None:
    path = write_ptp_txt(tmp_path / "ccipra-v323r0-f1.txt", newline=newline)
    if newline == "\r\n":
        assert b"\r\n" in path.read_bytes()
    assert list(load_ptp(path).all_rows()) == _expected_generated()


@pytest.mark.parametrize("one_header_row", [False, True], ids=["wrapped-header", "one-header-row-with-line-breaks"])
def test_xlsx_variant(tmp_path: Path, one_header_row: bool) -> None:
    path = write_ptp_xlsx(tmp_path / "ccipra-v323r0-f1.xlsx", one_header_row=one_header_row)
    assert list(load_ptp(path).all_rows()) == _expected_generated()


def test_xlsx_number_and_date_cells(tmp_path: Path) -> None:
    rows: list[list[object]] = [["99213", "36415", None, 20150101, "*", 0, "Misuse"], ["99214", "36415", None, D(2016, 2, 29), None, 1, ""]]
    rows[1][4] = "*"
    table = load_ptp(write_ptp_xlsx(tmp_path / "p.xlsx", rows))
    assert [(r.column_one, r.effective, r.modifier_indicator) for r in table.all_rows()] == [
        ("99213", D(2015, 1, 1), 0),
        ("99214", D(2016, 2, 29), 1),
    ]


def test_four_files_make_one_table_and_duplicates_at_the_seams_count_once(tmp_path: Path) -> None:
    parts = [write_ptp_txt(tmp_path / f"f{i}.txt", PTP_ROWS[i : i + 2]) for i in range(0, len(PTP_ROWS), 2)]
    parts.append(write_ptp_txt(tmp_path / "f4.txt", PTP_ROWS[-1:]))  # the last row again, in a fourth file
    table = load_ptp(parts)
    assert list(table.all_rows()) == _expected_generated()
    assert len(table) == len(PTP_ROWS)


def _bad(tmp_path: Path, column: int, value: str) -> Path:
    rows = [list(row) for row in PTP_ROWS]
    rows[2][column] = value
    return write_ptp_txt(tmp_path / "bad.txt", rows)


# The third data row is file line 9: notice, title, four header lines, then rows 7, 8, 9.
@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (5, "2", "modifier indicator '2' for 11000/36000 is not 0, 1 or 9"),
        (5, "", "modifier indicator '' for 11000/36000 is not 0, 1 or 9"),
        (5, "1=allowed", "modifier indicator '1=allowed'"),
        (3, "20021301", "effective date of 11000/36000 '20021301' is not a date YYYYMMDD (month must be in 1..12)"),
        (3, "*", "effective date of 11000/36000 is '*', expected a date YYYYMMDD"),
        (3, "", "effective date of 11000/36000 is '', expected a date YYYYMMDD"),
        (4, "2002-02-30", "deletion date of 11000/36000 '2002-02-30' is not a date YYYYMMDD"),
        (4, "2002010", "deletion date of 11000/36000 '2002010' is not a date YYYYMMDD"),
        (4, "", "deletion date of 11000/36000 is '', expected a date YYYYMMDD or * (not deleted)"),
        (3, "19650101", "outside the dates a PTP row can carry"),
        (0, "1100", "Column 1 code '1100' is not a 5-character CPT/HCPCS code"),
        (1, "", "Column 2 code '' is not a 5-character CPT/HCPCS code"),
    ],
)
def test_bad_rows_are_refused_naming_file_row_and_reason(tmp_path: Path, column: int, value: str, reason: str) -> None:
    path = _bad(tmp_path, column, value)
    with pytest.raises(ReferenceFileError) as caught:
        load_ptp(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 9
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}: row 9: ")


def test_bad_row_in_xlsx_names_its_spreadsheet_row(tmp_path: Path) -> None:
    rows = [list(row) for row in PTP_ROWS]
    rows[0][5] = "3"
    path = write_ptp_xlsx(tmp_path / "bad.xlsx", rows, one_header_row=True)
    with pytest.raises(ReferenceFileError, match=r"bad\.xlsx: row 4: modifier indicator '3' for 11000/11001 is not 0, 1 or 9"):
        load_ptp(path)


def test_file_without_rows_or_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReferenceFileError, match="no PTP rows after the header"):
        load_ptp(write_ptp_txt(tmp_path / "empty.txt", []))
    other = tmp_path / "mue.txt"
    other.write_text("HCPCS\tMUE\r\n11000\t1\r\n")
    with pytest.raises(ReferenceFileError, match="no header row with a 'Column 1'"):
        load_ptp(other)


def test_pairs_answer_any_date_of_service() -> None:
    table = PtpTable.from_rows(
        [
            PtpRow("20610", "20550", D(2015, 1, 1), D(2019, 12, 31), 0, "a"),
            PtpRow("20610", "20550", D(2020, 1, 1), None, 1, "b"),
            PtpRow("20610", "20552", D(2015, 1, 1), None, 1, "a"),
            PtpRow("20605", "20550", D(2015, 1, 1), None, 0, "a"),
        ]
    )
    assert [r.modifier_indicator for r in table.pairs("20610", "20550", D(2019, 12, 31))] == [0]
    assert [r.modifier_indicator for r in table.pairs("20610", "20550", D(2020, 1, 1))] == [1]
    assert table.pairs("20610", "20550", D(2014, 12, 31)) == []
    assert table.pairs("20550", "20610", D(2020, 1, 1)) == []  # pairs are ordered: column one first
    assert table.pairs("20610", "99999", D(2020, 1, 1)) == []
    assert table.pairs("99999", "20550", D(2020, 1, 1)) == []
    assert len(table.rows("20610", "20550")) == 2
    assert len(table) == 4
    assert set(table.groups) == {"20605", "20610"}


def test_empty_table_answers_nothing() -> None:
    table = PtpTable()
    assert len(table) == 0
    assert table.groups == {}
    assert table.pairs("20610", "20550", D(2020, 1, 1)) == []
