"""The NCCI practitioner MUE loader: the real layout (AMA notice, header with a line break, MAI as text), CSV and XLSX."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from edits.reference.files import ReferenceFileError, read_rows
from edits.reference.model import MueEntry
from edits.reference.mue import load_mue
from tests.edits.reference.cms_files import AMA_NOTICE, MUE_EXCERPT, write_csv, write_xlsx

HEADER = ["HCPCS/\nCPT Code", "Practitioner Services MUE Values", "MUE Adjudication Indicator", "MUE Rationale"]


def test_the_excerpt_is_latin1_and_not_utf8() -> None:
    data = MUE_EXCERPT.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    first = next(read_rows(MUE_EXCERPT))[1][0]
    assert "CPT\u00ae is a registered trademark" in first  # the Latin-1 (R) sign decoded as such


def test_real_excerpt_parses_mai_text() -> None:
    mue = load_mue(MUE_EXCERPT)
    assert mue["0001U"] == MueEntry(value=1, mai=2, rationale="Code Descriptor / CPT Instruction")
    assert mue["0002M"].mai == 3
    assert mue["0002M"].value == 1
    assert mue["0009U"] == MueEntry(value=2, mai=3, rationale="Nature of Analyte")
    assert set(mue) == {"0001U", "0002M", "0009U", "0010U", "0022U"}


def test_xlsx_with_the_same_layout(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        [AMA_NOTICE, None, None, None],
        HEADER,
        ["64629", 2, "2 Date of Service Edit: Policy", "Code Descriptor / CPT Instruction"],
        ["J1100", 20, "1 Line Edit", "Prescribing Information"],
        ["20610", 2.0, "3 Date of Service Edit: Clinical", "Anatomic Consideration"],  # Excel may store a float
    ]
    mue = load_mue(write_xlsx(tmp_path / "MCR_MUE_PractitionerServices.xlsx", rows))
    assert mue == {
        "64629": MueEntry(2, 2, "Code Descriptor / CPT Instruction"),
        "J1100": MueEntry(20, 1, "Prescribing Information"),
        "20610": MueEntry(2, 3, "Anatomic Consideration"),
    }


def test_header_names_match_loosely(tmp_path: Path) -> None:
    rows = [
        ["notice", "", "", ""],
        ["hcpcs / cpt  code", "PRACTITIONER SERVICES MUE VALUES", "MUE Adjudication\nIndicator", "mue_rationale"],
        ["64629", "2", "2 Date of Service Edit: Policy", ""],
    ]
    assert load_mue(write_csv(tmp_path / "mue.csv", rows)) == {"64629": MueEntry(2, 2, "")}


@pytest.mark.parametrize(
    ("cell", "column", "reason"),
    [
        ("Date of Service Edit", 2, "MUE adjudication indicator 'Date of Service Edit' for 64629 does not start with 1, 2 or 3"),
        ("4 Something", 2, "does not start with 1, 2 or 3"),
        ("two", 1, "MUE value 'two' for 64629 is not a whole number of units"),
        ("", 1, "MUE value '' for 64629"),
    ],
)
def test_bad_row_names_file_and_row(tmp_path: Path, cell: str, column: int, reason: str) -> None:
    good = ["0001U", "1", "2 Date of Service Edit: Policy", ""]
    bad = ["64629", "2", "2 Date of Service Edit: Policy", ""]
    bad[column] = cell
    path = write_csv(tmp_path / "mue.csv", [["notice", "", "", ""], HEADER, good, bad], encoding="latin-1")
    with pytest.raises(ReferenceFileError) as caught:
        load_mue(path)
    assert str(caught.value).startswith(f"{path}: row 4: ")
    assert reason in str(caught.value)


def test_a_code_listed_twice_is_an_error(tmp_path: Path) -> None:
    row = ["64629", "2", "2 Date of Service Edit: Policy", ""]
    path = write_csv(tmp_path / "mue.csv", [HEADER, row, row])
    with pytest.raises(ReferenceFileError, match=r"row 3: 64629 is listed twice"):
        load_mue(path)


def test_header_only_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReferenceFileError, match="no MUE rows"):
        load_mue(write_csv(tmp_path / "mue.csv", [HEADER]))
