"""Writing test files in the real CMS layouts (the AOC table is not published in a form we can keep here)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import openpyxl

CMS_DIR = Path(__file__).resolve().parents[2] / "data" / "cms"
PPRRVU = CMS_DIR / "PPRRVU2025_Oct_nodesc.csv"
MUE_EXCERPT = CMS_DIR / "MUE_practitioner_2026Q3_layout_excerpt.csv"

AMA_NOTICE = (
    "CPT codes, descriptions and other data only are copyright 2025 American Medical Association. All rights reserved.\n\n"
    "Applicable FARS/DFARS Restrictions Apply to Government Use."
)
AOC_HEADER = [
    "AOC_Edit_Type",
    "Add-On_Code",
    "AOC_DelDT",
    "Primary_Code",
    "Primary_Code_DelDT",
    "AOC_Edit_EffDT",
    "AOC_Edit_DelDT",
    "Special_Instruction_Notes",
]
# Newer files: the same columns, date headers suffixed with _julian.
AOC_HEADER_JULIAN = [name + "_julian" if name.endswith("DT") else name for name in AOC_HEADER]

# Types 1, 2 (CCCCC) and 3, open and closed dates, a deleted primary, a deleted add-on, `*` and blank as "none".
AOC_ROWS: list[list[str | int | None]] = [
    [1, "64629", None, "64628", None, 2022001, None, None],
    [1, "64636", "*", "64635", "*", 2012001, "*", ""],
    [1, "64492", None, "64490", None, 2010001, None, None],
    [1, "64492", None, "64491", None, 2010001, None, None],
    [2, "99292", None, "CCCCC", None, 2013091, None, "Contractor defines the primary procedures"],
    [3, "22552", None, "22551", None, 2017001, None, None],
    [3, "22552", None, "CCCCC", None, 2017001, None, None],
    [1, "11001", 2015365, "11000", None, 2013001, None, None],  # add-on deleted end of 2015
    [1, "11046", None, "11045", 2019059, 2013001, 2020366, None],  # primary deleted 2019-02-28, edit 2020-12-31
]


def write_aoc_xlsx(path: Path, rows: Sequence[Sequence[object]] = AOC_ROWS, header: Sequence[str] = AOC_HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([AMA_NOTICE])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_aoc_csv(path: Path, rows: Sequence[Sequence[object]] = AOC_ROWS, header: Sequence[str] = AOC_HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([AMA_NOTICE] + [""] * (len(header) - 1))
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
    return path


def pprrvu_records() -> list[list[str]]:
    with PPRRVU.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, records: Sequence[Sequence[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(records)
    return path


def write_xlsx(path: Path, records: Sequence[Sequence[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for record in records:
        sheet.append(list(record))
    workbook.save(path)
    return path


PTP_EXCERPT = CMS_DIR / "PTP_practitioner_2026Q3_layout_excerpt.txt"
# The PTP TXT as CMS publishes it: notice, title, then the header wrapped over four lines, tab-delimited.
PTP_NOTICE = "CPT only copyright 2025 American Medical Association.  All rights reserved."
PTP_TITLE = "Column1/Column2 Edits"
PTP_HEADER_ROWS: list[list[str]] = [
    ["Column 1", "Column 2", "*=in existence", "Effective", "Deletion", "Modifier", "PTP Edit Rationale"],
    ["", "", "prior to 1996", "Date", "Date", "0=not allowed", ""],
    ["", "", "", "", "*=no data", "1=allowed", ""],
    ["", "", "", "", "", "9=not applicable", ""],
]
# Open and closed rows, `*` in the 1996 and deletion columns, indicators 0, 1, 9 (9: deleted the day it took effect).
PTP_ROWS: list[list[str]] = [
    ["11000", "11001", "*", "19960101", "*", "0", "Standards of medical/surgical practice"],
    ["11000", "11720", "*", "19960101", "20041231", "1", "Mutually exclusive procedures"],
    ["11000", "36000", "", "20020101", "*", "1", "Standards of medical/surgical practice"],
    ["11042", "11045", "", "20110101", "20110101", "9", "CPT Manual or CMS manual coding instruction"],
    ["99213", "36415", "", "20150101", "*", "0", "Misuse of Column Two code with Column One code"],
]


def write_ptp_txt(path: Path, rows: Sequence[Sequence[str]] = PTP_ROWS, *, newline: str = "\r\n") -> Path:
    lines = [PTP_NOTICE + "\t" * 6, PTP_TITLE + "\t" * 6, *("\t".join(row) for row in PTP_HEADER_ROWS)]
    lines += ["\t".join(row) for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def write_ptp_xlsx(path: Path, rows: Sequence[Sequence[object]] = PTP_ROWS, *, one_header_row: bool = False) -> Path:
    """The XLSX variant: the same notice, title and wrapped header; or (`one_header_row`) one header row with line breaks."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([PTP_NOTICE])
    sheet.append([PTP_TITLE])
    if one_header_row:
        sheet.append(["\n".join(cell for cell in column if cell) for column in zip(*PTP_HEADER_ROWS, strict=True)])
    else:
        for header in PTP_HEADER_ROWS:
            sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path
